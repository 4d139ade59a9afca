// The message inspector: open a message's journey from the event log, a moving dot, or
// a diagram node (queue, consumer, partition cell, member...). It is a panel under the
// details panel (CSS shows it alone in full view and presenter mode), so a node click
// opens both side by side and neither hides the other. The server renders every
// partial; this file only decides which URL to load. Delegated listeners, so lines,
// dots and nodes added later work too.
const drawer = document.getElementById("inspector");
const body = document.getElementById("inspector-body");
const LISTED = new Set(["queue", "consumer", "partition", "member"]);
const ALSO_WHEN_OPEN = new Set(["exchange", "producer"]);

function open(url) {
  if (!drawer || !window.htmx) return;
  drawer.hidden = false;
  document.body.classList.add("inspecting");
  window.htmx.ajax("GET", url, { target: body, swap: "innerHTML" });
}

// Scroll the side column (not the page) so the inspector's top shows, when a message
// was picked from the log or a dot and the details above it are long.
function reveal() {
  const side = drawer.parentElement;
  const top = drawer.getBoundingClientRect().top - side.getBoundingClientRect().top;
  if (top < 0 || top > side.clientHeight - 160) side.scrollBy({ top });
}

function close() {
  if (!drawer) return;
  drawer.hidden = true;
  document.body.classList.remove("inspecting");
  highlight(null);
}

export function openMessage(msg) {
  open(drawer.dataset.inspect.replace("MSG", encodeURIComponent(msg)));
  reveal();
}

function openNode(node, cell) {
  const params = new URLSearchParams({ node });
  if (cell !== null) params.set("cell", String(cell));
  open(drawer.dataset.messages + "?" + params.toString());
}

// Outline the diagram nodes a journey step happened at, while the pointer is on it.
function highlight(where) {
  for (const g of document.querySelectorAll("#topology g.node.traced")) g.classList.remove("traced");
  if (!where) return;
  for (const g of document.querySelectorAll("#topology g.node[data-node]")) {
    if (g.dataset.node === where) g.classList.add("traced");
  }
}

if (drawer) {
  document.getElementById("inspector-close")?.addEventListener("click", close);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !drawer.hidden) close();
  });

  document.getElementById("log")?.addEventListener("click", (event) => {
    const li = event.target.closest("li[data-msg]");
    if (li) openMessage(li.dataset.msg);
  });

  document.getElementById("diagram")?.addEventListener("click", (event) => {
    const dot = event.target.closest("circle.dot[data-msg]");
    if (dot) {
      openMessage(dot.dataset.msg);
      return;
    }
    const node = event.target.closest("g.node[data-node]");
    if (!node) return;
    const kind = node.dataset.kind;
    if (!LISTED.has(kind) && !(ALSO_WHEN_OPEN.has(kind) && !drawer.hidden)) return;
    let cell = null;
    const rect = event.target.closest("rect.cell");
    if (rect) cell = Array.prototype.indexOf.call(rect.parentNode.querySelectorAll("rect.cell"), rect);
    openNode(node.dataset.node, cell);
  });

  body.addEventListener("mouseover", (event) => {
    const step = event.target.closest("li.step[data-where]");
    highlight(step ? step.dataset.where : null);
  });
  body.addEventListener("mouseleave", () => highlight(null));
}
