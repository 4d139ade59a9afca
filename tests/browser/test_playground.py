"""The playground in a real browser: build, publish and watch, as a person would.

Serves the app with daphne (`manage.py runserver`, WebSockets included) in a subprocess
on a free loopback port with its own database, and drives Debian's Chromium through
Playwright. Screenshots go to artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
XSS = "<img src=x onerror=alert(1)>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The app under daphne, with a throwaway database, at http://127.0.0.1:<port>."""
    var = tmp_path_factory.mktemp("var")
    env = {
        **os.environ,
        "BP_VAR_DIR": str(var),
        "DATABASE_PATH": str(var / "db.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "playground.settings",
        "REDIS_URL": "",
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
def page(server, chromium_path):
    """A fresh browser page; records dialogs, page errors and every request's host."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=ARGS)
        context = browser.new_context(viewport={"width": 1700, "height": 1100})
        pg = context.new_page()
        pg.dialogs = []
        pg.errors = []
        pg.hosts = set()
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.on("request", lambda r: pg.hosts.add(urlparse(r.url).netloc or r.url.split(":")[0]))
        pg.set_default_timeout(15_000)
        yield pg
        browser.close()


def start_sandbox(page, server: str) -> None:
    page.goto(server + "/")
    page.get_by_role("button", name="Start a sandbox").click()
    page.wait_for_url("**/s/*/")
    page.wait_for_selector("#conn[data-state='live']")


def build(page, kind: str, **fields) -> None:
    """Fill the Build panel's form for `kind` and submit it; wait for its success note."""
    form = page.locator(f"aside form.cmd-form[data-kind='{kind}']")
    details = form.locator("xpath=ancestor::details[1]")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    for name, value in fields.items():
        field = form.locator(f"[name='{kind}-{name}']")
        tag = field.evaluate("el => el.tagName + ':' + (el.type || '')")
        if tag.startswith("SELECT"):
            field.select_option(str(value))
        elif tag.endswith(":checkbox"):
            field.set_checked(bool(value))
        else:
            field.fill(str(value))
    page.evaluate("document.getElementById('topology').dataset.stale = '1'")
    form.evaluate("el => el.dataset.stale = '1'")
    form.get_by_role("button").last.click()
    fresh = f"aside form.cmd-form[data-kind='{kind}']:not([data-stale])"
    page.wait_for_selector(f"{fresh} .done, {fresh} .error, {fresh} .errors")
    errors = page.locator(f"{fresh} .error, {fresh} .errors").all_text_contents()
    assert not errors, errors
    page.wait_for_selector("#topology:not([data-stale])")


def counter(page, node: str, field: str) -> str:
    return page.evaluate(
        """([node, field]) => {
            const el = [...document.querySelectorAll('#topology [data-field]')]
                .find(e => e.dataset.node === node && e.dataset.field === field);
            return el ? el.textContent : null;
        }""",
        [node, field],
    )


def wait_counter(page, node: str, field: str, want: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if counter(page, node, field) == want:
            return
        time.sleep(0.2)
    raise AssertionError(f"{node} {field} is {counter(page, node, field)!r}, not {want!r}")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_topic_exchange_routes_each_message_to_the_right_consumer(page, server):
    """Two queues bound with eu.# and us.#: each consumer acks only its own messages."""
    start_sandbox(page, server)
    build(page, "exchange", name="orders", type="topic")
    build(page, "queue", name="eu-orders")
    build(page, "queue", name="us-orders")
    build(page, "binding", source="orders", destination="eu-orders", routing_key="eu.#")
    build(page, "binding", source="orders", destination="us-orders", routing_key="us.#")
    build(page, "consumer", queue="eu-orders", tag="eu-worker", processing_time="0.2")
    build(page, "consumer", queue="us-orders", tag="us-worker", processing_time="0.2")
    for node in ("x:orders", "q:eu-orders", "q:us-orders", "c:eu-worker", "c:us-worker"):
        expect(page.locator(f"#topology g.node[data-node='{node}']")).to_have_count(1)
    expect(page.locator("#topology path.edge.binding")).to_have_count(2)

    build(page, "publish", exchange="orders", routing_key="eu.paris", body="bonjour")
    wait_counter(page, "c:eu-worker", "acked", "1")
    build(page, "publish", exchange="orders", routing_key="us.nyc", body="hi", count="2")
    wait_counter(page, "c:us-worker", "acked", "2")
    assert counter(page, "c:eu-worker", "acked") == "1"
    page.wait_for_selector("#log li[data-kind='delivered']")
    delivered = page.locator("#log li[data-kind='delivered']").all_text_contents()
    assert sum("consumer_tag=eu-worker" in line for line in delivered) == 1
    assert sum("consumer_tag=us-worker" in line for line in delivered) == 2
    assert counter(page, "q:eu-orders", "ready") == "0"
    shot(page, "rabbitmq-topic-exchange.png")
    assert not page.errors


def test_kafka_groups_each_read_every_record_and_lag_returns_to_zero(page, server):
    """Three partitions, two groups: both consume all 30 records; lag ends at 0."""
    start_sandbox(page, server)
    build(page, "topic", name="clicks", partitions="3")
    build(page, "group", group_id="billing", topics="clicks", members="2", processing_time="0.05")
    build(
        page,
        "group",
        group_id="analytics",
        topics="clicks",
        members="1",
        processing_time="0.05",
        max_poll_records="5",
    )
    for p in range(3):
        expect(page.locator(f"#topology g.node[data-node='tp:clicks:{p}']")).to_have_count(1)
    build(page, "send", topic="clicks", key_pattern="user-{n}", value="click {n}", count="30")
    ends = 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        ends = sum(int(counter(page, f"tp:clicks:{p}", "log_end") or 0) for p in range(3))
        if ends == 30:
            break
        time.sleep(0.2)
    assert ends == 30
    # every group commits every partition (one marker each on the tapes), then lag is 0
    # expect() retries as one check: a diagram redraw between two reads cannot split it
    expect(page.locator("#topology g.marker:not(.off)")).to_have_count(6, timeout=40_000)
    wait_counter(page, "g:billing", "lag", "0", timeout=40)
    wait_counter(page, "g:analytics", "lag", "0", timeout=40)
    page.locator("#topology g.node[data-node='g:billing']").click()
    page.wait_for_selector("#details table.offsets")
    shot(page, "kafka-two-groups.png")
    assert not page.errors


def test_names_and_payloads_render_as_text(page, server):
    """An entity name and a payload of <img onerror> show as text; no script runs."""
    start_sandbox(page, server)
    build(page, "exchange", name=XSS, type="fanout")
    build(page, "queue", name=XSS)
    build(page, "binding", source=XSS, destination=XSS)
    build(page, "producer", name=XSS, broker="amqp", target=XSS, payload=XSS, rate="2")
    build(page, "publish", exchange=XSS, body=XSS)
    labels = page.locator("#topology text.label").all_text_contents()
    assert sum(label.startswith(XSS[:12]) for label in labels) >= 3
    page.locator("#topology g.node.producer").first.click()
    page.wait_for_selector("#details table.kv", state="attached")
    assert (
        XSS in page.locator("#details").inner_text()
        or XSS in page.locator("#details table.kv").text_content()
    )
    page.wait_for_selector("#log li")
    time.sleep(1)
    expect(page.locator("img[src='x']")).to_have_count(0)
    assert page.dialogs == []
    shot(page, "escaping.png")
    assert not page.errors


def test_time_controls_and_crashing_a_consumer(page, server):
    """Pause stops the clock, step moves it by one event, the speed slider says its speed,
    and a crashed consumer is drawn as crashed."""
    start_sandbox(page, server)
    build(page, "queue", name="jobs")
    build(page, "consumer", queue="jobs", tag="worker", processing_time="1")
    build(page, "producer", name="feeder", broker="amqp", target="", routing_key="jobs", rate="2")
    page.click("#pause")
    page.wait_for_selector("#paused-flag:not([hidden])")
    frozen = page.text_content("#clock")
    time.sleep(0.8)
    assert page.text_content("#clock") == frozen
    page.click("#step")
    page.wait_for_function(f"() => document.getElementById('clock').textContent !== '{frozen}'")
    page.eval_on_selector(
        "#speed",
        """el => { el.value = 70;
                   el.dispatchEvent(new Event('input', {bubbles: true}));
                   el.dispatchEvent(new Event('change', {bubbles: true})); }""",
    )
    assert page.text_content("#speed-out") == "4.1×"
    page.click("#play")
    page.wait_for_selector("#paused-flag[hidden]", state="attached")
    page.locator("#topology g.node[data-node='c:worker']").click()
    page.locator("#details button[value='consumer.crash']").click()
    page.wait_for_selector("#topology g.node.crashed[data-node='c:worker']")
    # The clicked Crash button keeps the focus until the details panel reloads (the
    # crash changes the topology) and swaps it out; page keys wait while a button has
    # the focus, by design. The crashed node comes from a frame and may show first, so
    # wait for the focus to fall back to the page before pressing f.
    page.wait_for_function("() => document.activeElement === document.body")
    page.keyboard.press("f")
    assert "full-view" in page.evaluate("document.body.className")
    shot(page, "full-view.png")
    assert not page.errors


def test_first_load_stays_small_and_local(page, server):
    """Every asset comes from the app itself, and the first load is at most 300 KB."""
    start_sandbox(page, server)
    page.wait_for_load_state("networkidle")
    here = urlparse(server).netloc
    assert page.hosts <= {here, "data"}, page.hosts
    sizes = page.evaluate(
        """() => [performance.getEntriesByType('navigation')[0],
                  ...performance.getEntriesByType('resource')]
                 .map(e => [e.name, e.decodedBodySize])"""
    )
    total = sum(size for _, size in sizes)
    print(f"sandbox page first load: {total / 1024:.1f} KiB uncompressed, {len(sizes)} files")
    assert total <= 300 * 1024, sizes
