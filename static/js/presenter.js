// Presenter mode and the classroom's keys: a large, keyboard-only view for a projector.
// Toggle with the ▣ Present button, the p key or ?present=1. In presenter mode:
// space play/pause, → next narration step (one event when no scenario), ← back,
// + / − speed, f full screen; everywhere: ? help, Esc closes it. Keys other than Esc are
// ignored while a button, menu, link or field has the focus (controls.onControl). The Share
// panel and the top bar's menus are menus.js.
//
// In presenter mode the page is the viewport (presenter.css) and the diagram zooms to what
// the step rings (`fitDiagram`): its viewBox becomes the rings' box, widened to the
// diagram's shape, never closer than MAX_ZOOM; with nothing ringed, the whole diagram.
// The narration goes beside the diagram or under it, whichever shows the rings larger
// (`arrange`).
// Counters then grow to counterPx() on screen where their boxes leave room (`growCounters`).
import { onControl, positionOf, stepBack } from "./controls.js";

const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20];
const $ = (id) => document.getElementById(id);
const body = document.body;
const toggle = $("present-toggle");
const help = $("help");
const MAX_ZOOM = 1.25; // screen px per diagram unit, at most: closer cuts the neighbours off
const READABLE = 1.0; // a zoom at which the counters are 20 px without growing much
const PAD = 12; // diagram units around the rings (and their tags)
// counters on screen: 20.5 px at 1280 px wide, growing with the screen like the narration
// (presenter.css --nf): 27 px at 1920
const counterPx = () => Math.min(28, Math.max(20.5, 0.014 * window.innerWidth));
let latest = null;
let helpReturn = null;
let fitKey = "";

let grownAt = 0;
document.addEventListener("bp:frame", (event) => {
  latest = event.detail;
  relayout(); // after narration.js (loaded first) drew this frame's rings and words
  // counters change their width as they count: fit them again, twice a second at most
  const svg = $("topology");
  if (svg && fitKey && performance.now() - grownAt > 500) {
    grownAt = performance.now();
    requestAnimationFrame(() => growCounters(svg, counterPx() / svg.getScreenCTM().a));
  }
});

// The viewBox the template wrote, kept on the element (a redraw brings a new one).
function fullBox(svg) {
  if (!svg.dataset.full) svg.dataset.full = svg.getAttribute("viewBox") || "0 0 1500 800";
  return svg.dataset.full.split(/\s+/).map(Number);
}

// What the zoom must show: the rings and their tags, or with none the whole diagram.
function targetBox(svg) {
  const [fx, fy, fw, fh] = fullBox(svg);
  const marks = [...svg.querySelectorAll("#watch-rings .watch-ring, #watch-rings .watch-tag")]
    .map((r) => r.getBBox());
  if (!marks.length) return [fx, fy, fx + fw, fy + fh];
  const box = [
    Math.min(...marks.map((b) => b.x)) - PAD,
    Math.min(...marks.map((b) => b.y)) - PAD,
    Math.max(...marks.map((b) => b.x + b.width)) + PAD,
    Math.max(...marks.map((b) => b.y + b.height)) + PAD,
  ];
  // the column heads just above the rings come along (not cut in half at the top)
  for (const head of svg.querySelectorAll(".col-head")) {
    const b = head.getBBox();
    if (b.y + b.height <= box[1] + 4 && box[1] - b.y < 44 && b.x < box[2] && b.x + b.width > box[0]) {
      box[1] = Math.min(box[1], b.y - 4);
    }
  }
  return box.map(Math.round);
}

function scaleFor(svg, [x1, y1, x2, y2]) {
  const pw = svg.clientWidth;
  const ph = svg.clientHeight;
  return pw && ph ? Math.min(pw / (x2 - x1), ph / (y2 - y1), MAX_ZOOM) : 0;
}

// Two arrangements of a narrated step: "side" (the narration a column at the left, as
// narrow as lets its words, claims and buttons fit: NARR_MIN to NARR_MAX of the width) and
// "stacked" (the diagram across the whole width, the narration in two columns under it).
// Side, unless its zoom is below READABLE and stacked shows the rings larger (so a run
// of steps does not flip between the two for a few pixels).
const NARR_MIN = 30;
const NARR_MAX = 46;
function narrationFits(panel) {
  const doc = document.scrollingElement || document.documentElement;
  return panel.scrollHeight <= panel.clientHeight + 1 && doc.scrollHeight <= window.innerHeight + 1;
}

