"""The sandbox page's top bar on a 1280x720 projector: one line, the rarer actions in menus.

Reuses the daphne server of test_playground and the browser of test_classroom. The
menus are <details> dropdowns: Enter, space or a click opens one, Escape or a click
elsewhere closes it, and choosing an item does what the old top-bar button did. The
page's keys (space play/pause, f, p, ...) wait while a control has the focus. The bar's
form controls use the page's font. Screenshots go to artifacts/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_classroom import browser, new_page  # noqa: F401 - fixture
from tests.browser.test_playground import ARTIFACTS, build, server, start_sandbox  # noqa: F401

pytestmark = pytest.mark.browser
# The box of each item shown in the bar (not the spacer, not the Share panel).
BAR_ITEMS = """() => {
  const bar = document.querySelector('header.topbar');
  return [...bar.children]
    .filter((el) => getComputedStyle(el).position !== 'absolute')
    .map((el) => { const r = el.getBoundingClientRect();
                   return {name: el.id || el.className, top: r.top, bottom: r.bottom,
                           right: r.right}; })
    .filter((item) => item.bottom > item.top);  // the spacer and hidden items have no height
}"""


def assert_one_line(page) -> None:
    """The bar is no taller than 1.5 buttons, and its items share one row."""
    bar = page.locator("header.topbar").bounding_box()
    button = page.locator("header.topbar #present-toggle").bounding_box()
    assert bar["height"] <= 1.5 * button["height"], (bar, button)
    items = page.evaluate(BAR_ITEMS)
    lowest_top = max(item["top"] for item in items)
    highest_bottom = min(item["bottom"] for item in items)
    assert lowest_top < highest_bottom, items  # every item overlaps every other vertically
    assert all(item["right"] <= bar["width"] for item in items), items


# Font of the bar and of each form control shown in it (not those in a closed menu).
BAR_FONTS = """() => {
  const bar = document.querySelector('header.topbar');
  const font = (el) => { const s = getComputedStyle(el); return [s.fontSize, s.fontFamily]; };
  return {bar: font(bar),
          controls: [...bar.querySelectorAll('select, button, summary')]
            .filter((el) => el.checkVisibility())
            .map((el) => ({name: el.id || el.textContent.trim(), font: font(el)}))};
}"""
PAUSED = "() => document.getElementById('paused-flag').hidden === {}"


def assert_controls_use_the_bar_font(page) -> None:
    fonts = page.evaluate(BAR_FONTS)
    assert fonts["controls"], fonts
    wrong = [c for c in fonts["controls"] if c["font"] != fonts["bar"]]
    assert not wrong, (fonts["bar"], wrong)


def paused_in_a_moment(page) -> bool:
    """Whether the sandbox shows "paused", after time for a key's effect to come back."""
    page.wait_for_timeout(500)
    return page.locator("#paused-flag").is_visible()


def menu(page, name: str):
    return page.locator(f"header.topbar details.menu#{name}")


