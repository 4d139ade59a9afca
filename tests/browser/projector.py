"""What a room sees of a scenario in presenter mode, measured in the page.

Shared by tests/browser/test_projector.py and scripts/shots.py (`make shots`): open a
scenario in presenter mode, play each step at the top speed until its claims are judged, and MEASURE what the viewport shows: whether
the claims, Next and every watched (ringed) element lie inside it, whether the document
scrolls, the on-screen size of the diagram's counters and of the narration, which SVG text
labels intersect and how much of the diagram an empty broker band takes.
"""

from __future__ import annotations

from playground.layout import EMPTY_BAND

SPEED = 20.0  # the sandbox's highest speed: steps that play out still end quickly
MIN_PX = 20.0  # counters and narration, at 1280×720

# Everything is measured in CSS pixels of the viewport. An SVG text's size on screen is its
# computed font-size times the SVG's scale (the viewBox onto the element's box).
MEASURE = r"""() => {
  const vw = window.innerWidth, vh = window.innerHeight;
  const doc = document.scrollingElement || document.documentElement;
  const box = (el) => { const r = el.getBoundingClientRect();
    return {x: r.left, y: r.top, w: r.width, h: r.height, right: r.right, bottom: r.bottom}; };
  const outside = (r) => Math.max(0, -r.x, -r.y, r.right - vw, r.bottom - vh);
  const visible = (el) => el && el.getClientRects().length > 0 &&
    getComputedStyle(el).visibility !== 'hidden';
  const svg = document.getElementById('topology');
  const scale = svg ? svg.getScreenCTM().a : 1;
  const out = {vw, vh, scrollH: doc.scrollHeight, scrollW: doc.scrollWidth,
               scrollable: doc.scrollHeight > vh + 1 || doc.scrollWidth > vw + 1,
               scale, misses: [], overlaps: [], fonts: {}, bands: []};
  const need = [['claims', document.getElementById('narr-claims')],
                ['next', document.getElementById('narr-next')],
                ['narration', document.getElementById('narr-text')],
                ['step-title', document.getElementById('narr-step-title')]];
  for (const ring of document.querySelectorAll('#watch-rings .watch-ring')) need.push(['ring', ring]);
  for (const tag of document.querySelectorAll('#watch-rings .watch-tag')) need.push(['tag', tag]);
  for (const claim of document.querySelectorAll('#narr-claims .claim')) need.push(['claim', claim]);
  for (const [name, el] of need) {
    if (name === 'claims') continue; // each claim is checked
    if (!visible(el)) { out.misses.push({name, why: 'not shown'}); continue; }
    const r = box(el);
    // the claims list: every claim, not only the list's top
    const by = outside(r);
    if (by > 0.5) out.misses.push({name, by: Math.round(by), rect: r,
      what: el.dataset?.for || ''});
    // HTML must not be hidden under, or clipped by, something else: what is at its corners
    if (by <= 0.5 && !el.closest('svg')) {
      for (const [px, py] of [[r.x + 4, r.y + 4], [r.right - 4, r.bottom - 4]]) {
        const at = document.elementFromPoint(px, py);
        if (!at || !(el.contains(at) || at.contains(el))) {
          out.misses.push({name, by: 0, what: `covered at ${Math.round(px)},${Math.round(py)} by ${at ? at.tagName + '.' + at.className : 'nothing'}`});
          break;
        }
      }
    }
  }
  // each watched node: its ring must be drawn
  const rings = document.querySelectorAll('#watch-rings .watch-ring').length;
  out.watched = document.querySelectorAll('#topology g.node.watched').length;
  out.rings = rings;
  const px = (el) => parseFloat(getComputedStyle(el).fontSize) * (el.closest('svg') ? scale : 1);
  const min = (els) => els.length ? Math.min(...els.map(px)) : null;
  const svgBox = svg ? box(svg) : null;
  // an SVG text counts where it is on screen: inside the diagram's box (the zoom crops)
  const svgVisible = (t) => visible(t) && getComputedStyle(t).display !== 'none' &&
    !t.closest('.off') && t.textContent.trim() !== '' && (() => { const r = box(t);
      return r.right > svgBox.x && r.x < svgBox.right && r.bottom > svgBox.y && r.y < svgBox.bottom; })();
  out.fonts.count = min([...document.querySelectorAll('#topology .count')].filter(svgVisible));
  out.fonts.offsets = min([...document.querySelectorAll('#topology .offsets')].filter(svgVisible));
  out.fonts.sub = min([...document.querySelectorAll('#topology .node .sub')].filter(svgVisible));
  out.fonts.label = min([...document.querySelectorAll('#topology .node .label')].filter(svgVisible));
  out.fonts.edge = min([...document.querySelectorAll('#topology .edge-label')].filter(svgVisible));
  out.fonts.narration = min([document.getElementById('narr-text'), document.getElementById('narr-step-title')]
    .filter(visible));
  out.fonts.claims = min([...document.querySelectorAll('#narr-claims .says')].filter(visible));
  // every pair of SVG text labels whose boxes (on screen) intersect by more than 1 px
  const texts = svg ? [...svg.querySelectorAll('text')].filter(svgVisible) : [];
  const rects = texts.map((t) => box(t));
  const name = (t) => `${t.getAttribute('class') || 'text'}:"${t.textContent.trim().slice(0, 30)}"` +
    (t.closest('[data-node]') ? ` in ${t.closest('[data-node]').dataset.node}` : '');
  for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
    const a = rects[i], b = rects[j];
    const ox = Math.min(a.right, b.right) - Math.max(a.x, b.x);
    const oy = Math.min(a.bottom, b.bottom) - Math.max(a.y, b.y);
    if (ox > 1 && oy > 1) out.overlaps.push([name(texts[i]), name(texts[j]), Math.round(ox), Math.round(oy)]);
  }
  // a watch tag must not sit on another node's box
  for (const tag of document.querySelectorAll('#watch-rings .watch-tag')) {
    const t = box(tag);
    const own = tag.dataset.for || '';
    for (const shape of svg.querySelectorAll('g.node .shape, g.node .tape-hit')) {
      const node = shape.closest('[data-node]').dataset.node;
      // its own box, and for a partition the topic box around it, are where it belongs
      if (node === own || (own.startsWith('tp:') && own.startsWith('tp:' + node.slice(2) + ':'))) continue;
      const s = box(shape);
      const ox = Math.min(t.right, s.right) - Math.max(t.x, s.x);
      const oy = Math.min(t.bottom, s.bottom) - Math.max(t.y, s.y);
      if (ox > 1 && oy > 1) out.overlaps.push([`watch-tag:${tag.dataset.for || ''}`,
        `box ${shape.closest('[data-node]').dataset.node}`, Math.round(ox), Math.round(oy)]);
    }
  }
  if (svg) {
    const total = svg.getBoundingClientRect().height;
    out.svgH = Math.round(total);
    for (const band of svg.querySelectorAll('g.band')) {
      const broker = [...band.classList].find((c) => c !== 'band' && c !== 'kept');
      const nodes = svg.querySelectorAll(`g.node.${broker}`).length;
      out.bands.push({broker, nodes, h: Math.round(band.getBoundingClientRect().height),
                      units: Number(band.querySelector('.band-bg').getAttribute('height')),
                      share: +(band.getBoundingClientRect().height / total).toFixed(2)});
    }
  }
  return out;
}"""