function arrange() {
  const stage = document.querySelector(".stage");
  const panel = $("narration");
  const svg = $("topology");
  if (!stage || !panel || !svg || !body.classList.contains("presenting") || panel.hidden) {
    body.classList.remove("stacked");
    stage?.style.removeProperty("--narr");
    fitDiagram(true);
    return;
  }
  const target = targetBox(svg);
  body.classList.remove("stacked");
  let w = NARR_MIN;
  stage.style.setProperty("--narr", `${w}%`);
  while (!narrationFits(panel) && w < NARR_MAX) {
    w += 2;
    stage.style.setProperty("--narr", `${w}%`);
  }
  const side = narrationFits(panel) ? scaleFor(svg, target) : 0;
  body.classList.add("stacked");
  const stacked = narrationFits(panel) ? scaleFor(svg, target) : 0;
  if (side >= READABLE || side * 1.03 >= stacked) body.classList.remove("stacked");
  fitDiagram(true);
}

// Arrange again when what decides it changed: the window, the rings, the step's words.
let layoutKey = "";
function relayout(force = false) {
  const svg = $("topology");
  const ids = ["narr-step-title", "narr-text", "narr-watch-line", "narr-note", "narr-claims", "narr-playing"];
  const words = ids.map((id) => {
    const el = $(id);
    return el ? `${el.hidden}|${id === "narr-playing" ? "" : el.textContent}` : "";
  });
  const rings = svg
    ? [...svg.querySelectorAll("#watch-rings .watch-ring")].map((r) => `${r.getAttribute("x")},${r.getAttribute("y")}`)
    : [];
  const key = JSON.stringify([window.innerWidth, window.innerHeight, body.classList.contains("presenting"),
    $("narration")?.hidden, svg?.dataset.full, rings, words]);
  if (!force && key === layoutKey) return;
  layoutKey = key;
  arrange();
}

function fitDiagram(force = false) {
  const svg = $("topology");
  if (!svg) return;
  fullBox(svg);
  if (!body.classList.contains("presenting")) {
    if (svg.getAttribute("viewBox") !== svg.dataset.full) svg.setAttribute("viewBox", svg.dataset.full);
    resetCounters(svg);
    for (const t of svg.querySelectorAll(".band text.cut")) t.classList.remove("cut");
    fitKey = "";
    return;
  }
  const pw = svg.clientWidth;
  const ph = svg.clientHeight;
  if (!pw || !ph) return;
  const [fx, fy, fw, fh] = fullBox(svg);
  const rings = targetBox(svg);
  const key = JSON.stringify([pw, ph, svg.dataset.full, rings]);
  if (!force && key === fitKey) return;
  fitKey = key;
  // widen (or heighten) to the element's shape and to MAX_ZOOM, about the rings' centre;
  // then take in whole the boxes that view would cut (a member's name cut to "dashboard"
  // hides which member it is), as long as the counters stay as large (zoom >= floor)
  const slide = (lo, hi, size, min, max) => {
    const a = (lo + hi) / 2 - size / 2;
    if (size <= max - min) return Math.max(min, Math.min(a, max - size)); // stay on the drawing
    return min - (size - (max - min)) / 2;
  };
  const view = ([a1, b1, a2, b2]) => {
    const s = scaleFor(svg, [a1, b1, a2, b2]);
    const vw = pw / s;
    const vh = ph / s;
    return [slide(a1, a2, vw, fx, fx + fw), slide(b1, b2, vh, fy, fy + fh), vw, vh, s];
  };
  const nodes = [...svg.querySelectorAll(".nodes > [data-node]")].map((n) => n.getBBox());
  let box = rings;
  let [x, y, w, h, scale] = view(box);
  const floor = Math.min(scale, READABLE); // never out past READABLE, nor past a wide step's zoom
  // one box at a time, the nearest to the rings first; one that would zoom out too far
  // stays cut (a topic as tall as the band), the others still come in
  const centre = [(rings[0] + rings[2]) / 2, (rings[1] + rings[3]) / 2];
  const far = (b) => Math.hypot(b.x + b.width / 2 - centre[0], b.y + b.height / 2 - centre[1]);
  for (let round = 0; round < 3; round++) {
    const cut = nodes
      .filter((b) => b.x < x + w && b.x + b.width > x && b.y < y + h && b.y + b.height > y
        && (b.x < x - 0.5 || b.x + b.width > x + w + 0.5 || b.y < y - 0.5 || b.y + b.height > y + h + 0.5))
      .sort((a, b) => far(a) - far(b));
    let grew = false;
    for (const b of cut) {
      const wider = [Math.min(box[0], b.x - PAD), Math.min(box[1], b.y - PAD),
        Math.max(box[2], b.x + b.width + PAD), Math.max(box[3], b.y + b.height + PAD)];
      const next = view(wider);
      if (next[4] < floor) continue;
      box = wider;
      [x, y, w, h, scale] = next;
      grew = true;
    }
    if (!grew) break;
  }
  const [x1, y1, x2, y2] = box;
  // a band's words cut in half by an edge: take them in, or leave them out, where the
  // rings still fit
  const words = svg.querySelectorAll(".band-title, .band-sub, .band-kept, .col-head, .band .hint");
  for (const t of words) {
    const b = t.getBBox();
    const fit = (at, lo, hi, size, a1, a2) => {
      for (const edge of [at, at + size]) {
        if (!(lo < edge && hi > edge)) continue;
        for (const move of edge === at ? [lo - at, hi - at] : [hi - edge, lo - edge]) {
          if (a1 >= at + move && a2 <= at + move + size) return at + move;
        }
      }
      return at;
    };
    y = fit(y, b.y, b.y + b.height, h, y1, y2);
    x = fit(x, b.x, b.x + b.width, w, x1, x2);
  }
  // those still cut (wider than the room to move) are left out rather than shown as
  // half a word ("urier", "e · gone once acked")
  for (const t of words) {
    const b = t.getBBox();
    const cut = b.x < x || b.x + b.width > x + w || b.y < y || b.y + b.height > y + h;
    const out = b.x + b.width <= x || b.x >= x + w || b.y + b.height <= y || b.y >= y + h;
    t.classList.toggle("cut", cut && !out);
  }
  svg.setAttribute("viewBox", [x, y, w, h].map((v) => v.toFixed(1)).join(" "));
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  growCounters(svg, counterPx() / scale);
}

