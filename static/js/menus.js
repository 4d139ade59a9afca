// The top bar's menus and Share panel (partials/topbar_menus.html, class_bar.html). The
// menus are <details>, so Enter, space and a click open them without this file; here: one
// open at a time, Escape or a click elsewhere closes it (the focus goes back to its button),
// Tab past the last item closes it, and a chosen item closes its menu. An item with
// data-reveal brings a side-panel section into view, leaving full view first. The Share
// panel: its button opens and closes it, so do Close, Escape and a click elsewhere; Copy.
const $ = (id) => document.getElementById(id);
const share = $("share-panel");
const shareOpener = $("share-open");

function menus() {
  return document.querySelectorAll("header.topbar details.menu");
}

function closeMenu(menu) {
  if (!menu.open) return;
  menu.open = false;
  if (menu.contains(document.activeElement)) menu.querySelector("summary")?.focus();
}

function setShare(open) {
  if (!share) return;
  share.hidden = !open;
  shareOpener?.setAttribute("aria-expanded", String(open));
  if (!open && share.contains(document.activeElement)) shareOpener?.focus();
}

function reveal(selector) {
  const panel = document.querySelector(selector);
  if (!panel) return;
  if (document.body.classList.contains("full-view")) $("toggle-panel")?.click();
  if (panel instanceof HTMLDetailsElement) panel.open = true;
  panel.scrollIntoView({ block: "nearest" });
  panel.querySelector("summary, button, a[href], input")?.focus({ preventScroll: true });
  panel.classList.add("revealed");
  setTimeout(() => panel.classList.remove("revealed"), 1500);
}

function choose(item, event) {
  const menu = item.closest("details.menu");
  if (item.dataset.reveal) {
    event.preventDefault();
    reveal(item.dataset.reveal);
  }
  // after the item's own listeners and default action (a download, a form post, htmx)
  setTimeout(() => closeMenu(menu), 0);
}

function copy(button) {
  const field = document.querySelector(button.dataset.copy);
  field?.select();
  navigator.clipboard?.writeText(field?.value || "").then(
    () => (button.textContent = "Copied ✓"),
    () => (button.textContent = "Select + Ctrl+C"),
  );
}

// <details> fires a toggle that does not bubble: listen while it goes down.
document.addEventListener(
  "toggle",
  (event) => {
    const opened = event.target;
    if (!(opened instanceof HTMLDetailsElement) || !opened.matches(".menu") || !opened.open) return;
    for (const menu of menus()) if (menu !== opened) menu.open = false;
    setShare(false);
  },
  true,
);

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target?.isConnected) return; // swapped out by htmx meanwhile: where it was is unknown
  for (const menu of menus()) if (menu.open && !menu.contains(target)) menu.open = false;
  const item = target.closest("details.menu .menu-item");
  if (item) choose(item, event);
  if (target.closest("#share-open")) setShare(Boolean(share?.hidden));
  else if (share && !share.hidden && !share.contains(target)) setShare(false);
  // data-close and data-copy hold a selector; an empty one names nothing (and would throw)
  const closer = target.closest("[data-close]:not([data-close=''])");
  if (closer) {
    const panel = document.querySelector(closer.dataset.close);
    if (panel === share) setShare(false);
    else panel?.setAttribute("hidden", "");
  }
  const copier = target.closest("[data-copy]:not([data-copy=''])");
  if (copier) copy(copier);
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const open = [...menus()].filter((menu) => menu.open);
  for (const menu of open) closeMenu(menu);
  if (share && !share.hidden) setShare(false);
  else if (!open.length) return;
  event.preventDefault();
});

// Tab out of an open menu closes it (a click elsewhere is the listener above).
document.addEventListener("focusout", (event) => {
  const menu = event.target instanceof Element ? event.target.closest("details.menu") : null;
  const next = event.relatedTarget;
  if (menu?.open && next instanceof Node && !menu.contains(next)) menu.open = false;
});
