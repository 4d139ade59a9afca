"""The playground on a real RabbitMQ, in Chromium: switch, build, publish, watch."""

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

pytestmark = [pytest.mark.real, pytest.mark.browser]


def test_a_sandbox_on_real_rabbitmq_shows_the_delivery(page, server, rabbitmq_url):  # noqa: F811
    start_sandbox(page, server)
    assert page.locator("#step").is_enabled()
    page.select_option("#backend-select", "rabbitmq")
    page.wait_for_selector("#backend-switch[data-backend='rabbitmq'] .flash-msg.ok")
    page.wait_for_selector("#broker-state[data-state='connected']")
    assert page.locator("#step").is_disabled() and page.locator("#speed").is_disabled()
    assert "real time" in page.locator("#step").get_attribute("title")

    build(page, "queue", name="jobs")
    build(page, "consumer", queue="jobs", tag="worker", processing_time="0.1")
    build(page, "publish", exchange="", routing_key="jobs", body="hello real broker")
    wait_counter(page, "c:worker", "acked", "1")
    page.wait_for_selector("#log li[data-kind='delivered']")
    delivered = page.locator("#log li[data-kind='delivered']").all_text_contents()
    assert any("consumer_tag=worker" in line for line in delivered), delivered
    shot(page, "real-rabbitmq-delivery.png")

    page.reload()
    page.wait_for_selector("#broker-state[data-state='connected']")
    assert page.locator("#backend-select").input_value() == "rabbitmq"
    expect(page.locator("#topology g.node[data-node='q:jobs']")).to_have_count(1)
    assert not page.errors
