"""The classroom in a real browser: gallery, narration, presenter keys, watch link, lock, fork.

Reuses the daphne server of test_playground (embedded host, its own database). A second
browser context plays a student holding the watch link. Screenshots go to artifacts/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_playground import ARGS, ARTIFACTS, server  # noqa: F401 - fixture

pytestmark = pytest.mark.browser
POST_AS_PAGE = """async (url) => {
  const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const body = new URLSearchParams({op: "time.play"});
  const r = await fetch(url, {method: "POST", body, headers: {"X-CSRFToken": token}});
  return r.status;
}"""
QUEUE_ERRORS = "aside form.cmd-form[data-kind='queue'] :is(.errors, .error)"


@pytest.fixture
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=ARGS)
        yield b
        b.close()


def new_page(browser, width: int = 1600, height: int = 1000):
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.set_default_timeout(15_000)
    return page


def open_gallery_scenario(page, server: str, index: int = 0) -> None:  # noqa: F811
    page.goto(server + "/")
    page.locator(".scenario-card").nth(index).locator("button.open").click()
    page.wait_for_url("**/s/*/")
    page.wait_for_selector("#conn[data-state='live']")
    page.wait_for_selector("#narration:not([hidden])")


def step_index(page) -> str:
    return page.get_attribute("#narration", "data-index")


def wait_step_ended(page, index: int, timeout: float = 30_000) -> None:
    """Wait until step `index` (0-based) has played to its end and been judged."""
    page.wait_for_function(
        f"""() => {{ const n = document.getElementById('narration');
             return n.dataset.index === '{index}' && n.dataset.playing === '0'; }}""",
        timeout=timeout,
    )


def share_link(page) -> str:
    page.click("#share-open")
    page.click("#make-link")
    page.wait_for_selector("#watch-url")
    return page.input_value("#watch-url")


def test_a_gallery_scenario_narrates_and_checks_its_claims(browser, server):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    page = new_page(browser)
    page.goto(server + "/")
    expect(page.locator(".scenario-card")).to_have_count(14)
    page.screenshot(path=str(ARTIFACTS / "classroom-gallery.png"))
    open_gallery_scenario(page, server)
    assert step_index(page) == "-1"
    page.click("#narr-next")
    page.wait_for_selector("#narr-claims .claim.ok")
    assert step_index(page) == "0"
    assert page.locator("#narr-claims .claim.ok .mark").first.text_content() == "✓"
    expect(page.locator("#watch-rings .watch-ring")).to_have_count(3)
    expect(page.locator("g.node.watched[data-node='q:orders']")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "classroom-narration.png"))
    assert not page.errors


def test_presenter_keys_drive_the_sandbox_without_a_mouse(browser, server):  # noqa: F811
    page = new_page(browser, 1920, 1080)
    open_gallery_scenario(page, server)
    page.goto(page.url + "?present=1")
    page.wait_for_selector("body.presenting #conn[data-state='live']")
    assert page.locator("aside.side").is_hidden()
    page.keyboard.press("-")  # half speed: step 1 plays for seconds, → below meets it playing
    page.wait_for_function("() => document.getElementById('speed-out').textContent === '0.5×'")
    page.keyboard.press("ArrowRight")  # step 1 plays...
    page.wait_for_function("() => document.getElementById('narration').dataset.index === '0'")
    page.keyboard.press("ArrowRight")  # ...and → again finishes it at once
    wait_step_ended(page, 0, timeout=5_000)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.getElementById('narration').dataset.index === '1'")
    page.keyboard.press("ArrowLeft")  # from step 2 playing: back to its start
    wait_step_ended(page, 0)
    paused = page.locator("#paused-flag").is_visible()
    page.keyboard.press(" ")
    page.wait_for_function(
        f"() => document.getElementById('paused-flag').hidden === {str(paused).lower()}"
    )
    # each key starts from the speed it set, not from a frame made before the server took it
    for key, shown in (("+", "1×"), ("+", "2×"), ("-", "1×")):
        page.keyboard.press(key)
        page.wait_for_function(
            f"() => document.getElementById('speed-out').textContent === '{shown}'"
        )
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("#narr-claims .claim.ok")
    page.wait_for_timeout(600)
    page.screenshot(path=str(ARTIFACTS / "classroom-presenter.png"))
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.screenshot(path=str(ARTIFACTS / "classroom-help.png"))
    page.keyboard.press("Escape")
    assert page.locator("#help").is_hidden()
    page.locator("#speed").focus()  # keys are ignored while a field has the focus
    before = step_index(page)
    page.locator("#log-text").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(400)
    assert step_index(page) == before
    assert not page.errors


def test_a_class_follows_a_watch_link_read_only_and_forks(browser, server):  # noqa: F811
    owner = new_page(browser)
    open_gallery_scenario(owner, server)
    url = share_link(owner)
    assert "/w/" in url
    owner.screenshot(path=str(ARTIFACTS / "classroom-share.png"))
    student = new_page(browser, 1400, 900)
    student.goto(url)
    student.wait_for_selector("#conn[data-state='live']")
    student.wait_for_selector("#narration:not([hidden])")
    for control in ("#narr-next", "#play", "#step", "aside .cmd-form", "#share-open"):
        expect(student.locator(control)).to_have_count(0)
    owner.click("#narr-next")
    student.wait_for_function("() => document.getElementById('narration').dataset.index === '0'")
    student.wait_for_selector("#narr-claims .claim.ok")
    clock = student.text_content("#clock")
    assert float(clock) > 0
    # the owner's edit shows up in the student's diagram
    owner.click("#narr-next")
    student.wait_for_function("() => document.getElementById('narration').dataset.index === '1'")
    wait_step_ended(student, 1)
    student.wait_for_timeout(500)
    student.screenshot(path=str(ARTIFACTS / "classroom-watch.png"))
    sandbox_id = owner.url.rstrip("/").split("/")[-1]
    status = student.evaluate(POST_AS_PAGE, f"/s/{sandbox_id}/action/")
    assert status == 404  # the student's own session and CSRF token: still not the owner
    student.click("#fork")
    student.wait_for_url("**/s/*/")
    student.wait_for_selector("#narration:not([hidden])")
    assert student.url.rstrip("/").split("/")[-1] != sandbox_id
    assert step_index(student) == "1"
    expect(student.locator("#narr-next")).to_have_count(1)  # their own now
    assert not student.errors and not owner.errors


def test_lock_shows_a_badge_and_refuses_edits(browser, server):  # noqa: F811
    owner = new_page(browser)
    open_gallery_scenario(owner, server)
    url = share_link(owner)
    student = new_page(browser, 1400, 900)
    student.goto(url)
    student.wait_for_selector("#conn[data-state='live']")
    owner.click("#lock-toggle")
    owner.wait_for_selector("#lock-badge:not([hidden])")
    student.wait_for_selector("#lock-badge:not([hidden])")
    form = owner.locator("aside form.cmd-form[data-kind='queue']")
    form.locator("xpath=ancestor::details[1]/summary").click()
    form.locator("[name='queue-name']").fill("sneaky")
    form.get_by_role("button").last.click()
    owner.wait_for_selector(QUEUE_ERRORS)
    assert "locked" in owner.locator("aside form.cmd-form[data-kind='queue']").text_content()
    owner.screenshot(path=str(ARTIFACTS / "classroom-locked.png"))
    owner.click("#share-open")
    owner.click("#lock-toggle")
    owner.wait_for_selector("#lock-badge[hidden]", state="attached")


def test_a_revoked_link_stops_working(browser, server):  # noqa: F811
    owner = new_page(browser)
    open_gallery_scenario(owner, server)
    url = share_link(owner)
    student = new_page(browser, 1400, 900)
    student.goto(url)
    student.wait_for_selector("#conn[data-state='live']")
    owner.click("#revoke-link")
    owner.wait_for_selector("#make-link")
    student.wait_for_selector("#conn[data-state='closed']")
    assert student.locator("#revoked").is_visible()
    student.screenshot(path=str(ARTIFACTS / "classroom-revoked.png"))
    assert student.goto(url).status == 404
