// Time controls: play, pause, step, speed (log scale 0.1×–20×), clock and seed; keyboard
// shortcuts for speakers (space, →, ←, f). The buttons post through htmx (see sandbox.html).
// The clock and the flag follow every frame (a frame comes each tick while time runs).
// The shortcuts (here and in presenter.js) wait while a control has the focus, so space
// and Enter press a focused button or open a focused menu, as a keyboard user expects.
const MIN = 0.1;
const MAX = 20;
const CONTROLS = "button, summary, a[href], input, select, textarea, [contenteditable]:not([contenteditable='false'])";

// The slider runs 0–100 on a log scale, so 1× sits near the middle (views.speed_position).
export function speedAt(position) {
  return Math.round(MIN * Math.pow(MAX / MIN, position / 100) * 10) / 10 || MIN;
}

export function positionOf(speed) {
  return Math.round((100 * Math.log(speed / MIN)) / Math.log(MAX / MIN));
}

export function speedLabel(speed) {
  return (speed >= 10 ? speed.toFixed(0) : speed.toFixed(1).replace(/\.0$/, "")) + "×";
}

// Whether a key pressed on `target` belongs to it (a button, a menu, a link, a field),
// not to the page's shortcuts. The page body and the diagram's nodes are not controls.
export function onControl(target) {
  return target instanceof Element && Boolean(target.closest(CONTROLS));
}

// ← goes back one narration step; with no scenario (or at its start) it says why not.
export function stepBack(frame) {
  const sc = frame && frame.scenario;
  const back = document.getElementById("narr-back");
  if (sc && back && !back.disabled) {
    back.click();
    return;
  }
  const flash = document.getElementById("flash");
  if (!flash) return;
  const p = document.createElement("p");
  p.setAttribute("class", "flash-msg note");
  p.setAttribute("role", "status");
  p.textContent = sc
    ? "← goes back one step: this is the scenario's start, there is no step before it."
    : "← steps back through a scenario's steps; free play cannot rewind yet (Reset starts over, or open a scenario from the start page).";
  flash.replaceChildren(p);
}

export class Controls {
  constructor() {
    this.play = document.getElementById("play");
    this.pause = document.getElementById("pause");
    this.step = document.getElementById("step");
    this.slider = document.getElementById("speed");
    this.output = document.getElementById("speed-out");
    this.hidden = document.getElementById("speed-value");
    this.clock = document.getElementById("clock");
    this.seed = document.getElementById("seed");
    this.flag = document.getElementById("paused-flag");
    this.behind = document.getElementById("behind-flag");
    this.behindUntil = 0;
    this.toggle = document.getElementById("toggle-panel");
    this.dragging = false;
    this.slider?.addEventListener("input", () => {
      this.dragging = true;
      const speed = speedAt(Number(this.slider.value));
      this.hidden.value = String(speed);
      this.output.textContent = speedLabel(speed);
    });
    this.slider?.addEventListener("change", () => {
      this.dragging = false;
      // frames made before the server took the new speed still say the old one: they
      // must not put the slider back (a second + or − would then start from it)
      this.asked = { speed: Number(this.hidden.value), until: performance.now() + 3000 };
    });
    this.toggle?.addEventListener("click", () => this.fullView());
    document.addEventListener("keydown", (event) => this.key(event));
  }

  fullView() {
    const on = document.body.classList.toggle("full-view");
    this.toggle.setAttribute("aria-pressed", String(on));
    this.toggle.textContent = on ? "Show panel" : "Full view";
    window.dispatchEvent(new Event("resize"));
  }

  key(event) {
    if (onControl(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === " ") {
      event.preventDefault();
      (this.paused ? this.play : this.pause)?.click();
    } else if (event.key === "ArrowRight") {
      event.preventDefault();
      this.step?.click();
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      stepBack(this.frame);
    } else if (event.key === "f") {
      this.fullView();
    }
  }

  update(frame) {
    this.frame = frame;
    this.paused = Boolean(frame.paused);
    this.play?.classList.toggle("active", !this.paused);
    this.pause?.classList.toggle("active", this.paused);
    if (this.flag) this.flag.hidden = !this.paused;
    if (this.behind) {
      // shown while the engine falls behind its speed, and a second after (no flicker)
      if (frame.behind) this.behindUntil = performance.now() + 1000;
      this.behind.hidden = this.paused || performance.now() > this.behindUntil;
    }
    if (this.clock) this.clock.textContent = Number(frame.now || 0).toFixed(3);
    if (this.seed && frame.seed !== undefined) this.seed.textContent = String(frame.seed);
    const asked = this.asked;
    if (asked && (frame.speed === asked.speed || performance.now() > asked.until)) this.asked = null;
    if (this.slider && !this.dragging && !this.asked && typeof frame.speed === "number" && document.activeElement !== this.slider) {
      const speed = Math.min(MAX, Math.max(MIN, frame.speed));
      const position = positionOf(speed);
      if (Number(this.slider.value) !== position) this.slider.value = String(position);
      this.hidden.value = String(speed);
      this.output.textContent = speedLabel(speed);
    }
  }
}
