// Message dots travelling along the diagram's edges, driven by a frame's "moves", and the
// messages a consumer holds unacked, drawn sitting at the end of its delivery edge.
// A dot takes frame.dot_ms to travel (frames.dot_seconds: 0.8 s at 1×), so it is seen
// moving at every speed. A redraw of the diagram keeps the dots whose edges survive it
// (a dot whose node went away fades where it is), and a move about nodes the diagram
// does not show yet (a group just added) waits for the redraw that brings them. Pause
// freezes the dots in flight where they are (`freeze`); Play moves them on.
const SVG = "http://www.w3.org/2000/svg";
const MAX_DOTS = 80;
const MAX_HELD = 3; // held messages drawn per consumer (the counter says how many)
const WAIT_MS = 1500; // how long a move waits for the redraw that shows its node
const KAFKA_MOVES = new Set(["appended", "fetched", "committed", "produce_failed", "assigned", "joined", "left"]);

export class Dots {
  constructor() {
    this.active = [];
    this.waiting = []; // [move, duration, time] for nodes not drawn yet
    this.held = new Map(); // consumer node id -> [circle]
    this.edges = new Map();
    this.byFrom = new Map();
    this.nodes = new Map();
    this.running = false;
    this.rescan();
  }

  // Read the (new) diagram's edges and nodes; dots in flight move over to it when their
  // edges are still there, the others are removed.
  rescan() {
    this.svg = document.getElementById("topology");
    this.layer = this.svg ? this.svg.querySelector("#dots") : null;
    this.edges.clear();
    this.byFrom.clear();
    this.nodes.clear();
    if (this.svg) {
      for (const path of this.svg.querySelectorAll("path.edge")) {
        const from = path.dataset.from;
        const to = path.dataset.to;
        this.edges.set(from + "\u0000" + to, path);
        if (!this.byFrom.has(from)) this.byFrom.set(from, []);
        this.byFrom.get(from).push(path);
      }
      for (const g of this.svg.querySelectorAll("g.node[data-node]")) {
        this.nodes.set(g.dataset.node, g);
      }
    }
    const keep = [];
    for (const dot of this.active) {
      if (!this.layer) dot.el.remove();
      else {
        if (!this.reroute(dot)) this.strand(dot);
        this.layer.appendChild(dot.el);
        keep.push(dot);
      }
    }
    this.active = keep;
    for (const circles of this.held.values()) for (const c of circles) c.remove();
    this.held.clear();
    const now = performance.now();
    const waiting = this.waiting.filter(([, , at]) => now - at < WAIT_MS);
    this.waiting = [];
    for (const [move, duration] of waiting) this.launch(move, duration, false);
    this.run();
  }

  // The dot's node is gone from the diagram: it stays where it is and fades out.
  strand(dot) {
    const here = { x: Number(dot.el.getAttribute("cx") || 0), y: Number(dot.el.getAttribute("cy") || 0) };
    dot.segments = null;
    dot.fixed = { a: here, b: here };
    dot.fade = true;
  }

  run() {
    if (!this.running && this.active.some((dot) => !dot.frozen)) {
      this.running = true;
      requestAnimationFrame((t) => this.tick(t));
    }
  }

  reroute(dot) {
    const segments = dot.from && dot.to && dot.from !== dot.to ? this.route(dot.from, dot.to) : null;
    if (segments) {
      dot.segments = segments;
      dot.lengths = segments.map(([p]) => p.getTotalLength());
      dot.fixed = null;
      return true;
    }
    const a = this.centre(dot.from) || this.centre(dot.to);
    if (!a) return false;
    const b = dot.to && dot.from !== dot.to ? this.centre(dot.to) : null;
    dot.segments = null;
    dot.fixed = { a, b: b || a };
    return true;
  }

  edge(from, to) {
    return this.edges.get(from + "\u0000" + to);
  }

  // Segments [path, reversed] from one node to another: direct, reversed, or via one hop.
  route(from, to) {
    const direct = this.edge(from, to);
    if (direct) return [[direct, false]];
    const back = this.edge(to, from);
    if (back) return [[back, true]];
    for (const first of this.byFrom.get(from) || []) {
      const second = this.edge(first.dataset.to, to);
      if (second) return [[first, false], [second, false]];
    }
    for (const first of this.byFrom.get(to) || []) {
      const second = this.edge(first.dataset.to, from);
      if (second) return [[second, true], [first, true]];
    }
    return null;
  }

  centre(id) {
    const node = id ? this.nodes.get(id) : null;
    if (!node) return null;
    const box = node.getBBox();
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  }

  play(moves, speed, ms) {
    if (!this.layer || !moves) return;
    const duration = ms || Math.min(2400, Math.max(300, 800 / Math.sqrt(speed || 1)));
    for (const move of moves) {
      if (this.active.length >= MAX_DOTS) break;
      this.launch(move, duration, true);
    }
    this.run();
  }

