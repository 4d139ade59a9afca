// Live numbers on the diagram and the details panel: queue depth, consumer state,
// partition tapes (log start, high watermark, log end) and each group's committed offset.
const DOWN = new Set(["crashed", "cancelled", "stopped", "dead", "lost"]);

// What each of a tape's `cells` shows, as sandbox/layout.py's tape_window decides it; the
// cell count is the one the template drew (layout.TAPE_CELLS), not a second constant here.
export function tapeWindow(logStart, highWatermark, logEnd, cells) {
  const first = Math.max(0, logEnd - cells);
  const states = [];
  for (let offset = first; offset < first + cells; offset++) {
    if (offset >= logEnd) states.push("empty");
    else if (offset < logStart) states.push("gone");
    else if (offset >= highWatermark) states.push("unreplicated");
    else states.push("record");
  }
  return { first, states };
}

export function groupLag(group) {
  let total = 0;
  for (const o of group.offsets || []) {
    const done = o.committed ?? o.log_start ?? 0;
    total += Math.max(0, (o.log_end || 0) - done);
  }
  return total;
}

export class Counters {
  constructor() {
    this.rescan();
  }

  rescan() {
    this.fields = new Map();
    for (const el of document.querySelectorAll("[data-node][data-field]")) {
      const key = el.dataset.node + "\u0000" + el.dataset.field;
      if (!this.fields.has(key)) this.fields.set(key, []);
      this.fields.get(key).push(el);
    }
    this.nodes = new Map();
    for (const g of document.querySelectorAll("#topology g.node[data-node]")) {
      this.nodes.set(g.dataset.node, g);
    }
    this.tapes = new Map();
    for (const g of document.querySelectorAll("#topology g.cells[data-tape]")) {
      this.tapes.set(g.dataset.tape, {
        cells: Array.from(g.querySelectorAll("rect.cell")),
        x: Number(g.dataset.x),
        w: Number(g.dataset.w),
        markers: [],
      });
    }
    for (const m of document.querySelectorAll("#topology g.marker[data-tape]")) {
      const tape = this.tapes.get(m.dataset.tape);
      if (tape) tape.markers.push(m);
    }
  }

  set(node, field, value) {
    const els = this.fields.get(node + "\u0000" + field);
    if (!els) return;
    const text = String(value);
    for (const el of els) {
      if (field === "bar") el.setAttribute("width", text);
      else if (el.textContent !== text) el.textContent = text;
    }
  }

  state(node, value) {
    const g = this.nodes.get(node);
    if (!g) return;
    g.classList.toggle("crashed", DOWN.has(value));
    g.classList.toggle("idle", value === "idle" || value === "waiting");
  }

  update(frame) {
    const amqp = frame.amqp || {};
    const kafka = frame.kafka || {};
    for (const q of amqp.queues || []) {
      const id = "q:" + q.name;
      this.set(id, "ready", q.ready ?? 0);
      this.set(id, "unacked", q.unacked ?? 0);
      this.set(id, "consumers", q.consumers ?? 0);
      const depth = (q.ready || 0) + (q.unacked || 0);
      this.set(id, "bar", Math.min(60, Math.round((60 * Math.log10(1 + depth)) / 2)));
    }
    for (const c of amqp.consumers || []) {
      const id = "c:" + c.tag;
      for (const field of ["state", "delivered", "acked", "nacked", "unacked"]) {
        this.set(id, field, c[field] ?? 0);
      }
      this.state(id, c.state);
    }
    const committed = new Map();
    for (const g of kafka.groups || []) {
      const id = "g:" + g.group_id;
      // no partition yet: Kafka's tools print "-" rather than a lag; a partition not
      // committed yet counts from its log start (frames.group_lag, the claims agree)
      this.set(id, "lag", (g.offsets || []).length ? groupLag(g) : "–");
      this.set(id, "state", g.state ?? "");
      // the box's second line as sandbox/layout.py's _group_node and _member_node write it,
      // kept live: a rebalance after the page was drawn moves partitions and the generation
      this.set(id, "sub", `${g.assignor || "range"} · gen ${g.generation ?? 0}`);
      const node = this.nodes.get(id);
      if (node) node.classList.toggle("lagging", groupLag(g) > 0);
      for (const o of g.offsets || []) {
        committed.set(`${id}\u0000tp:${o.topic}:${o.partition}`, o.committed);
      }
      for (const m of g.members || []) {
        this.set("m:" + m.member, "state", m.state ?? "");
        this.set("m:" + m.member, "processed", m.processed ?? 0);
        const parts = (m.assignment || []).map((tp) => "P" + tp[1]);
        this.set("m:" + m.member, "sub", parts.length ? parts.join(",") : "idle");
        this.state("m:" + m.member, m.state);
      }
    }
    for (const t of kafka.topics || []) {
      for (const p of t.partitions || []) {
        this.tape(`tp:${t.name}:${p.partition}`, p, committed);
      }
    }
  }

  tape(id, p, committed) {
    for (const field of ["log_start", "high_watermark", "log_end"]) this.set(id, field, p[field] ?? 0);
    if ("leader" in p) {
      // sandbox/layout.py replica_line: a broker that dies moves the leader, shrinks the ISR
      const leader = p.leader !== null && p.leader >= 0 ? p.leader : "none";
      this.set(id, "replicas", `leader ${leader} · ISR ${(p.isr || []).join(",") || "none"}`);
    }
    const tape = this.tapes.get(id);
    if (!tape) return;
    const count = tape.cells.length;
    const { first, states } = tapeWindow(p.log_start || 0, p.high_watermark || 0, p.log_end || 0, count);
    tape.cells.forEach((cell, i) => {
      const cls = "cell " + states[i];
      if (cell.getAttribute("class") !== cls) cell.setAttribute("class", cls);
    });
    const cellW = tape.w / count;
    const shown = [];
    for (const marker of tape.markers) {
      const offset = committed.get(marker.dataset.group + "\u0000" + id);
      if (offset === undefined || offset === null || offset < 0) {
        marker.classList.add("off");
        continue;
      }
      const cells = Math.max(0, Math.min(count, offset - first));
      shown.push({ marker, x: tape.x + cells * cellW });
    }
    // Labels side by side, never on top of each other, even when groups share an offset,
    // and never past the tape's end (a group that caught up): those go left of their mark.
    shown.sort((a, b) => a.x - b.x);
    const end = tape.x + tape.w;
    const width = (label) => 8.5 * label.textContent.length;
    let free = -Infinity;
    const flipped = [];
    for (const { marker, x } of shown) {
      marker.setAttribute("transform", `translate(${x.toFixed(1)} ${marker.dataset.y})`);
      const label = marker.querySelector("text");
      const dx = Math.max(10, free - x);
      if (label && x + dx + width(label) > end) flipped.push({ label, x });
      else if (label) {
        label.removeAttribute("text-anchor");
        label.setAttribute("x", dx.toFixed(1));
        free = x + dx + width(label) + 8;
      }
      marker.classList.remove("off");
    }
    let left = Infinity; // right to left, each label ending before the one right of it
    for (const { label, x } of flipped.reverse()) {
      const dx = Math.min(-10, left - x);
      label.setAttribute("text-anchor", "end");
      label.setAttribute("x", dx.toFixed(1));
      left = x + dx - width(label) - 8;
    }
  }
}
