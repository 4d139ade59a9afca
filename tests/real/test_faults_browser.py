"""A real RabbitMQ going away and coming back, as a person watching the sandbox sees it.

The app runs in a subprocess pointed at the tests' own RabbitMQ node (RABBITMQ_URL and
RABBITMQ_MANAGEMENT_URL), so the node can be stopped under it. The broker pill in the
top bar says the broker is down and retried while the node is away, and up again once
it is back; the producer resumes and the consumer's acked counter climbs again. Chromium
at 1280x720; screenshots in artifacts/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.browser.test_playground import (
    ARGS,
    ARTIFACTS,
    ROOT,
    build,
    counter,
    free_port,
    start_sandbox,
    wait_for_port,
)

pytestmark = [pytest.mark.real, pytest.mark.browser]


@pytest.fixture(scope="module")
def app_on_private_rabbitmq(private_rabbitmq, tmp_path_factory) -> Iterator[str]:
    var = tmp_path_factory.mktemp("var")
    env = {
        **os.environ,
        "BP_VAR_DIR": str(var),
        "DATABASE_PATH": str(var / "db.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "playground.settings",
        "REDIS_URL": "",
        "RABBITMQ_URL": private_rabbitmq.url,
        "RABBITMQ_MANAGEMENT_URL": private_rabbitmq.management_url,
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, capture_output=True)
    port = free_port()
    log = open(var / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*manage, "runserver", "--insecure", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def page_1280(app_on_private_rabbitmq, chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=ARGS)
        pg = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        pg.errors = []
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.set_default_timeout(20_000)
        ARTIFACTS.mkdir(exist_ok=True)
        pg.shot = lambda name: pg.screenshot(path=str(ARTIFACTS / name))  # the viewport only
        yield pg
        browser.close()


def pill(page) -> tuple[str, str]:
    el = page.locator("#broker-state")
    return el.get_attribute("data-state") or "", el.text_content() or ""


def acked(page) -> int:
    return int(counter(page, "c:worker", "acked") or 0)


def until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def inside_viewport(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return (
        bool(box)
        and box["x"] >= 0
        and box["y"] >= 0
        and (
            box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"]
        )
    )


def test_the_broker_pill_says_down_and_retrying_then_up_and_the_producer_resumes(
    page_1280, app_on_private_rabbitmq, private_rabbitmq
):
    page, node = page_1280, private_rabbitmq
    if not node.running():
        node.stop()
        node.start()
    start_sandbox(page, app_on_private_rabbitmq)
    page.select_option("#backend-select", "rabbitmq")
    page.wait_for_selector("#backend-switch[data-backend='rabbitmq'] .flash-msg.ok")
    page.wait_for_selector("#broker-state[data-state='connected']")
    assert pill(page) == ("connected", "● broker up")
    build(page, "queue", name="jobs")
    build(page, "consumer", queue="jobs", tag="worker")
    build(page, "producer", name="p", target="", routing_key="jobs", rate="5")
    until(lambda: acked(page) >= 5, 20, "the consumer acks nothing")
    page.evaluate("window.scrollTo(0, 0)")
    page.shot("fault-rabbitmq-1-up.png")

    node.stop()
    page.wait_for_selector("#broker-state[data-state='disconnected']")
    page.evaluate("window.scrollTo(0, 0)")  # the Build forms scrolled the page; the top bar
    page.shot("fault-rabbitmq-2-down.png")  # does not stick, so look at it from the top
    assert pill(page)[1] == "broker down · retrying"
    assert "not reachable" in page.locator("#broker-state").get_attribute("title")
    assert inside_viewport(page, "#broker-state"), page.locator("#broker-state").bounding_box()
    assert page.locator("#conn").get_attribute("data-state") == "live"  # the page's own link
    frozen = acked(page)
    time.sleep(2)
    assert acked(page) == frozen

    node.start()
    page.wait_for_selector("#broker-state[data-state='connected']", timeout=40_000)
    assert pill(page) == ("connected", "● broker up")
    until(lambda: acked(page) >= frozen + 5, 30, "the producer did not resume")
    assert inside_viewport(page, "#broker-state")
    page.shot("fault-rabbitmq-3-back.png")
    assert not page.errors
