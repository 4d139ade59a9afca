// Presenter mode and the classroom's keys: a large, keyboard-only view for a projector.
// Toggle with the ▣ Present button, the p key or ?present=1. In presenter mode:
// space play/pause, → next narration step (one event when no scenario), ← back,
// + / − speed, f full screen; everywhere: ? help, Esc closes it. Keys other than Esc are
// ignored while a button, menu, link or field has the focus (controls.onControl). The Share
// panel and the top bar's menus are menus.js.
import { onControl, positionOf, stepBack } from "./controls.js";

const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20];
const $ = (id) => document.getElementById(id);
const body = document.body;
const toggle = $("present-toggle");
const help = $("help");
let latest = null;
let helpReturn = null;

document.addEventListener("bp:frame", (event) => {
  latest = event.detail;
});

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

toggle?.addEventListener("click", () => setPresenting(!body.classList.contains("presenting")));
$("help-open")?.addEventListener("click", openHelp);
$("help-close")?.addEventListener("click", closeHelp);

if (new URLSearchParams(location.search).get("present") === "1") setPresenting(true);
