// Enter on a focused diagram node opens its details, as a click does (the node is an SVG
// <g role="button">, which has no keyboard behaviour of its own). Done here rather than
// with an htmx trigger filter, which htmx evaluates as script: the page's CSP allows none.
document.addEventListener("keyup", (event) => {
  if (event.key !== "Enter") return;
  const node = event.target instanceof Element && event.target.closest("[data-node][role='button']");
  if (node) node.dispatchEvent(new MouseEvent("click", { bubbles: true }));
});