def open_presenting(page, server: str, slug: str) -> None:
    """A fresh sandbox of `slug`, opened from the gallery, in presenter mode, live."""
    page.goto(server + "/")
    page.locator(f".scenario-card[data-slug='{slug}'] button.open").click()
    page.wait_for_url("**/s/*/", timeout=40_000)
    page.goto(page.url.split("?")[0] + "?present=1")
    page.wait_for_selector("body.presenting #conn[data-state='live']")
    page.wait_for_selector("#narration:not([hidden])")
    page.evaluate(
        """(s) => new Promise((done) => {
          document.addEventListener('bp:frame', function seen(e) {
            if (e.detail.speed === s) { document.removeEventListener('bp:frame', seen); done(); }
          });
          document.getElementById('speed-value').value = String(s);
          document.getElementById('speed').dispatchEvent(new Event('change', {bubbles: true}));
        })""",
        SPEED,
    )


def finish_step(page, k: int, timeout: float = 40_000) -> None:
    """Play step k (0-based) to its end at SPEED and wait for its claims to be judged.

    One Next only: a second Next finishes a playing step at once, but pressed just after
    the step ended on its own it starts the next one (at 20× most steps take under 2 s)."""
    page.click("#narr-next")
    page.wait_for_function(
        """(k) => { const n = document.getElementById('narration');
                    return n.dataset.index === String(k) && n.dataset.playing === '0'
                      && !document.querySelector('#narr-claims .claim.pending'); }""",
        arg=k,
        timeout=timeout,
    )
    settle(page)


def settle(page) -> None:
    """Wait until the diagram's swaps and the rings are done and two frames are painted."""
    page.wait_for_function(
        """() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')"""
    )
    page.evaluate(
        "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )


def measure(page) -> dict:
    return page.evaluate(MEASURE)


def problems(m: dict, fonts: bool = True) -> list[str]:
    """What breaks the projector rule in one measurement ([] when it holds)."""
    out = []
    if m["scrollable"]:
        out.append(f"the page scrolls: {m['scrollW']}×{m['scrollH']} in {m['vw']}×{m['vh']}")
    out += [f"{x['name']} {x.get('what', '')} outside the viewport by {x.get('by', '?')} px"
            for x in m["misses"]]  # fmt: skip
    if m["rings"] < m["watched"]:
        out.append(f"{m['watched']} watched nodes but {m['rings']} rings")
    out += [f"overlap: {a} × {b} ({ox}×{oy} px)" for a, b, ox, oy in m["overlaps"]]
    if fonts:
        for key in ("count", "offsets", "narration", "claims"):
            if m["fonts"].get(key) is not None and m["fonts"][key] < MIN_PX - 0.05:
                out.append(f"{key} text {m['fonts'][key]:.1f} px < {MIN_PX}")
    for band in m["bands"]:
        if band["nodes"] == 0 and band["units"] > EMPTY_BAND:
            out.append(f"empty {band['broker']} band not collapsed: {band['units']} units tall, "
                       f"{band['share']:.0%} of the diagram")  # fmt: skip
    return out
