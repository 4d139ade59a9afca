// The stranger's 404 to an htmx request (playground/stranger.py) is a short flash: htmx
// does not swap error answers by itself, so let this one in, into the page's #flash.
document.body.addEventListener("htmx:beforeSwap", (event) => {
  const xhr = event.detail.xhr;
  if (xhr.status !== 404 || !xhr.getResponseHeader("BP-Stranger")) return;
  event.detail.shouldSwap = true;
  event.detail.isError = false;
  event.detail.target = document.getElementById("flash") || event.detail.target;
});