def test_at_1280_the_top_bar_is_one_line_and_reset_is_in_the_sandbox_menu(browser, server):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    page = new_page(browser, 1280, 720)
    start_sandbox(page, server)
    build(page, "queue", name="jobs")
    assert_one_line(page)
    assert_controls_use_the_bar_font(page)
    assert page.locator("#backend-select").is_visible()
    page.screenshot(path=str(ARTIFACTS / "topbar-1280.png"))

    # keyboard: Enter opens, Tab walks into it, Escape closes and gives the focus back
    files = menu(page, "files-menu")
    files.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(files).to_have_attribute("open", "")
    expect(files.get_by_role("link", name="Download sandbox.json")).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('#files-menu') !== null")
    page.keyboard.press("Escape")
    expect(files).not_to_have_attribute("open", "")
    expect(files.locator("summary")).to_be_focused()

    # mouse: a click elsewhere closes it; one open menu at a time
    sandbox = menu(page, "sandbox-menu")
    sandbox.locator("summary").click()
    expect(sandbox).to_have_attribute("open", "")
    files.locator("summary").click()
    expect(files).to_have_attribute("open", "")
    expect(sandbox).not_to_have_attribute("open", "")
    page.locator(".controls .clock").click()
    expect(files).not_to_have_attribute("open", "")

    # a moved action still works from its menu
    queue = page.locator("#topology g.node[data-node='q:jobs']")
    expect(queue).to_have_count(1)
    sandbox.locator("summary").click()
    reset = sandbox.get_by_role("button", name="Reset")
    expect(reset).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "topbar-1280-menu.png"))
    page.once("dialog", lambda dialog: dialog.accept())
    reset.click()
    expect(page.locator("#flash")).to_contain_text("Sandbox reset")
    expect(queue).to_have_count(0)
    expect(sandbox).not_to_have_attribute("open", "")

    page.set_viewport_size({"width": 1920, "height": 1080})
    assert_one_line(page)
    page.screenshot(path=str(ARTIFACTS / "topbar-1920.png"))
    # at 1024 it may wrap, but nothing leaves the screen
    page.set_viewport_size({"width": 1024, "height": 720})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    assert all(item["right"] <= 1024 for item in page.evaluate(BAR_ITEMS))
    page.screenshot(path=str(ARTIFACTS / "topbar-1024.png"))
    assert not page.errors


def test_in_presenter_mode_the_top_bar_is_one_line_and_its_menu_is_there(browser, server):  # noqa: F811
    page = new_page(browser, 1280, 720)
    start_sandbox(page, server)
    page.goto(page.url + "?present=1")
    page.wait_for_selector("body.presenting #conn[data-state='live']")
    assert_one_line(page)
    assert_controls_use_the_bar_font(page)
    sandbox = menu(page, "sandbox-menu")
    sandbox.locator("summary").click()
    expect(sandbox.get_by_role("link", name="RabbitMQ vs Kafka")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "topbar-1280-presenter-menu.png"))
    page.keyboard.press("Escape")
    expect(sandbox).not_to_have_attribute("open", "")
    assert page.locator("body.presenting").count() == 1  # Escape closed the menu, not the mode
    assert not page.errors


def space_opens_the_focused_menu(page, name: str, paused: bool) -> None:
    """Space on a focused menu opens it without touching play/pause; Escape closes it."""
    opened = menu(page, name)
    opened.locator("summary").focus()
    page.keyboard.press(" ")
    expect(opened).to_have_attribute("open", "")
    assert paused_in_a_moment(page) == paused
    page.keyboard.press("Escape")
    expect(opened).not_to_have_attribute("open", "")


def test_space_presses_a_focused_button_or_menu_and_plays_or_pauses_elsewhere(browser, server):  # noqa: F811
    page = new_page(browser, 1280, 720)
    start_sandbox(page, server)
    build(page, "queue", name="jobs")
    paused = paused_in_a_moment(page)

    # a focused menu: space opens it, and the sandbox keeps running (or stays paused)
    space_opens_the_focused_menu(page, "files-menu", paused)

    # the diagram: space is play/pause
    page.locator("#topology g.node[data-node='q:jobs']").focus()
    page.keyboard.press(" ")
    page.wait_for_function(PAUSED.format(str(paused).lower()))
    paused = not paused

    # a focused button: f waits, space presses the button
    page.locator("#present-toggle").focus()
    page.keyboard.press("f")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bfull-view\b"))
    page.keyboard.press(" ")
    expect(page.locator("body")).to_have_class(re.compile(r"\bpresenting\b"))
    assert paused_in_a_moment(page) == paused

    # presenter mode: the same on a focused menu, and play/pause from the page
    space_opens_the_focused_menu(page, "sandbox-menu", paused)
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press(" ")
    page.wait_for_function(PAUSED.format(str(paused).lower()))
    page.screenshot(path=str(ARTIFACTS / "topbar-keys-presenter.png"))
    assert not page.errors