// Each counter as large as `want` diagram units (counterPx() on screen), or as large as
// its box leaves room for: right up to the box's edge (or the queue's bar, or the lag
// beside a group's state), down to the box's bottom, above it the texts it sits under.
function growCounters(svg, want) {
  resetCounters(svg); // every counter measured against the others as drawn, not as last grown
  for (const text of svg.querySelectorAll("g.node .count, g.node .offsets")) {
    const g = text.closest("g.node");
    const shape = g.querySelector(".shape, .tape-hit");
    if (!shape) continue;
    if (!text.dataset.y) text.dataset.y = text.getAttribute("y");
    text.style.removeProperty("font-size");
    text.setAttribute("y", text.dataset.y);
    const base = parseFloat(getComputedStyle(text).fontSize) || 17;
    const t = text.getBBox();
    if (!t.width) continue;
    const s = shape.getBBox();
    const baseline = Number(text.dataset.y);
    const end = text.getAttribute("text-anchor") === "end";
    // the node's other texts, in diagram units (a tape's markers are translated)
    const others = [...g.querySelectorAll("text")]
      .filter((o) => o !== text && !o.closest(".marker.off") && o.getBBox().width)
      .map((o) => unitBox(svg, o));
    const beside = others.filter((b) => b.y < t.y + t.height && b.y + b.height > t.y);
    const above = others.filter((b) => b.y + b.height <= t.y + 2);
    const below = others.filter((b) => b.y >= t.y + t.height - 2); // a partition's replica line
    const top = Math.max(s.y, ...above.map((b) => b.y + b.height)) + 1;
    const bottom = Math.min(s.y + s.height - 3, ...below.map((b) => b.y - 1));
    let room;
    if (end) {
      room = t.x + t.width - Math.max(s.x + 10, ...beside.map((b) => b.x + b.width + 10));
    } else {
      const bar = g.querySelector(".bar-track"); // hidden in presenter mode: the counter says it
      const shown = bar && getComputedStyle(bar).display !== "none";
      const right = shown ? bar.getBBox().x - 8 : s.x + s.width - 10;
      room = right - t.x;
    }
    const byWidth = (base * room) / t.width;
    const byHeight = (base * (bottom - top)) / t.height;
    const size = Math.max(base, Math.min(want, byWidth, byHeight));
    if (size <= base + 0.01) continue;
    text.style.setProperty("font-size", `${size.toFixed(2)}px`);
    const descent = ((t.y + t.height - baseline) * size) / base;
    text.setAttribute("y", (bottom - descent).toFixed(1)); // sit on the box's bottom
  }
}

