"""A backend switch and back, as a person sees it: nothing built is lost.

A sandbox with both halves is exported (Files → Download sandbox.json), switched to a
real broker, where the half that broker cannot run must stay drawn — greyed, labelled
with where it runs, inside the viewport, for longer than the switch's toast lasts — and
back to the simulator, where the export must be the same topology. Once per reachable
real broker (CI has both; BP_REQUIRE_REAL=1 turns a missing one into a failure).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.browser.conftest import save_shot
from tests.browser.test_playground import build
from tests.conftest import need, reachable

pytestmark = [pytest.mark.browser, pytest.mark.real]

PORTS = {"rabbitmq": 5672, "kafka": 9092}
#: the broker half each real backend keeps, and where that half runs
KEPT = {"rabbitmq": ("kafka", "real Kafka"), "kafka": ("amqp", "real RabbitMQ")}
TOAST = 6.0  # seconds: the switch's messages fade after ~5 s


def build_both_halves(page) -> None:
    build(page, "exchange", name="orders", type="topic")
    build(page, "queue", name="eu-orders")
    build(page, "binding", source="orders", destination="eu-orders", routing_key="eu.#")
    build(page, "consumer", queue="eu-orders", tag="clerk", processing_time="0.1")
    build(page, "producer", name="shop", broker="amqp", target="orders", routing_key="eu.de",
          rate="2")  # fmt: skip
    build(page, "topic", name="clicks", partitions="2")
    build(page, "group", group_id="stats", topics="clicks", members="2")
    build(page, "producer", name="web", broker="kafka", target="clicks", rate="2")


def download_export(page) -> dict:
    """The sandbox file, downloaded from the Files menu as a person would."""
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#files-menu > summary").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download sandbox.json").click()
    return json.loads(Path(download.value.path()).read_text())


def switch(page, kind: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.select_option("#backend-select", kind)
    page.wait_for_selector(f"#backend-switch[data-backend='{kind}'] .flash-msg.ok", timeout=30_000)


def seen_kept(page, broker: str) -> dict:
    """What the diagram shows of the kept half: its label's box, and each node's opacity."""
    page.evaluate("window.scrollTo(0, 0)")
    return page.evaluate(
        """(broker) => {
            const label = document.querySelector(`#topology g.band.${broker}.kept text.band-kept`);
            const box = label ? label.getBoundingClientRect() : null;
            const opacity = (sel) => [...document.querySelectorAll(sel)]
                .map(g => Number(getComputedStyle(g).opacity));
            return {
                label: label ? label.textContent : null,
                box: box && {top: box.top, bottom: box.bottom, left: box.left, right: box.right},
                kept: opacity(`#topology g.node.${broker}.kept`),
                all: document.querySelectorAll(`#topology g.node.${broker}`).length,
                running: opacity(`#topology g.node:not(.kept)`),
                keptBands: document.querySelectorAll('#topology g.band.kept').length,
            };
        }""",
        broker,
    )


def assert_kept_in_view(seen: dict, where: str, page) -> None:
    size = page.viewport_size
    assert seen["label"] and where in seen["label"], seen
    box = seen["box"]
    assert 0 <= box["top"] and box["bottom"] <= size["height"], box
    assert 0 <= box["left"] and box["right"] <= size["width"], box
    assert seen["kept"] and len(seen["kept"]) == seen["all"], seen  # every node of the half
    assert max(seen["kept"]) < 0.8, seen  # greyed
    assert seen["running"] and min(seen["running"]) == 1.0, seen
    assert seen["keptBands"] == 1


@pytest.mark.parametrize("kind", ["rabbitmq", "kafka"])
def test_a_round_trip_through_a_real_broker_keeps_the_whole_topology(
    new_page, live_server_url, kind
):
    need(reachable("127.0.0.1", PORTS[kind]), f"no {kind} on 127.0.0.1:{PORTS[kind]}")
    page = new_page(1280, 720)
    page.goto(live_server_url + "/")
    page.get_by_role("button", name="Start a sandbox").click()
    page.wait_for_url("**/s/*/")
    page.wait_for_selector("#conn[data-state='live']")
    build_both_halves(page)
    first = download_export(page)
    assert set(first["spec"]["producers"]) == {"shop", "web"} and first["spec"]["groups"]

    switch(page, kind)
    page.wait_for_selector("#broker-state[data-state='connected']", timeout=30_000)
    broker, where = KEPT[kind]
    page.wait_for_selector(f"#topology g.band.{broker}.kept")
    assert_kept_in_view(seen_kept(page, broker), where, page)
    time.sleep(TOAST)  # the toast is gone by now; the diagram still says what is kept
    assert_kept_in_view(seen_kept(page, broker), where, page)
    save_shot(page, f"round-trip-on-{kind}.png")
    kept_node = page.locator(f"#topology g.node.{broker}.kept").first
    kept_node.click()
    note = page.locator("#details .kept-note")
    note.wait_for()
    assert where in note.inner_text()
    assert download_export(page) == first  # exports hold the whole topology on the way too

    switch(page, "sim")
    page.wait_for_selector("#topology g.band.amqp:not(.kept)")
    page.wait_for_function("() => !document.querySelector('#topology .kept')")
    assert download_export(page) == first
    assert not page.errors, page.errors
