"""Browser-test plumbing: one live app for the session and Chromium pages on it.

`live_server_url` serves the app with daphne (`manage.py runserver`, WebSockets
included) in a subprocess on a free loopback port with its own database, once per test
session; `chromium` is one browser per module; `new_page(viewport)` opens a page in
a fresh context (its own cookies, so its own visitor) that records page errors.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser.test_playground import ARGS, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "browser"


@pytest.fixture(scope="session")
def live_server_url(tmp_path_factory) -> Iterator[str]:
    """The app under daphne, with a throwaway database, at http://127.0.0.1:<port>."""
    var = tmp_path_factory.mktemp("live-var")
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
    with open(var / "server.log", "w") as log:
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
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:  # a real broker's runtime still closing
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="module")
def chromium(chromium_path: str) -> Iterator:
    """Debian's Chromium, once per module (Playwright's sync API allows one running
    instance per thread, and other modules start their own)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    from tests.conftest import need

    path = "/usr/bin/chromium"
    need(os.path.exists(path), "no /usr/bin/chromium (run `make services`)")
    return path


@pytest.fixture
def new_page(chromium) -> Iterator[Callable[..., object]]:
    """Open pages, each in a context of its own (a visitor of its own); closed after."""
    contexts = []

    def open_page(width: int = 1280, height: int = 720):
        context = chromium.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.set_default_timeout(20_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def save_shot(page, name: str) -> None:
    """A screenshot under artifacts/browser/ (git-ignored) to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))
