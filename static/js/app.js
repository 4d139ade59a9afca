// The sandbox page: wires the WebSocket's frames to the diagram, counters, log, chart and
// time controls, and keeps them attached across htmx swaps of the diagram.
import { connect, showStatus } from "./live.js";
import { Dots } from "./dots.js";
import { Counters } from "./counters.js";
import { EventLog } from "./log.js";
import { Chart } from "./chart.js";
import { Controls } from "./controls.js";
import { BackendState } from "./backend.js";

const root = document.getElementById("playground");
const status = document.getElementById("conn");
const dots = new Dots();
const counters = new Counters();
const controls = new Controls();
const backend = new BackendState();
const chart = new Chart(document.getElementById("chart"));
const log = new EventLog({
  list: document.getElementById("log"),
  text: document.getElementById("log-text"),
  kind: document.getElementById("log-kind"),
  more: document.getElementById("log-more"),
  clear: document.getElementById("log-clear"),
});

let latest = null;
let pending = false;
let selected = null;

function render() {
  pending = false;
  if (!latest) return;
  counters.update(latest);
  controls.update(latest);
  backend.update(latest);
}

function onFrame(frame) {
  latest = frame;
  document.dispatchEvent(new CustomEvent("bp:frame", { detail: frame })); // narration, presenter
  dots.play(frame.moves, frame.speed, frame.dot_ms);
  // frozen while the teacher pauses (a step's own end pauses time too: those dots arrive)
  const sc = frame.scenario;
  dots.freeze(Boolean(frame.paused) && !(sc && !sc.playing));
  dots.hold(frame);
  log.add(frame.log, frame.more);
  if (frame.chart) chart.replace(frame.chart); // a replay (Back): the chart as it was then
  chart.push(frame.series);
  if (!pending) {
    pending = true;
    requestAnimationFrame(render);
  }
}

function markSelected() {
  for (const g of document.querySelectorAll("#topology g.node.selected")) g.classList.remove("selected");
  if (!selected) return;
  for (const g of document.querySelectorAll("#topology g.node[data-node]")) {
    if (g.dataset.node === selected) g.classList.add("selected");
  }
}

// One delegated listener for every node, present or swapped in later.
document.getElementById("diagram")?.addEventListener("click", (event) => {
  const node = event.target.closest("g.node[data-node]");
  if (!node) return;
  selected = node.dataset.node;
  markSelected();
  // its details load at the top of the side column, which may be scrolled down to a form
  document.getElementById("side")?.scrollTo({ top: 0 });
});

// Only a swap of the diagram itself re-reads its edges (a Next or a form answer must not
// touch the dots in flight); the counters also live in the details panel, so always those.
function diagramSwapped(event) {
  const target = event.detail && event.detail.target;
  if (!(target instanceof Element)) return true;
  return target.id === "diagram" || Boolean(target.querySelector("#topology")) || Boolean(target.closest("#diagram"));
}

document.body.addEventListener("htmx:afterSettle", (event) => {
  if (diagramSwapped(event)) dots.rescan();
  counters.rescan();
  markSelected();
  if (latest) counters.update(latest);
});

if (root) {
  connect(root.dataset.ws, {
    onFrame,
    onStatus: (state, delay) => showStatus(status, state, delay),
  });
}
