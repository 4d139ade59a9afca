// The event log: newest at the bottom, filtered by text and kind. User data goes in
// through textContent only.
const MAX_LINES = 500;
const BAD = new Set([
  "unroutable", "returned", "nacked", "rejected", "dead_lettered", "expired", "dropped",
  "lost", "produce_failed", "member_crashed", "consumer_crashed",
]);
const SKIP = new Set(["t", "kind", "broker"]);

function summary(event) {
  const parts = [];
  for (const [key, value] of Object.entries(event)) {
    if (SKIP.has(key) || value === null || value === undefined || value === "") continue;
    let text = typeof value === "object" ? JSON.stringify(value) : String(value);
    if (text.length > 120) text = text.slice(0, 119) + "…";
    parts.push(`${key}=${text}`);
  }
  return parts.join("  ");
}

export class EventLog {
  constructor({ list, text, kind, more, clear }) {
    this.list = list;
    this.text = text;
    this.kind = kind;
    this.more = more;
    this.kinds = new Set();
    this.skipped = 0;
    text?.addEventListener("input", () => this.refilter());
    kind?.addEventListener("change", () => this.refilter());
    clear?.addEventListener("click", () => {
      this.list.replaceChildren();
      this.skipped = 0;
      this.showMore();
    });
  }

  matches(li) {
    const kind = this.kind?.value || "";
    const text = (this.text?.value || "").trim().toLowerCase();
    return (!kind || li.dataset.kind === kind) && (!text || li.dataset.text.includes(text));
  }

  refilter() {
    for (const li of this.list.children) li.hidden = !this.matches(li);
    this.list.scrollTop = this.list.scrollHeight;
  }

  showMore() {
    if (this.more) this.more.textContent = this.skipped ? `+${this.skipped} more not shown` : "";
  }

  add(events, more) {
    if (!this.list || (!events?.length && !more)) return;
    const stick = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 30;
    const fragment = document.createDocumentFragment();
    for (const event of events || []) fragment.appendChild(this.line(event));
    this.list.appendChild(fragment);
    while (this.list.children.length > MAX_LINES) this.list.firstElementChild.remove();
    this.skipped += more || 0;
    this.showMore();
    if (stick) this.list.scrollTop = this.list.scrollHeight;
  }

  line(event) {
    const li = document.createElement("li");
    const kind = String(event.kind || "event");
    const t = document.createElement("span");
    t.className = "t";
    t.textContent = Number(event.t || 0).toFixed(3);
    const k = document.createElement("span");
    k.className = "k";
    k.textContent = kind;
    const d = document.createElement("span");
    d.className = "d";
    d.textContent = summary(event);
    li.append(t, k, d);
    li.className = (event.broker === "kafka" ? "kafka" : "amqp") + (BAD.has(kind) ? " bad" : "");
    li.dataset.kind = kind;
    const msg = event.msg || (event.msgs && event.msgs[0]);
    if (msg) li.dataset.msg = String(msg); // a click opens its journey (inspector.js)
    li.dataset.text = (kind + " " + d.textContent).toLowerCase();
    li.title = d.textContent;
    li.hidden = !this.matches(li);
    this.addKind(kind);
    return li;
  }

  addKind(kind) {
    if (this.kinds.has(kind) || !this.kind) return;
    this.kinds.add(kind);
    const option = document.createElement("option");
    option.value = kind;
    option.textContent = kind;
    this.kind.appendChild(option);
  }
}
