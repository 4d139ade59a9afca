"""What a room sees of a scenario in presenter mode, measured in the page.

Shared by tests/browser/test_projector.py and scripts/shots.py (`make shots`): open a
scenario in presenter mode, play each step at the top speed until its claims are judged,
and MEASURE (projector_measure.js) what the viewport shows: whether the claims, Next and
every watched (ringed) element lie inside it, uncovered; whether the document scrolls;
the on-screen size of the diagram's counters and of the narration; which SVG text labels
intersect; how tall an empty broker band is.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.layout import EMPTY_BAND

SPEED = 20.0  # the sandbox's highest speed: steps that play out still end quickly
MIN_PX = 20.0  # counters and narration, at 1280×720
# Steps whose rings span three or four columns of both bands: every ring fits at 1280×720
# only at a zoom where a queue's "N ready · N unacked" cannot reach 20 px inside its box.
# They are held to FLOOR_PX instead; once one reads 20 px, the test says to strike it out.
WIDE_STEPS = {
    ("courier-and-pickup-board", 4): "rings a topic, a group and a queue: both bands",
    ("orchestration-and-choreography", 1): "rings exchange to consumers and a topic",
    ("orchestration-and-choreography", 2): "rings a queue, its consumer and a topic",
}
FLOOR_PX = 16.0

MEASURE = (Path(__file__).parent / "projector_measure.js").read_text()


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
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


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
    out += [f"spill: {s}" for s in m["spills"]]
    if fonts:
        for key in ("count", "offsets", "narration", "claims"):
            if m["fonts"].get(key) is not None and m["fonts"][key] < MIN_PX - 0.05:
                out.append(f"{key} text {m['fonts'][key]:.1f} px < {MIN_PX}")
    for band in m["bands"]:
        if band["nodes"] == 0 and band["units"] > EMPTY_BAND:
            out.append(f"empty {band['broker']} band not collapsed: {band['units']} units tall, "
                       f"{band['share']:.0%} of the diagram")  # fmt: skip
    return out
