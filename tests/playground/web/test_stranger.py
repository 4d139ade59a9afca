"""A sandbox URL or watch link opened by someone else: the app's own page, status 404,
the same whether the sandbox exists or not, naming nothing of it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from playground.models import Sandbox
from tests.playground.conftest import HX, post, start

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "payroll-eu-7f3"  # a queue name only the owner's sandbox holds
TOKENS = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')


@pytest.fixture
def sandbox(client) -> Sandbox:
    sandbox = start(client)
    post(client, f"/s/{sandbox.id}/queue/", {"queue-name": SECRET, "queue-queue_type": "classic"})
    return sandbox


def without_tokens(body: str) -> str:
    """The page with its CSRF tokens blanked (they differ on every render)."""
    return TOKENS.sub(r"\1…", body)


def test_a_stranger_gets_the_apps_page_with_status_404(sandbox):
    response = Client().get(f"/s/{sandbox.id}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Broker Playground" in body and 'class="topbar"' in body  # the app's page
    assert "This sandbox belongs to the browser that made it" in body
    assert "ask its owner for a watch link" in body
    assert 'action="/sandbox/new/"' in body and "Start a sandbox" in body


def test_the_stranger_page_reveals_nothing_of_the_sandbox(sandbox):
    body = Client().get(f"/s/{sandbox.id}/").content.decode()
    for secret in (SECRET, sandbox.id, str(sandbox.seed)):
        assert secret not in body


@pytest.mark.parametrize("path", ["", "diagram/", "export/sandbox.json", "compare/", "code/"])
def test_an_existing_sandbox_and_a_made_up_one_answer_the_same_page(sandbox, path):
    stranger = Client()
    real = stranger.get(f"/s/{sandbox.id}/{path}")
    made_up = stranger.get(f"/s/{'x' * len(sandbox.id)}/{path}")
    assert real.status_code == made_up.status_code == 404
    assert without_tokens(real.content.decode()) == without_tokens(made_up.content.decode())


def test_an_htmx_request_from_a_stranger_gets_a_short_flash_not_the_page(sandbox):
    response = Client().post(f"/s/{sandbox.id}/action/", {"op": "time.pause"}, **HX)
    assert response.status_code == 404
    assert response["BP-Stranger"] == "1" and response["HX-Reswap"] == "innerHTML"
    body = response.content.decode()
    assert body.startswith('<p class="flash-msg error"') and "<html" not in body
    assert "not open to this browser" in body and SECRET not in body
    sandbox.refresh_from_db()
    assert sandbox.spec["time"]["paused"] is False


def test_a_revoked_or_unknown_watch_link_gets_the_apps_page(client, sandbox):
    token = client.post(f"/s/{sandbox.id}/share/link/", **HX)
    assert token.status_code == 200
    sandbox.refresh_from_db()
    link = sandbox.watch_token
    viewer = Client()
    assert viewer.get(f"/w/{link}/").status_code == 200
    client.post(f"/s/{sandbox.id}/share/revoke/", **HX)
    revoked, unknown = viewer.get(f"/w/{link}/"), viewer.get("/w/no-such-link/")
    assert revoked.status_code == unknown.status_code == 404
    body = revoked.content.decode()
    assert "This watch link does not open a sandbox" in body and "new watch link" in body
    assert SECRET not in body and sandbox.id not in body
    assert without_tokens(body) == without_tokens(unknown.content.decode())


def test_other_not_found_pages_are_not_the_stranger_page(client, sandbox):
    response = client.get(f"/s/{sandbox.id}/no-such-kind/")
    assert response.status_code == 404
    assert "belongs to the browser that made it" not in response.content.decode()
