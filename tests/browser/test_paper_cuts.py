"""Small things a person sees: the build buttons' verbs, the seed they choose, the event
log's filter box, and the compare view's counters agreeing with its table."""

from __future__ import annotations

import pytest

from tests.browser.test_playground import build

pytestmark = pytest.mark.browser

VERBS = {"binding": "Bind", "publish": "Publish", "send": "Send", "queue": "Add"}


def start(page, base: str) -> str:
    page.goto(base + "/")
    page.get_by_role("button", name="Start a sandbox").click()
    page.wait_for_url("**/s/*/")
    page.wait_for_selector("#conn[data-state='live']")
    return page.url


def test_build_buttons_say_their_verb_before_any_submit(new_page, live_server_url):
    page = new_page(1920, 1080)
    start(page, live_server_url)
    for kind, verb in VERBS.items():
        form = page.locator(f"aside form.cmd-form[data-kind='{kind}']")
        form.locator("xpath=ancestor::details[1]/summary").click()
        button = form.locator("button[type='submit']")
        button.scroll_into_view_if_needed()
        assert button.is_visible() and button.inner_text() == verb, kind


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_log_filter_box_keeps_room_to_type(new_page, live_server_url, size):
    page = new_page(*size)
    start(page, live_server_url)
    # the kinds menu grows with each kind of event seen, as wide as its longest name
    build(page, "topic", name="clicks")
    build(page, "group", group_id="stats", topics="clicks")
    build(page, "send", topic="clicks", value="hello", count="3")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#log-kind option')].some(o => o.value.length >= 13)"
    )
    boxes = page.evaluate(
        """() => Object.fromEntries(['log-text', 'log-kind', 'log-clear'].map(id => {
              const r = document.getElementById(id).getBoundingClientRect();
              return [id, {left: r.left, right: r.right, width: r.width}];
           }))"""
    )
    text, kind, clear = boxes["log-text"], boxes["log-kind"], boxes["log-clear"]
    assert text["width"] >= 120 and text["width"] >= kind["width"], boxes
    assert text["right"] <= kind["left"] and kind["right"] <= clear["left"], boxes  # one row
    page.fill("#log-text", "jobs")
    assert page.input_value("#log-text") == "jobs"


def test_a_seed_typed_for_reset_and_for_a_new_sandbox_is_the_one_shown(new_page, live_server_url):
    page = new_page(1280, 720)
    page.on("dialog", lambda dialog: dialog.accept())
    start(page, live_server_url)
    build(page, "queue", name="jobs")
    page.evaluate("window.scrollTo(0, 0)")
    page.click("#sandbox-menu > summary")
    page.fill("#seed-choice", "4242")
    page.click("#reset")
    page.wait_for_selector("#flash .flash-msg.ok")  # the frames may show the seed first
    assert "new seed 4242" in page.locator("#flash").text_content()
    page.wait_for_function("() => document.getElementById('seed').textContent === '4242'")
    page.wait_for_selector("#topology g.node[data-node='q:jobs']", state="detached")
    page.click("#sandbox-menu > summary")
    page.fill("#seed-choice", "not a seed")
    page.click("#reset")
    page.wait_for_selector("#flash .flash-msg.error")
    assert "whole number" in page.locator("#flash").text_content()
    assert page.text_content("#seed") == "4242"
    page.click("#sandbox-menu > summary")
    page.fill("#seed-choice", "77")
    old = page.url
    page.click("#new-sandbox")
    page.wait_for_url(lambda url: url != old and "/s/" in url)
    page.wait_for_selector("#conn[data-state='live']")
    assert page.text_content("#seed") == "77"
    assert not page.errors


def test_the_compare_views_boxes_count_what_its_table_counts(new_page, live_server_url):
    page = new_page(1920, 1080)
    url = start(page, live_server_url)
    page.goto(url + "compare/")
    acked = page.locator("svg.mini [data-field='acked']").all_text_contents()
    processed = page.locator("tr[data-counter='processed'] td.rabbit").inner_text()
    assert acked and sum(map(int, acked)) == int(processed) > 0
    members = page.locator("svg.mini [data-field='processed']").all_text_contents()
    kafka = page.locator("tr[data-counter='processed'] td.kafka").inner_text()
    assert members and sum(map(int, members)) == int(kafka) > 0
