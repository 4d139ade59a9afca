// The narration panel and the classroom badges, drawn from each frame (app.js sends
// "bp:frame"): the scenario's step, a bar while it plays, its claims as ✓/✗ ("…" until
// the step ends, the measurement written out under a ✗), the note saying why the sandbox
// jumped (a replay), a ring around the watched nodes, the lock badge, and a diagram
// redraw when the topology changed under a watcher.
const SVG = "http://www.w3.org/2000/svg";
const KIND_WORDS = { p: "producer", x: "exchange", q: "queue", c: "consumer", t: "topic", tp: "partition", g: "group", m: "member" };

const $ = (id) => document.getElementById(id);
const panel = $("narration");
let shownKey = "";
let ringKey = "";
let topologyKey = null;
let watched = [];

function label(nodeId) {
  const cut = nodeId.indexOf(":");
  const kind = KIND_WORDS[nodeId.slice(0, cut)] || "node";
  return `${kind} ${nodeId.slice(cut + 1)}`;
}

function item(text, className) {
  const li = document.createElement("li");
  if (className) li.setAttribute("class", className);
  li.textContent = text;
  return li;
}

const MARKS = { ok: "✓", bad: "✗", skipped: "–", pending: "…" };
const WORDS = { ok: "holds: ", bad: "does not hold: ", skipped: "not checked: ", pending: "checked at the step's end: " };

// A claim as ✓ / ✗ / – / … with its sentence; what was measured is written out under a
// failing or skipped claim (never only in a tooltip), so no ✗ goes unexplained.
function claimItem(claim) {
  const li = document.createElement("li");
  const state = claim.pending ? "pending" : claim.skipped ? "skipped" : claim.ok ? "ok" : "bad";
  li.setAttribute("class", `claim ${state}`);
  li.setAttribute("title", claim.message || "");
  const mark = document.createElement("span");
  mark.setAttribute("class", "mark");
  mark.setAttribute("aria-hidden", "true");
  mark.textContent = MARKS[state];
  const word = document.createElement("span");
  word.setAttribute("class", "sr-only");
  word.textContent = WORDS[state];
  const body = document.createElement("span");
  body.setAttribute("class", "claim-body");
  const says = document.createElement("span");
  says.setAttribute("class", "says");
  says.textContent = claim.says;
  body.append(says);
  if ((state === "bad" || state === "skipped") && claim.message) {
    const measured = document.createElement("span");
    measured.setAttribute("class", "measured");
    measured.textContent = state === "bad" ? `Measured: ${claim.message}` : claim.message;
    body.append(measured);
  }
  li.append(mark, word, body);
  return li;
}

// The step playing: a bar of its time and a word for what is happening.
function renderPlaying(playing) {
  const line = $("narr-playing");
  if (!line) return;
  line.hidden = !playing;
  if (!playing) return;
  const bar = $("narr-bar");
  const pct = Math.round(100 * (playing.progress || 0));
  if (bar) {
    bar.value = pct;
    bar.textContent = `${pct}%`;
  }
  const words = {
    playing: `Playing t = ${playing.from} → ${playing.to} s`,
    fast: "⏩ Nothing moves: fast-forward to what happens next",
    checking: "Checking the claims on the broker…",
  };
  $("narr-phase").textContent = words[playing.phase] || words.playing;
  line.dataset.phase = playing.phase || "playing";
}

function renderScenario(sc) {
  if (!panel) return;
  document.body.classList.toggle("has-scenario", Boolean(sc));
  if (!sc) {
    panel.hidden = true;
    shownKey = "";
    return;
  }
  panel.hidden = false;
  panel.dataset.playing = sc.playing ? "1" : "0";
  renderPlaying(sc.playing);
  const key = JSON.stringify([sc.slug, sc.index, Boolean(sc.playing), sc.claims, sc.note]);
  if (key === shownKey) return;
  shownKey = key;
  const step = sc.step;
  panel.dataset.index = String(sc.index);
  panel.dataset.finished = sc.finished ? "1" : "0";
  $("narr-title").textContent = sc.title;
  $("narr-progress").textContent = step ? `step ${sc.index + 1} of ${sc.total}` : `${sc.total} steps`;
  $("narr-concepts").replaceChildren(...(sc.concepts || []).map((c) => item(c)));
  $("narr-step-title").textContent = step ? step.title : "Ready when you are";
  $("narr-text").textContent = step ? step.text : `${sc.summary} Press → (or Next) to play the first step.`;
  const note = $("narr-note");
  if (note) {
    note.hidden = !sc.note;
    note.textContent = sc.note || "";
  }
  watched = step ? step.watch || [] : [];
  $("narr-watch-line").hidden = watched.length === 0;
  $("narr-watch").textContent = watched.map(label).join(", ");
  $("narr-claims").replaceChildren(...(sc.claims || []).map(claimItem));
  const back = $("narr-back");
  const next = $("narr-next");
  const check = $("narr-check");
  if (back) back.disabled = sc.index < 0;
  if (check) check.disabled = Boolean(sc.playing) || sc.index < 0;
  if (next) {
    next.disabled = Boolean(sc.finished);
    // a real broker's step plays in real time: Next then only says how long it still takes
    const finish = sc.real ? "Playing in real time…" : "Finish step ›";
    next.textContent = sc.playing ? finish : sc.index < 0 ? "Start ›" : sc.finished ? "The end" : "Next ›";
    next.title = !sc.playing
      ? "Next step (→)"
      : sc.real
        ? "A real broker's time cannot be hurried: the step ends on its own, then its claims are checked"
        : "Play the rest of this step at once and check its claims (→)";
  }
  drawRings();
}

