// The backend selector: on a real broker, step and speed are disabled (real time only),
// and the broker's connection state comes from each frame's `status`. A click on the
// switch's messages (they float under the top bar) puts them away.
const REAL_ONLY = "Needs the simulator's virtual clock: a real broker runs in real time.";

export class BackendState {
  constructor() {
    this.apply();
    document.body.addEventListener("htmx:afterSettle", () => this.apply());
    document.addEventListener("click", (event) => {
      const msgs = event.target instanceof Element ? event.target.closest(".backend-msgs") : null;
      if (msgs) msgs.hidden = true;
    });
  }

  apply() {
    const form = document.getElementById("backend-switch");
    const real = form?.dataset.real === "1";
    for (const id of ["step", "speed"]) {
      const el = document.getElementById(id);
      if (!el) continue;
      if (el.dataset.title === undefined) el.dataset.title = el.getAttribute("title") || "";
      el.disabled = real;
      el.setAttribute("title", real ? REAL_ONLY : el.dataset.title);
    }
    this.state = document.getElementById("broker-state");
    this.real = real;
  }

  update(frame) {
    const el = this.state;
    if (!el || !this.real || !frame.status) return;
    const { state, detail } = frame.status;
    el.hidden = false;
    el.dataset.state = state;
    if (state === "connected") el.textContent = "● broker up"; // short: the top bar holds one line at 1280 px
    else if (state === "connecting") el.textContent = "broker connecting…";
    else el.textContent = "broker down · retrying";
    el.setAttribute("title", detail || "");
  }
}
