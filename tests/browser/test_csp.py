"""Every page works under the production Content-Security-Policy, with no violation.

Serves the app in production mode (BP_PRODUCTION=1, over plain HTTP on loopback, so
BP_SSL_REDIRECT=0; Chromium keeps Secure cookies for 127.0.0.1) and opens the start
page, a scenario's sandbox page, presenter mode, the compare page and a watch link in
Chromium. Each page records `securitypolicyviolation` events (listening before any of
the page's own scripts run) and console errors; none may appear, and live frames must
still move the clock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.test_playground import ARGS, ROOT, free_port, wait_for_port

pytestmark = pytest.mark.browser

SHOTS = ROOT / "artifacts" / "csp"
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${where}`);
});
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> Iterator[str]:
    var = tmp_path_factory.mktemp("var")
    env = {
        **os.environ,
        "BP_VAR_DIR": str(var),
        "DATABASE_PATH": str(var / "db.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "playground.settings",
        "REDIS_URL": "",
        "BP_PRODUCTION": "1",
        "BP_SSL_REDIRECT": "0",
        "SECRET_KEY": "csp-test-" + "0123456789abcdef" * 4,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, capture_output=True)
    port = free_port()
    log = open(var / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*manage, "runserver", "--insecure", "--noreload", f"127.0.0.1:{port}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path, args=ARGS)
        yield chromium
        chromium.close()


def open_page(context):
    page = context.new_page()
    page.add_init_script(LISTEN)
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.set_default_timeout(15_000)
    return page


def assert_clean(page, name: str) -> None:
    page.wait_for_timeout(500)  # late violations (htmx swaps, styles set after load)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    violations = page.evaluate("window.__violations")
    assert violations == [], f"{name}: {violations}"
    assert page.console_errors == [], f"{name}: {page.console_errors}"


def clock_moves(page) -> None:
    """Live frames arrive: the socket is live and the virtual clock goes on."""
    page.wait_for_selector("#conn[data-state='live']")
    clock = page.locator("#clock")
    expect(clock).not_to_have_text(clock.text_content())  # polls; no eval in the page


def test_every_page_passes_the_production_csp_and_frames_flow(production, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = open_page(context)
    answer = page.goto(production + "/")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "fullscreen=(self)" in answer.headers["permissions-policy"]
    assert_clean(page, "start")

    page.locator(".scenario-card").first.locator("button.open").click()
    page.wait_for_url("**/s/*/")
    sandbox = page.url
    page.get_by_role("button", name="▶ Play").click()
    clock_moves(page)
    page.locator("#diagram [data-node]").first.focus()
    page.keyboard.press("Enter")  # a node opens by keyboard without an eval'd trigger
    page.wait_for_selector("#details .details-body")
    assert_clean(page, "sandbox")

    page.goto(sandbox + "?present=1")
    page.wait_for_selector("body.presenting")
    clock_moves(page)
    assert_clean(page, "presenter")

    page.goto(sandbox + "compare/")
    page.wait_for_selector("svg")
    assert_clean(page, "compare")

    page.goto(sandbox)
    page.locator("#share-open").click()
    page.locator("#make-link").click()
    watch_url = page.locator("#watch-url").input_value()
    page.get_by_role("button", name="▶ Play").click()
    assert_clean(page, "share")

    watcher = open_page(browser.new_context(viewport={"width": 1280, "height": 720}))
    watcher.goto(watch_url)
    clock_moves(watcher)
    assert_clean(watcher, "watch")
