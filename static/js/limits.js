// A cap refused an htmx request (HTTP 429, playground/limits.py): htmx drops 4xx answers
// by default, but this one is a readable message, so it goes into a flash: the request's
// own target if that is one, else the page's.
const FLASH = "#flash, .flash, [id$='-flash']";

document.body.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status !== 429) return;
  const own = event.detail.target;
  const flash = own instanceof Element && own.matches(FLASH) ? own : document.querySelector(FLASH);
  event.detail.shouldSwap = true;
  event.detail.isError = false;
  if (flash) {
    event.detail.target = flash;
    event.detail.swapOverride = "innerHTML";
  }
});
