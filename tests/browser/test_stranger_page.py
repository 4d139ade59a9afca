"""A sandbox's address opened in another browser (the classroom PC), as it is seen: the
app's own page, status 404, telling what to do, naming nothing of the sandbox, the same
for a real and a made-up id; a revoked watch link likewise; a tab whose session went
gets a short flash, not a page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import save_shot
from tests.browser.test_playground import build

pytestmark = pytest.mark.browser

SECRET = "payroll-eu-7f3"


def owned_sandbox(page, base: str) -> str:
    page.goto(base + "/")
    page.get_by_role("button", name="Start a sandbox").click()
    page.wait_for_url("**/s/*/")
    page.wait_for_selector("#conn[data-state='live']")
    build(page, "queue", name=SECRET)
    return page.url


def inside(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return bool(box) and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_a_stranger_sees_the_apps_page_and_can_start_their_own(new_page, live_server_url, size):
    owner = new_page(*size)
    url = owned_sandbox(owner, live_server_url)
    stranger = new_page(*size)
    response = stranger.goto(url)
    assert response.status == 404
    heading = stranger.get_by_role("heading", level=1)
    assert heading.inner_text() == "This sandbox belongs to the browser that made it"
    text = stranger.locator("main").inner_text()
    assert "ask its owner for a watch link" in text
    assert SECRET not in stranger.content() and url.split("/")[-2] not in stranger.content()
    assert inside(stranger, "#start-form button") and inside(stranger, "h1")
    size_px = stranger.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)"
    )
    assert size_px >= 28
    save_shot(stranger, f"stranger-{size[0]}.png")
    made_up = url.rstrip("/").rsplit("/", 1)[0] + "/" + "x" * len(url.split("/")[-2]) + "/"
    text_real = stranger.locator("body").inner_text()
    assert stranger.goto(made_up).status == 404
    assert stranger.locator("body").inner_text() == text_real
    stranger.locator("#start-form button").click()
    stranger.wait_for_url("**/s/*/")
    assert stranger.url != url
    stranger.wait_for_selector("#conn[data-state='live']")
    assert not owner.errors and not stranger.errors


def test_a_revoked_watch_link_shows_the_apps_page(new_page, live_server_url):
    owner = new_page()
    owned_sandbox(owner, live_server_url)
    owner.evaluate("window.scrollTo(0, 0)")
    owner.click("#share-open")
    owner.click("#make-link")
    watch = owner.locator("#watch-url")
    watch.wait_for()
    link = watch.input_value()
    viewer = new_page()
    assert viewer.goto(link).status == 200
    owner.click("#revoke-link")
    owner.wait_for_selector("#make-link")
    response = viewer.goto(link)
    assert response.status == 404
    assert viewer.get_by_role("heading", level=1).inner_text() == (
        "This watch link does not open a sandbox"
    )
    assert "new watch link" in viewer.locator("main").inner_text()
    assert SECRET not in viewer.content()
    unknown = new_page()
    assert unknown.goto(live_server_url + "/w/no-such-link/").status == 404
    assert unknown.locator("body").inner_text() == viewer.locator("body").inner_text()


def test_a_tab_whose_session_went_gets_a_flash_not_a_page(new_page, live_server_url):
    page = new_page()
    owned_sandbox(page, live_server_url)
    # as if the session expired (the CSRF cookie stays): the page is a stranger's now
    page.context.clear_cookies(name="sessionid")
    page.click("#pause")
    flash = page.locator("#flash .flash-msg.error")
    flash.wait_for()
    assert "not open to this browser" in flash.inner_text()
    assert inside(page, "#flash .flash-msg.error")
    assert page.locator("h1").count() == 0  # no page swapped in
    assert not page.errors
