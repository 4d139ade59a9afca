// What a room sees of the sandbox page, measured (tests/browser/projector.py reads this
// file and runs it with page.evaluate). CSS pixels of the viewport throughout; an SVG
// text's size on screen is its computed font-size times the SVG's scale.
() => {
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
  const need = [['next', document.getElementById('narr-next')],
                ['narration', document.getElementById('narr-text')],
                ['step-title', document.getElementById('narr-step-title')]];
  for (const ring of document.querySelectorAll('#watch-rings .watch-ring')) need.push(['ring', ring]);
  for (const tag of document.querySelectorAll('#watch-rings .watch-tag')) need.push(['tag', tag]);
  for (const claim of document.querySelectorAll('#narr-claims .claim')) need.push(['claim', claim]);
  for (const [name, el] of need) {
    if (!visible(el)) { out.misses.push({name, why: 'not shown'}); continue; }
    const r = box(el);
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
  // a node's words stay inside its box (a grown counter, a long name)
  out.spills = [];
  if (svg) for (const g of svg.querySelectorAll('g.node')) {
    const shape = g.querySelector('.shape, .tape-hit');
    if (!shape) continue;
    const s = box(shape);
    for (const t of g.querySelectorAll(':scope > text')) {
      if (!svgVisible(t)) continue;
      const r = box(t);
      const by = Math.max(s.x - r.x, r.right - s.right);
      if (by > 1) out.spills.push(`${name(t)} past its box by ${Math.round(by)} px`);
    }
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
}
