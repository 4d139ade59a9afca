// The Code panel: switch between the pika and kafka-python scripts, and copy the one
// shown (navigator.clipboard, else select the text so Ctrl+C copies it).
const panel = document.getElementById("code-panel");

function shown() {
  return panel.querySelector("pre.code:not([hidden])");
}

function say(text) {
  const note = panel.querySelector(".copied");
  if (note) note.textContent = text;
}

function selectText(pre) {
  const range = document.createRange();
  range.selectNodeContents(pre);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

async function copy() {
  const pre = shown();
  if (!pre) return;
  try {
    await navigator.clipboard.writeText(pre.textContent);
    say("Copied.");
  } catch {
    selectText(pre);
    say("Selected: press Ctrl+C to copy.");
  }
}

if (panel) {
  panel.addEventListener("click", (event) => {
    const tab = event.target.closest("button.code-tab[data-code]");
    if (tab) {
      for (const b of panel.querySelectorAll("button.code-tab")) {
        const on = b === tab;
        b.classList.toggle("current", on);
        b.setAttribute("aria-selected", on ? "true" : "false");
      }
      for (const pre of panel.querySelectorAll("pre.code")) pre.hidden = pre.dataset.code !== tab.dataset.code;
      say("");
      return;
    }
    if (event.target.closest("button.code-copy")) copy();
  });
}