// An element's box in the diagram's units, its transforms applied.
function unitBox(svg, el) {
  const r = el.getBoundingClientRect();
  const m = svg.getScreenCTM();
  return { x: (r.left - m.e) / m.a, y: (r.top - m.f) / m.d, width: r.width / m.a, height: r.height / m.d };
}

function resetCounters(svg) {
  for (const text of svg.querySelectorAll("g.node .count[data-y], g.node .offsets[data-y]")) {
    text.style.removeProperty("font-size");
    text.setAttribute("y", text.dataset.y);
  }
}

function setPresenting(on) {
  body.classList.toggle("presenting", on);
  toggle?.setAttribute("aria-pressed", String(on));
  if (toggle) toggle.textContent = on ? "▣ Exit presenter" : "▣ Present";
  const url = new URL(location.href);
  if (on) url.searchParams.set("present", "1");
  else url.searchParams.delete("present");
  history.replaceState(null, "", url);
  // Keys must reach the page, not a focused button (space would press it twice).
  const stage = document.querySelector(".stage");
  if (stage) {
    stage.setAttribute("tabindex", "-1");
    stage.focus({ preventScroll: true });
  }
  window.dispatchEvent(new Event("resize"));
  relayout(true);
}

function fullScreen() {
  if (document.fullscreenElement) document.exitFullscreen?.();
  else document.documentElement.requestFullscreen?.().catch(() => {});
}

function openHelp() {
  if (!help || !help.hidden) return;
  helpReturn = document.activeElement;
  help.hidden = false;
  help.focus();
}

function closeHelp() {
  if (!help || help.hidden) return false;
  help.hidden = true;
  helpReturn?.focus?.({ preventScroll: true });
  return true;
}

function press(id) {
  const el = $(id);
  if (el && !el.disabled) el.click();
  return Boolean(el);
}

function nextStep() {
  const sc = latest && latest.scenario;
  if (sc) press("narr-next");
  else press("step");
}

function backStep() {
  stepBack(latest); // says why nothing happens in free play
}

function changeSpeed(direction) {
  const slider = $("speed");
  if (!slider || slider.disabled) return;
  const current = Number($("speed-value")?.value || (latest && latest.speed) || 1);
  let index = SPEEDS.findIndex((s) => s >= current - 1e-9);
  if (index < 0) index = SPEEDS.length - 1;
  if (direction > 0 && SPEEDS[index] <= current + 1e-9) index += 1;
  if (direction < 0) index -= 1;
  const speed = SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, index))];
  slider.value = String(positionOf(speed));
  slider.dispatchEvent(new Event("input", { bubbles: true }));
  $("speed-value").value = String(speed);
  slider.dispatchEvent(new Event("change", { bubbles: true }));
}

// Capture phase on window: runs before controls.js, which then never sees a handled key.
window.addEventListener(
  "keydown",
  (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {
      if (closeHelp()) event.preventDefault();
      return;
    }
    if (onControl(event.target)) return;
    let handled = true;
    if (event.key === "?") {
      if (help && !help.hidden) closeHelp();
      else openHelp();
    } else if (event.key === "p") setPresenting(!body.classList.contains("presenting"));
    else if (!body.classList.contains("presenting") && $("toggle-panel")) handled = false;
    else if (event.key === "f") fullScreen();
    else if (event.key === " ") {
      press(latest && latest.paused ? "play" : "pause");
    } else if (event.key === "ArrowRight") nextStep();
    else if (event.key === "ArrowLeft") backStep();
    else if (event.key === "+" || event.key === "=") changeSpeed(+1);
    else if (event.key === "-" || event.key === "−" || event.key === "_") changeSpeed(-1);
    else handled = false;
    if (handled) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);

window.addEventListener("resize", () => relayout());
let layoutPending = false;
const narrationPanel = $("narration");
if (narrationPanel) {
  new MutationObserver(() => {
    if (layoutPending) return;
    layoutPending = true;
    requestAnimationFrame(() => {
      layoutPending = false;
      relayout();
    });
  }).observe(narrationPanel, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ["hidden"],
  });
}
document.body.addEventListener("htmx:afterSettle", () => relayout(true)); // a redrawn diagram, after its rings
if (window.ResizeObserver) {
  new ResizeObserver(() => fitDiagram()).observe($("diagram") || document.body);
}

toggle?.addEventListener("click", () => setPresenting(!body.classList.contains("presenting")));
$("help-open")?.addEventListener("click", openHelp);
$("help-close")?.addEventListener("click", closeHelp);

if (new URLSearchParams(location.search).get("present") === "1") setPresenting(true);