// A dashed ring and a "watch" tag around each watched node: a shape and a word, not colour alone.
function drawRings(force = false) {
  const svg = $("topology");
  if (!svg) return;
  const key = watched.join("\n");
  let layer = svg.querySelector("#watch-rings");
  if (!force && key === ringKey && layer) return;
  ringKey = key;
  if (!layer) {
    layer = document.createElementNS(SVG, "g");
    layer.setAttribute("id", "watch-rings");
    layer.setAttribute("aria-hidden", "true");
    svg.append(layer);
  }
  layer.replaceChildren();
  for (const g of svg.querySelectorAll("g.node.watched")) g.classList.remove("watched");
  for (const g of svg.querySelectorAll("g.node[data-node]")) {
    if (!watched.includes(g.dataset.node)) continue;
    g.classList.add("watched");
    const box = g.getBBox();
    const ring = document.createElementNS(SVG, "rect");
    const m = g.dataset.kind === "partition" ? 4 : 9; // a tape's ring stays inside its topic
    ring.setAttribute("class", "watch-ring");
    ring.setAttribute("x", String(box.x - m));
    ring.setAttribute("y", String(box.y - m));
    ring.setAttribute("width", String(box.width + 2 * m));
    ring.setAttribute("height", String(box.height + 2 * m));
    ring.setAttribute("rx", "16");
    // The tag sits on the ring's top line, inside its right end: above it there is only
    // the gap to the box above (22 units), which a tag once covered.
    const tag = document.createElementNS(SVG, "text");
    tag.setAttribute("class", "watch-tag");
    tag.dataset.for = g.dataset.node;
    if (g.dataset.kind === "partition") {
      // tapes lie 8 units apart inside their topic: the tag goes right of the topic box
      const name = g.dataset.node.split(":").slice(1, -1).join(":");
      const topic = g.parentNode.querySelector(`g.node[data-node="t:${CSS.escape(name)}"] .shape`);
      const right = topic ? topic.getBBox().x + topic.getBBox().width : box.x + box.width;
      tag.setAttribute("x", String(right + 14));
      tag.setAttribute("y", String(box.y + box.height / 2 - 8));
    } else {
      tag.setAttribute("x", String(box.x + box.width - 10));
      tag.setAttribute("y", String(box.y + 2));
      tag.setAttribute("text-anchor", "end");
    }
    tag.textContent = "◎ watch";
    layer.append(ring, tag);
  }
}

// What the diagram draws; when it changes (a watcher sees the owner's edits) redraw it.
function topologyOf(frame) {
  const a = frame.amqp || {};
  const k = frame.kafka || {};
  const names = (list, ...keys) => (list || []).map((i) => keys.map((key) => JSON.stringify(i[key] ?? null)).join("|"));
  return JSON.stringify([
    names(a.exchanges, "name", "type"),
    names(a.queues, "name"),
    names(a.bindings, "source", "destination", "routing_key"),
    names(a.consumers, "tag", "queue"),
    // counts and ids only: offsets and member counters change every frame, the drawing not
    (k.topics || []).map((t) => `${t.name}|${(t.partitions || []).length}`),
    (k.groups || []).map((g) => [g.group_id, ...(g.members || []).map((m) => m.member)].join("|")),
    (frame.producers || []).map((p) => p.name),
  ]);
}

function redrawIfChanged(frame) {
  const key = topologyOf(frame);
  if (topologyKey !== null && key !== topologyKey && window.htmx) {
    const src = $("watch-diagram-src");
    if (src) window.htmx.ajax("GET", src.dataset.url, { target: "#diagram", swap: "innerHTML" });
    else window.htmx.trigger(document.body, "topology-changed");
  }
  topologyKey = key;
}

function renderBadges(frame) {
  const badge = $("lock-badge");
  if (badge && typeof frame.locked === "boolean") badge.hidden = !frame.locked;
  const speed = $("watch-speed");
  if (speed && typeof frame.speed === "number") speed.textContent = `${frame.speed}×`;
  const flag = $("paused-flag");
  const clock = $("clock");
  if (speed && flag) flag.hidden = !frame.paused;
  if (speed && clock) clock.textContent = Number(frame.now || 0).toFixed(3);
}

document.addEventListener("bp:frame", (event) => {
  const frame = event.detail;
  renderScenario(frame.scenario || null);
  renderBadges(frame);
  redrawIfChanged(frame);
});

document.body.addEventListener("htmx:afterSettle", () => drawRings(true));

// A closed socket with no access (a revoked watch link): say so instead of retrying.
const conn = $("conn");
const revoked = $("revoked");
if (conn && revoked) {
  new MutationObserver(() => {
    revoked.hidden = conn.dataset.state !== "closed";
  }).observe(conn, { attributes: true, attributeFilter: ["data-state"] });
}