  launch(move, duration, wait) {
    const el = document.createElementNS(SVG, "circle");
    const dot = { el, from: move.from, to: move.to, fade: !move.to || move.from === move.to, start: null, duration };
    if (!this.reroute(dot)) {
      if (wait) this.waiting.push([move, duration, performance.now()]);
      if (this.waiting.length > MAX_DOTS) this.waiting.shift();
      return;
    }
    const broker = KAFKA_MOVES.has(move.kind) ? "kafka" : "amqp";
    const n = move.n || 1;
    el.setAttribute("r", String(9 + Math.min(6, Math.log2(n))));
    el.setAttribute("class", `dot ${broker} ${move.kind || ""}`);
    if (move.msg) el.setAttribute("data-msg", String(move.msg)); // clickable: inspector.js
    this.layer.appendChild(el);
    this.active.push(dot);
  }

  // Messages delivered and not yet acked sit at the consumer end of their delivery edge;
  // records a group member is processing sit at the member end of its group edge.
  hold(frame) {
    if (!this.layer) return;
    const want = new Map();
    for (const c of (frame.amqp && frame.amqp.consumers) || []) {
      if (c.unacked > 0 && c.queue) want.set("c:" + c.tag, ["q:" + c.queue, Math.min(MAX_HELD, c.unacked), "amqp"]);
    }
    for (const g of (frame.kafka && frame.kafka.groups) || []) {
      for (const m of g.members || []) {
        if (m.processing > 0) want.set("m:" + m.member, ["g:" + g.group_id, Math.min(MAX_HELD, m.processing), "kafka"]);
      }
    }
    for (const [id, circles] of this.held) {
      if (!want.has(id)) {
        for (const el of circles) el.remove();
        this.held.delete(id);
      }
    }
    for (const [id, [source, count, broker]] of want) {
      const path = this.edge(source, id);
      if (!path) continue;
      const circles = this.held.get(id) || [];
      while (circles.length > count) circles.pop().remove();
      const len = path.getTotalLength();
      const gap = Math.min(20, (0.6 * len) / MAX_HELD); // a short edge packs them closer
      while (circles.length < count) {
        const el = document.createElementNS(SVG, "circle");
        const at = path.getPointAtLength(Math.max(0, len - 14 - gap * circles.length));
        el.setAttribute("r", String(Math.min(8, Math.max(5, gap / 2.2))));
        el.setAttribute("class", `dot ${broker} held`);
        el.setAttribute("cx", at.x.toFixed(1));
        el.setAttribute("cy", at.y.toFixed(1));
        this.layer.appendChild(el);
        circles.push(el);
      }
      this.held.set(id, circles);
    }
  }

  // The teacher paused time (mid-step, or in free play): the dots in flight stop where
  // they are and go on from there on Play. Dots launched while paused (Step) still move.
  // Time pausing by itself at a step's end is not a pause to freeze: those dots arrive.
  freeze(on) {
    const now = performance.now();
    if (on && !this.frozenAt) {
      this.frozenAt = now;
      for (const dot of this.active) dot.frozen = true;
    } else if (!on && this.frozenAt) {
      for (const dot of this.active) {
        if (dot.frozen && dot.start !== null) dot.start += now - this.frozenAt;
        dot.frozen = false;
      }
      this.frozenAt = 0;
      this.run();
    }
  }

  tick(now) {
    const keep = [];
    for (const dot of this.active) {
      if (dot.frozen) {
        keep.push(dot);
        continue;
      }
      if (dot.start === null) dot.start = now;
      const t = Math.min(1, (now - dot.start) / dot.duration);
      const point = this.position(dot, t);
      dot.el.setAttribute("cx", point.x.toFixed(1));
      dot.el.setAttribute("cy", point.y.toFixed(1));
      if (dot.fade) dot.el.setAttribute("opacity", (1 - t).toFixed(2));
      if (t < 1) keep.push(dot);
      else dot.el.remove();
    }
    this.active = keep;
    if (keep.some((dot) => !dot.frozen)) requestAnimationFrame((t) => this.tick(t));
    else this.running = false;
  }

  position(dot, t) {
    if (!dot.segments) {
      const { a, b } = dot.fixed;
      return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
    }
    const total = dot.lengths.reduce((s, l) => s + l, 0);
    let along = total * t;
    for (let i = 0; i < dot.segments.length; i++) {
      const [path, reversed] = dot.segments[i];
      const len = dot.lengths[i];
      if (along <= len || i === dot.segments.length - 1) {
        const at = Math.min(len, along);
        return path.getPointAtLength(reversed ? len - at : at);
      }
      along -= len;
    }
    return { x: 0, y: 0 };
  }
}
