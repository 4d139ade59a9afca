// Queue depth and group lag over (virtual) time, drawn with the pinned uPlot. Each frame
// adds a point; a frame's "chart" (after a scenario's replay: Back, a reload) replaces the
// history with the samples the runtime kept, so the chart shows what it showed then.
const MAX_POINTS = 600;
const REDRAW_MS = 250;
const LAG_COLOURS = ["#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#d55e00"];
const DEPTH_COLOURS = ["#d55e00", "#a04400", "#f08a4b", "#7a3300", "#e69f00", "#b85c2e"];

export class Chart {
  constructor(el) {
    this.el = el;
    this.keys = [];
    this.times = [];
    this.values = new Map();
    this.plot = null;
    this.last = 0;
    this.trailing = null; // the redraw waiting for REDRAW_MS to pass
    this.lastNow = null;
    // the panel changes width without a window resize too (full view, the inspector column)
    if (el) new ResizeObserver(() => this.resize()).observe(el);
  }

  push(series) {
    if (!series || !this.el) return;
    const now = Number(series.now || 0);
    if (this.lastNow !== null && now < this.lastNow) this.reset();
    if (now === this.lastNow) return;
    this.lastNow = now;
    const keys = [
      ...Object.keys(series.depth || {}).map((q) => "depth\u0000" + q),
      ...Object.keys(series.lag || {}).map((g) => "lag\u0000" + g),
    ];
    for (const key of keys) {
      if (!this.values.has(key)) this.values.set(key, this.times.map(() => null));
    }
    this.times.push(now);
    for (const [key, list] of this.values) {
      const [kind, name] = key.split("\u0000");
      const source = kind === "lag" ? series.lag : series.depth;
      list.push(source && name in source ? source[name] : null);
      if (list.length > MAX_POINTS) list.shift();
    }
    if (this.times.length > MAX_POINTS) this.times.shift();
    const changed = keys.length !== this.keys.length || keys.some((k, i) => k !== this.keys[i]);
    if (changed) {
      this.keys = keys;
      this.build();
    } else {
      this.redraw();
    }
  }

  replace(chart) {
    if (!chart || !this.el) return;
    this.reset();
    this.times = (chart.t || []).slice(-MAX_POINTS);
    const cut = (chart.t || []).length - this.times.length;
    for (const [kind, columns] of [["depth", chart.depth], ["lag", chart.lag]]) {
      for (const [name, list] of Object.entries(columns || {})) {
        this.values.set(kind + "\u0000" + name, list.slice(cut));
      }
    }
    this.keys = [...this.values.keys()];
    this.lastNow = this.times.length ? this.times[this.times.length - 1] : null;
    this.build();
  }

  reset() {
    this.times = [];
    this.values.clear();
    this.keys = [];
    this.lastNow = null;
    // the old plot has a series per old key: fed the new, shorter data it would throw
    this.plot?.destroy();
    this.plot = null;
  }

  data() {
    return [this.times, ...this.keys.map((k) => this.values.get(k))];
  }

  build() {
    if (!window.uPlot) return;
    if (this.plot) this.plot.destroy();
    this.el.replaceChildren();
    if (!this.keys.length) {
      const p = document.createElement("p");
      p.className = "note";
      p.textContent = "Add a queue or a consumer group to chart its depth or lag.";
      this.el.appendChild(p);
      this.plot = null;
      return;
    }
    let lagIndex = 0;
    let depthIndex = 0;
    const series = [{ label: "t (s)" }];
    for (const key of this.keys) {
      const [kind, name] = key.split("\u0000");
      const lag = kind === "lag";
      const colour = lag
        ? LAG_COLOURS[lagIndex++ % LAG_COLOURS.length]
        : DEPTH_COLOURS[depthIndex++ % DEPTH_COLOURS.length];
      series.push({
        label: (lag ? "lag " : "depth ") + name,
        stroke: colour,
        width: 3,
        dash: lag ? undefined : [8, 4],
        spanGaps: false,
        points: { show: false },
      });
    }
    const options = {
      width: Math.max(300, this.el.clientWidth),
      height: 220,
      scales: { x: { time: false } },
      axes: [
        { label: "virtual time (s)", font: "15px sans-serif", labelFont: "15px sans-serif" },
        { label: "messages", font: "15px sans-serif", labelFont: "15px sans-serif" },
      ],
      legend: { live: false },
      series,
    };
    this.plot = new window.uPlot(options, this.data(), this.el);
    this.el.dataset.drawnTo = String(this.times.length ? this.times[this.times.length - 1] : "");
  }

  redraw() {
    if (!this.plot) return this.build();
    const now = performance.now();
    if (now - this.last < REDRAW_MS) {
      // at most one redraw per REDRAW_MS, but the last frame's is not dropped: a step that
      // ends (time paused, no more frames) within it would leave the chart behind the clock
      if (!this.trailing) {
        this.trailing = setTimeout(() => {
          this.trailing = null;
          this.redraw();
        }, REDRAW_MS - (now - this.last));
      }
      return;
    }
    this.last = now;
    this.plot.setData(this.data());
    this.el.dataset.drawnTo = String(this.times.length ? this.times[this.times.length - 1] : "");
  }

  resize() {
    if (this.plot) this.plot.setSize({ width: Math.max(300, this.el.clientWidth), height: 220 });
  }
}
