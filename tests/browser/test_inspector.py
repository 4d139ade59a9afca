"""Seeing why, in a real browser: click a message in the event log and read its journey,
open a queue's messages, compare RabbitMQ and Kafka side by side, copy the code.

Reuses the daphne server and page fixtures of test_playground; screenshots go to
artifacts/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_playground import (  # noqa: F401 - fixtures used by name
    build,
    page,
    server,
    shot,
    start_sandbox,
    wait_counter,
)

pytestmark = pytest.mark.browser


def test_clicking_a_log_line_shows_the_journey_with_its_reasons(page, server):  # noqa: F811
    start_sandbox(page, server)
    build(page, "exchange", name="orders", type="topic")
    build(page, "queue", name="eu-orders")
    build(page, "queue", name="us-orders")
    build(page, "binding", source="orders", destination="eu-orders", routing_key="eu.#")
    build(page, "binding", source="orders", destination="us-orders", routing_key="us.#")
    build(page, "consumer", queue="eu-orders", tag="eu-worker", processing_time="0.2")
    build(page, "publish", exchange="orders", routing_key="eu.paris", body="bonjour")
    wait_counter(page, "c:eu-worker", "acked", "1")

    page.locator("#log li[data-kind='routed'][data-msg]").first.click()
    journey = page.locator("#inspector .journey")
    journey.wait_for()
    text = journey.inner_text()
    assert "matched" in text and "eu.#" in text
    assert "not reached" in text and "us-orders" in text
    assert "eu-worker" in text and "delivery tag" in text and "bonjour" in text
    shot(page, "inspector-journey.png")

    page.locator("#inspector-close").click()
    page.locator("#topology g.node[data-node='q:eu-orders'] .shape").click()
    page.wait_for_selector("#inspector .msg-list")
    assert "Queue eu-orders" in page.locator("#inspector").inner_text()
    page.locator("#inspector .msg-link").first.click()
    page.wait_for_selector("#inspector .journey")

    page.fill("#inspector input[name='q']", "bonjour")
    page.locator("#inspector-search button, #inspector .inspector-search button").first.click()
    page.wait_for_selector("#inspector .msg-list .msg-link")
    assert not page.errors


def test_kafka_tape_cell_opens_the_record(page, server):  # noqa: F811
    start_sandbox(page, server)
    build(page, "topic", name="clicks", partitions="1")
    build(page, "group", group_id="billing", topics="clicks", members="1", processing_time="0.05")
    build(page, "send", topic="clicks", key="user-7", value="hello", count="3")
    wait_counter(page, "g:billing", "lag", "0")
    page.locator("#topology g.cells[data-tape='tp:clicks:0'] rect.cell").nth(1).click()
    journey = page.locator("#inspector .journey")
    journey.wait_for()
    text = journey.inner_text()
    assert "offset" in text and "Fetched by" in text and "committed" in text
    shot(page, "inspector-kafka.png")
    assert not page.errors


def test_compare_view_shows_both_sides_and_the_counters(page, server):  # noqa: F811
    start_sandbox(page, server)
    page.locator("#sandbox-menu > summary").click()  # the top bar's Sandbox menu holds it
    page.get_by_role("link", name="RabbitMQ vs Kafka").click()
    page.wait_for_selector("table.contrast")
    page.get_by_role("link", name="Fanout to two queues vs one topic read by two groups").click()
    page.wait_for_url("**preset=fanout")
    expect(page.locator("svg.topology.mini")).to_have_count(2)
    row = page.locator("tr[data-counter='copies_stored']").inner_text()
    assert "20" in row and "10" in row
    assert "What to notice" in page.content()
    page.set_viewport_size({"width": 1600, "height": 1000})
    shot(page, "compare-fanout.png")
    # the page's fixture dismisses dialogs: take the confirm away instead of answering it
    page.evaluate("document.querySelector('form[hx-confirm]').removeAttribute('hx-confirm')")
    page.get_by_role("button", name="Load into my sandbox and watch it live").click()
    page.wait_for_selector("#topology g.node[data-node='q:billing']")
    page.wait_for_selector("#conn[data-state='live']")
    assert not page.errors


# How many CSS px one SVG unit of a diagram takes on screen, and its node labels' size.
DIAGRAM_SCALE = """(sel) => [...document.querySelectorAll(sel)].map((svg) => {
  const scale = svg.getScreenCTM().a;
  const label = svg.querySelector('.node .label');
  return {width: svg.getBoundingClientRect().width, scale,
          label_px: label ? parseFloat(getComputedStyle(label).fontSize) * scale : null};
})"""


def test_at_1280_each_compare_diagram_is_as_readable_as_the_sandbox_one(page, server):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 720})
    start_sandbox(page, server)
    [sandbox] = page.evaluate(DIAGRAM_SCALE, "svg#topology")
    page.goto(page.url + "compare/?preset=fanout")
    diagrams = page.evaluate(DIAGRAM_SCALE, "svg.topology.mini")
    assert len(diagrams) == 2
    for diagram in diagrams:
        assert diagram["width"] >= 0.4 * 1280, diagram
        assert diagram["scale"] >= sandbox["scale"], (diagram, sandbox)
        assert diagram["label_px"] >= 12, diagram
    shot(page, "compare-1280.png")  # the whole page: both sides, one above the other
    assert not page.errors


def test_code_panel_has_a_copy_button_and_the_queue_name(page, server):  # noqa: F811
    start_sandbox(page, server)
    build(page, "queue", name="invoices")
    page.wait_for_function(
        "() => document.querySelector('#code-panel pre.code')?.textContent.includes('invoices')"
    )
    panel = page.locator("#code-panel")
    expect(panel.get_by_role("button", name="Copy")).to_have_count(1)
    assert "import pika" in panel.locator("pre.code[data-code='pika']").inner_text()
    panel.get_by_role("tab", name="Kafka · kafka-python").click()
    assert panel.locator("pre.code[data-code='kafka']").is_visible()
    panel.get_by_role("tab", name="RabbitMQ · pika").click()
    panel.get_by_role("button", name="Copy").click()
    page.wait_for_function("() => document.querySelector('#code-panel .copied').textContent !== ''")
    panel.scroll_into_view_if_needed()
    panel.screenshot(path="artifacts/code-panel.png")
    assert not page.errors
