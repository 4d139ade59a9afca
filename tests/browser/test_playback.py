"""Narrated steps as the room sees them: motion over every step of every scenario, claims
judged at each step's end, the drifted-step rule, ← in free play, the clock following
the frames, the chart after Back, and scenarios on the real brokers from the page.

Motion is sampled from the page every 100 ms while the narration says the step plays:
the fraction of samples with a dot on the diagram (travelling an edge, or a message held
at a consumer) must be over MOTION. A step whose frames carried no move at all has
nothing to show, honestly: it must then be fast-forwarded (the narration says so) and
short. The scenarios play at SPEED (2×, so the gallery's 311 virtual seconds take about
two minutes; a step is bounded by STEP_LIMIT_MS). Numbers go to artifacts/browser/
motion.json, screenshots beside them.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from sandbox.scenarios import list_scenarios, load
from tests.browser.conftest import SHOTS

pytestmark = pytest.mark.browser

SLUGS = [m["slug"] for m in list_scenarios()]
SPEED = 2.0
MOTION = 0.5  # "most of the step's wall time"
STEP_LIMIT_MS = 30_000
QUIET_STEP_MS = 2_000  # a step with nothing moving is fast-forwarded through
RECORD = """() => {
  window.bpFrames = [];
  document.addEventListener('bp:frame', (e) => window.bpFrames.push(e.detail));
}"""
# Press Next and sample the page every 100 ms until step k has ended (or the limit).
PLAY_STEP = """([k, limit]) => new Promise((done) => {
  const narration = document.getElementById('narration');
  const samples = [];
  window.bpFrames = [];
  const t0 = performance.now();
  document.getElementById('narr-next').click();
  const timer = setInterval(() => {
    const playing = narration.dataset.index === String(k) && narration.dataset.playing === '1';
    if (playing) samples.push(document.querySelectorAll('#dots circle').length);
    const ended = narration.dataset.index === String(k) && narration.dataset.playing === '0';
    const late = performance.now() - t0 > limit;
    if (ended || late) {
      clearInterval(timer);
      const mine = window.bpFrames.filter(
        (f) => f.scenario && f.scenario.index === k && f.scenario.playing);
      done({
        ended, wall: performance.now() - t0, samples,
        moves: mine.reduce((n, f) => n + f.moves.length, 0),
        fast: mine.some((f) => f.scenario.playing.phase === 'fast'),
      });
    }
  }, 100);
})"""


def open_scenario(page, server: str, slug: str, backend: str = "") -> None:
    page.goto(server + "/")
    card = page.locator(f".scenario-card[data-slug='{slug}']")
    card.locator(f"button[value='{backend}']" if backend else "button.open").click()
    page.wait_for_url("**/s/*/", timeout=40_000)
    page.wait_for_selector("#conn[data-state='live']")
    page.wait_for_selector("#narration:not([hidden])")
    page.evaluate(RECORD)


def set_speed(page, speed: float) -> None:
    page.evaluate(
        """(s) => { document.getElementById('speed-value').value = String(s);
                    const slider = document.getElementById('speed');
                    slider.dispatchEvent(new Event('change', {bubbles: true})); }""",
        speed,
    )
    page.wait_for_function(
        "(s) => window.bpFrames.some((f) => f.speed === s)", arg=speed, timeout=10_000
    )


def wait_ended(page, index: int, timeout: float = 30_000) -> None:
    page.wait_for_function(
        """(k) => { const n = document.getElementById('narration');
                    return n.dataset.index === String(k) && n.dataset.playing === '0'; }""",
        arg=index,
        timeout=timeout,
    )


def claims(page) -> dict[str, int]:
    return {
        state: page.locator(f"#narr-claims .claim.{state}").count()
        for state in ("ok", "bad", "skipped", "pending")
    }


def motion_problem(slug: str, k: int, r: dict) -> str:
    """Why step k's motion fails the rule ("" when it holds)."""
    where = f"{slug} step {k + 1}"
    if not r["ended"]:
        return f"{where} did not end within {STEP_LIMIT_MS} ms"
    if r["moves"] == 0:
        if not r["fast"] or r["wall"] > QUIET_STEP_MS:
            return f"{where}: nothing moved, yet it took {r['wall']:.0f} ms (fast: {r['fast']})"
        return ""
    seen = [n > 0 for n in r["samples"]]
    if not seen:
        return f"{where}: {r['moves']} moves but not one sample while it played"
    share = sum(seen) / len(seen)
    if share <= MOTION:
        return f"{where}: dots in {share:.0%} of {len(seen)} samples ({r['moves']} moves)"
    return ""


