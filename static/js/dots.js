// Message dots travelling along the diagram's edges, driven by a frame's "moves".
const SVG = "http://www.w3.org/2000/svg";
const MAX_DOTS = 80;
const KAFKA_MOVES = new Set(["appended", "fetched", "committed", "produce_failed"]);

export class Dots {
  constructor() {
    this.active = [];
    this.edges = new Map();
    this.byFrom = new Map();
    this.nodes = new Map();
    this.running = false;
    this.rescan();
  }

  rescan() {
    this.svg = document.getElementById("topology");
    this.layer = this.svg ? this.svg.querySelector("#dots") : null;
    this.edges.clear();
    this.byFrom.clear();
    this.nodes.clear();
    if (!this.svg) return;
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
    for (const dot of this.active) dot.el.remove();
    this.active = [];
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
    const node = this.nodes.get(id);
    if (!node) return null;
    const box = node.getBBox();
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  }

  play(moves, speed) {
    if (!this.layer || !moves) return;
    const duration = Math.min(2400, Math.max(300, 800 / Math.sqrt(speed || 1)));
    for (const move of moves) {
      if (this.active.length >= MAX_DOTS) break;
      this.launch(move, duration);
    }
    if (!this.running && this.active.length) {
      this.running = true;
      requestAnimationFrame((t) => this.tick(t));
    }
  }

  launch(move, duration) {
    const from = move.from;
    const to = move.to;
    let segments = from && to && from !== to ? this.route(from, to) : null;
    let fixed = null;
    if (!segments) {
      const a = this.centre(from) || this.centre(to);
      if (!a) return;
      const b = to && from !== to ? this.centre(to) : null;
      fixed = { a, b: b || a };
    }
    const dot = document.createElementNS(SVG, "circle");
    const broker = KAFKA_MOVES.has(move.kind) ? "kafka" : "amqp";
    const n = move.n || 1;
    dot.setAttribute("r", String(9 + Math.min(6, Math.log2(n))));
    dot.setAttribute("class", `dot ${broker} ${move.kind || ""}`);
    if (move.msg) dot.setAttribute("data-msg", String(move.msg)); // clickable: inspector.js
    this.layer.appendChild(dot);
    const lengths = segments ? segments.map(([p]) => p.getTotalLength()) : [];
    this.active.push({
      el: dot,
      segments,
      lengths,
      fixed,
      fade: !to || from === to,
      start: null,
      duration,
      target: to,
    });
  }

  tick(now) {
    const keep = [];
    for (const dot of this.active) {
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
    if (keep.length) requestAnimationFrame((t) => this.tick(t));
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