@pytest.mark.parametrize("slug", SLUGS)
def test_every_step_moves_while_it_plays_and_is_judged_at_its_end(new_page, live_server_url, slug):
    page = new_page(1600, 1000)
    open_scenario(page, live_server_url, slug)
    set_speed(page, SPEED)
    problems, numbers = [], []
    for k, step in enumerate(load(slug).steps):
        r = page.evaluate(PLAY_STEP, [k, STEP_LIMIT_MS])
        seen = [n > 0 for n in r["samples"]]
        numbers.append(
            {
                "step": k + 1,
                "virtual_s": step.at - (load(slug).steps[k - 1].at if k else 0.0),
                "wall_s": round(r["wall"] / 1000, 2),
                "samples": len(seen),
                "with_dots": round(sum(seen) / len(seen), 2) if seen else None,
                "moves": r["moves"],
                "fast_forward": r["fast"],
            }
        )
        problems.append(motion_problem(slug, k, r))
        judged = claims(page)
        assert judged["pending"] == 0 and judged["ok"] == len(step.claims), (k, judged)
        if k == 0:
            page.screenshot(path=str(SHOTS / f"playback-{slug}-end.png"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = SHOTS / "motion.json"
    table = json.loads(out.read_text()) if out.exists() else {}
    out.write_text(json.dumps({**table, slug: numbers}, indent=1))
    assert [p for p in problems if p] == []
    assert not page.errors


def test_a_step_shows_it_is_playing_and_its_claims_wait_for_its_end(new_page, live_server_url):
    page = new_page(1600, 1000)
    open_scenario(page, live_server_url, "ack-crash-redelivery")
    page.click("#narr-next")
    page.click("#narr-next")  # the first step, finished at once
    wait_ended(page, 0)
    page.click("#narr-next")  # step 2: the crash at 1.5 s, then 0.5 s more
    page.wait_for_selector("#narration[data-playing='1'][data-index='1']")
    assert page.locator("#narr-playing").is_visible()
    assert claims(page)["pending"] == 4 and page.text_content("#narr-next") == "Finish step ›"
    page.screenshot(path=str(SHOTS / "playback-playing.png"))
    wait_ended(page, 1)
    assert page.locator("#narr-playing").is_hidden()
    assert claims(page) == {"ok": 4, "bad": 0, "skipped": 0, "pending": 0}
    assert not page.errors


FLYING = """() => [...document.querySelectorAll('#dots circle:not(.held)')]
  .map((c) => `${c.getAttribute('cx')},${c.getAttribute('cy')}`).sort().join(' ')"""
LAST_FRAME = """() => { const f = window.bpFrames[window.bpFrames.length - 1];
  return f && f.paused === %s && f.scenario && f.scenario.playing !== null; }"""


def test_pause_mid_step_freezes_the_dots_and_the_step_and_play_goes_on(new_page, live_server_url):
    """The teacher pauses in the middle of a step to explain a dot: the dots in flight stop
    where they are (they used to fly on and vanish), the step's bar stops, Play goes on."""
    page = new_page(1280, 720)
    open_scenario(page, live_server_url, "courier-and-pickup-board")
    page.click("#narr-next")
    page.wait_for_selector("#narration[data-playing='1']")
    frozen = ""
    for _ in range(5):  # pause with dots in flight (between two publishes there may be none)
        page.wait_for_function(f"() => ({FLYING})().length > 0")
        page.click("#pause")
        page.wait_for_function(LAST_FRAME % "true")
        frozen = page.evaluate(FLYING)
        if frozen:
            break
        page.click("#play")
        page.wait_for_function(LAST_FRAME % "false")
    assert frozen, "no dot was in flight when paused"
    bar = page.get_attribute("#narr-bar", "value")
    page.wait_for_timeout(1200)  # longer than a dot's 0.8 s flight
    assert page.evaluate(FLYING) == frozen and page.get_attribute("#narr-bar", "value") == bar
    assert page.get_attribute("#narration", "data-playing") == "1"
    page.locator("#topology").scroll_into_view_if_needed()  # the dots, not the form
    page.screenshot(path=str(SHOTS / "playback-paused-mid-step-1280.png"))
    page.click("#play")
    page.wait_for_function(f"(was) => ({FLYING})() !== was", arg=frozen)
    wait_ended(page, 0)
    assert claims(page) == {"ok": 4, "bad": 0, "skipped": 0, "pending": 0}
    assert not page.errors


def test_free_play_between_steps_is_replayed_first_and_said(new_page, live_server_url):
    """Next -> Play 3 s -> Next once gave three unexplained ✗; now the step replays first."""
    page = new_page(1600, 1000)
    open_scenario(page, live_server_url, "courier-and-pickup-board")
    page.click("#narr-next")
    page.click("#narr-next")
    wait_ended(page, 0)
    page.click("#play")
    page.wait_for_function("() => Number(document.getElementById('clock').textContent) >= 6")
    page.click("#pause")
    page.click("#narr-next")
    note = page.locator("#narr-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("on your own")
    expect(note).to_contain_text("replayed to the end of step 1 before step 2")
    wait_ended(page, 1)
    assert claims(page) == {"ok": 4, "bad": 0, "skipped": 0, "pending": 0}
    page.screenshot(path=str(SHOTS / "playback-drift.png"))
    assert not page.errors


def test_a_claim_that_fails_shows_what_was_measured_and_why(new_page, live_server_url):
    """Crashing a consumer in the middle of a step: its ✗ says the count, and the note says
    a command of the teacher's own changed the step."""
    page = new_page(1600, 1000)
    open_scenario(page, live_server_url, "courier-and-pickup-board")
    set_speed(page, 0.5)
    page.click("#narr-next")
    page.wait_for_selector("#narration[data-playing='1']")
    sandbox = page.url.rstrip("/").split("/")[-1]
    status = page.evaluate(
        """async (url) => {
          const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
          const body = new URLSearchParams({op: 'consumer.crash', target: 'business-svc'});
          return (await fetch(url, {method: 'POST', body, headers: {'X-CSRFToken': token}})).status;
        }""",
        f"/s/{sandbox}/action/",
    )
    assert status == 200
    wait_ended(page, 0)
    bad = page.locator("#narr-claims .claim.bad")
    assert bad.count() >= 1
    measured = bad.first.locator(".measured")
    expect(measured).to_be_visible()
    expect(measured).to_contain_text("Measured: delivered_to")
    expect(page.locator("#narr-note")).to_contain_text("1 command of your own")
    page.screenshot(path=str(SHOTS / "playback-failed-claim.png"))
    assert not page.errors


def test_left_arrow_in_free_play_says_why_nothing_happens(new_page, live_server_url):
    page = new_page(1600, 1000)
    page.goto(live_server_url + "/")
    page.get_by_role("button", name="Start a sandbox").click()
    page.wait_for_url("**/s/*/")
    page.wait_for_selector("#conn[data-state='live']")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#flash .flash-msg")).to_contain_text("free play cannot rewind")
    page.goto(page.url + "?present=1")
    page.wait_for_selector("body.presenting #conn[data-state='live']")
    page.evaluate("document.getElementById('flash').replaceChildren()")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#flash .flash-msg")).to_contain_text("free play cannot rewind")
    assert not page.errors


WATCH_DISPLAY = """([node, field]) => {
  const clock = document.getElementById('clock');
  const counter = [...document.querySelectorAll('#topology [data-field]')]
    .find((e) => e.dataset.node === node && e.dataset.field === field);
  window.shown = {clock: new Set([clock.textContent]), counter: new Set([counter.textContent])};
  const watch = (el, into) => new MutationObserver(() => into.add(el.textContent))
    .observe(el, {childList: true, characterData: true, subtree: true});
  watch(clock, window.shown.clock);
  watch(counter, window.shown.counter);
}"""
SAMPLE_CLOCK = """() => new Promise((done) => {
  const out = [];
  const timer = setInterval(() => {
    out.push(document.getElementById('clock').textContent);
    if (out.length >= 60) { clearInterval(timer); done(out); }
  }, 50);
})"""


def test_the_clock_and_the_counters_follow_every_frame(new_page, live_server_url):
    """Seen before: in play the clock changed about once a second (a heartbeat) though
    ticks come 20 times a second. Sampled every 50 ms it now changes with every frame,
    and every value a frame carries (clock, a consumer's counter) is shown."""
    node, field = "c:notification-svc", "acked"
    page = new_page(1600, 1000)
    open_scenario(page, live_server_url, "courier-and-pickup-board")
    page.evaluate(WATCH_DISPLAY, [node, field])
    page.evaluate("window.bpFrames = []")
    page.click("#play")  # free play: nothing happens, time runs
    page.wait_for_selector("#paused-flag[hidden]", state="attached")
    samples = page.evaluate(SAMPLE_CLOCK)
    frames = page.evaluate("window.bpFrames.map((f) => Number(f.now).toFixed(3))")
    changes = sum(1 for a, b in zip(samples, samples[1:], strict=False) if a != b)
    print(f"3 s of free play: {len(frames)} frames, #clock changed {changes} of 59 samples")
    assert len(frames) >= 30  # ticks at 20 Hz; a heartbeat would give 3
    assert changes >= 0.8 * min(len(samples) - 1, len(frames) - 1)
    shown = set(page.evaluate("[...window.shown.clock]"))
    assert len(set(frames[:-1]) - shown) <= 0.1 * len(frames), "frames whose clock never showed"
    page.click("#pause")
    page.evaluate("window.bpFrames = []")
    page.click("#narr-next")
    wait_ended(page, 0)
    carried = page.evaluate(
        """([tag, field]) => window.bpFrames.flatMap((f) => (f.amqp.consumers || [])
             .filter((c) => c.tag === tag).map((c) => String(c[field])))""",
        [node.removeprefix("c:"), field],
    )
    counted = set(page.evaluate("[...window.shown.counter]"))
    assert len(set(carried)) >= 3 and set(carried) <= counted, (carried, counted)
    assert not page.errors


def test_back_restores_the_chart_as_it_was_at_that_step(new_page, live_server_url):
    page = new_page(1600, 1000)
    open_scenario(page, live_server_url, "courier-and-pickup-board")
    set_speed(page, 4.0)
    for k in range(2):
        page.click("#narr-next")
        wait_ended(page, k)
    inside = page.evaluate(
        "() => window.bpFrames.map((f) => f.series.now).filter((t) => t > 3 && t < 6).length"
    )
    assert inside >= 5  # the chart has points from inside step 2, not only its ends
    page.evaluate("window.bpFrames = []")
    page.click("#narr-back")
    wait_ended(page, 0)
    page.wait_for_function("() => window.bpFrames.some((f) => f.chart)")
    chart = page.evaluate("window.bpFrames.find((f) => f.chart).chart")
    assert chart["t"][-1] == 3.0 and len(chart["t"]) >= 12
    assert set(chart["depth"]) >= {"orders", "notifications", "business"}
    expect(page.locator("#chart .uplot")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "playback-chart-after-back.png"))
    assert not page.errors


def a_real_step_plays_on_through_next_and_pause(page) -> None:
    """Next pressed again while a real broker's step plays: the page answers at once and
    says the step plays on in real time, its bar moving (Next once waited the step out,
    and no frame came meanwhile); Pause holds the bar, Play goes on."""
    page.wait_for_selector("#narration[data-playing='1']")
    page.click("#narr-next")
    expect(page.locator("#narr-next")).to_have_text("Playing in real time…", timeout=2_000)
    expect(page.locator("#narr-note")).to_contain_text("cannot be hurried", timeout=2_000)
    bar = int(page.get_attribute("#narr-bar", "value"))
    page.wait_for_function(
        "(b) => Number(document.getElementById('narr-bar').value) > b", arg=bar, timeout=2_000
    )
    page.click("#pause")
    page.wait_for_selector("#paused-flag:not([hidden])")
    held = page.get_attribute("#narr-bar", "value")
    page.wait_for_timeout(1_000)
    assert page.get_attribute("#narr-bar", "value") == held
    assert page.get_attribute("#narration", "data-playing") == "1" and int(held) < 100
    page.screenshot(path=str(SHOTS / "playback-real-paused-mid-step.png"))
    page.click("#play")
    page.wait_for_selector("#paused-flag[hidden]", state="attached")


@pytest.mark.real
def test_a_scenario_switched_to_real_rabbitmq_still_narrates_and_judges(
    new_page, live_server_url, rabbitmq_url
):
    page = new_page(1600, 1000)
    open_scenario(page, live_server_url, "courier-and-pickup-board")
    page.click("#narr-next")
    page.click("#narr-next")
    wait_ended(page, 0)
    page.select_option("#backend-select", "rabbitmq")
    page.wait_for_selector("#broker-state[data-state='connected']", timeout=30_000)
    expect(page.locator("#narr-note")).to_contain_text("starts again at its beginning")
    assert page.get_attribute("#narration", "data-index") == "-1"
    judged = []
    for k in range(len(load("courier-and-pickup-board").steps)):
        page.click("#narr-next")
        if k == 0:
            a_real_step_plays_on_through_next_and_pause(page)
        wait_ended(page, k, timeout=60_000)
        judged.append(claims(page))
        if k == 0:
            page.screenshot(path=str(SHOTS / "playback-real-rabbitmq.png"))
    assert all(j["bad"] == 0 and j["pending"] == 0 for j in judged), judged
    assert judged[0]["ok"] == 4 and judged[1]["ok"] == 2  # the fanout copies: not on real
    assert judged[2] == {"ok": 0, "bad": 0, "skipped": 4, "pending": 0}  # Kafka's step
    expect(page.locator("#narr-claims .claim.skipped .measured").first).to_contain_text(
        "Real RabbitMQ does not run"
    )
    assert not page.errors


@pytest.mark.real
def test_a_gallery_badge_opens_a_scenario_on_real_kafka_that_narrates_and_judges(
    new_page, live_server_url, kafka_bootstrap
):
    page = new_page(1600, 1000)
    open_scenario(page, live_server_url, "keys-partitions-order", backend="kafka")
    assert page.input_value("#backend-select") == "kafka"
    for k, step in enumerate(load("keys-partitions-order").steps):
        page.click("#narr-next")
        wait_ended(page, k, timeout=60_000)
        judged = claims(page)
        assert judged["bad"] == 0 and judged["ok"] >= 1, (k, judged)
        assert judged["ok"] + judged["skipped"] == len(step.claims)
    page.screenshot(path=str(SHOTS / "playback-real-kafka.png"))
    assert not page.errors


def test_member_and_group_boxes_follow_rebalances_after_the_page_was_drawn(
    new_page, live_server_url
):
    """keys-partitions-order: the page is drawn while the first member holds every
    partition; after the rebalance the boxes must say what the engine says (they kept
    "P0,P1,P2", "idle", "idle" and "gen 1" beside claims judging three busy members)."""
    page = new_page(1600, 1000)
    open_scenario(page, live_server_url, "keys-partitions-order")
    set_speed(page, 20.0)
    page.evaluate(PLAY_STEP, [0, STEP_LIMIT_MS])
    page.wait_for_function("() => window.bpFrames.some((f) => f.kafka && f.kafka.groups)")
    seen = page.evaluate(
        """() => {
          const f = [...window.bpFrames].reverse().find((x) => x.kafka && x.kafka.groups);
          const text = (id) => document.querySelector(
            `#topology [data-node="${id}"][data-field="sub"]`)?.textContent;
          return f.kafka.groups.map((g) => ({
            group: [text("g:" + g.group_id), `${g.assignor} · gen ${g.generation}`],
            members: g.members.map((m) => [text("m:" + m.member),
              m.assignment.length ? m.assignment.map((tp) => "P" + tp[1]).join(",") : "idle"]),
          }));
        }"""
    )
    assert seen, "no group in the frames"
    for g in seen:
        assert g["group"][0] == g["group"][1], g
        assert len(g["members"]) == 3 and all(shown == engine for shown, engine in g["members"]), g
        assert sum(shown != "idle" for shown, _ in g["members"]) == 3, g


def test_the_chart_is_drawn_up_to_the_clock_when_a_fast_step_ends(new_page, live_server_url):
    """replay step 1 is 4 virtual seconds: 0.2 s at 20x, within one chart redraw interval.
    The chart drew up to about 1 s and stayed there while the clock said 4."""
    page = new_page(1600, 1000)
    open_scenario(page, live_server_url, "replay")
    set_speed(page, 20.0)
    page.evaluate(PLAY_STEP, [0, STEP_LIMIT_MS])
    page.wait_for_timeout(800)  # a few redraw intervals, no frame meanwhile: time paused
    drawn = float(page.get_attribute("#chart", "data-drawn-to") or "nan")
    assert drawn == pytest.approx(load("replay").steps[0].at, abs=0.01)
