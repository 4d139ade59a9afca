"""Sandbox pages: start, show, reset, new; only the owner ever sees a sandbox."""

from __future__ import annotations

import pytest
from django.test import Client

from playground.models import Sandbox
from tests.playground.conftest import HX, post, start

pytestmark = pytest.mark.django_db(transaction=True)


def test_starting_a_sandbox_redirects_to_its_page_which_shows_the_seed(client):
    sandbox = start(client)
    body = client.get(f"/s/{sandbox.id}/").content.decode()
    assert str(sandbox.seed) in body
    assert 'id="topology"' in body and "Reset" in body and "New sandbox" in body


def test_the_start_page_has_a_start_button(client):
    body = client.get("/").content.decode()
    assert "Start a sandbox" in body and 'action="/sandbox/new/"' in body


def test_starting_is_post_only(client):
    assert client.get("/sandbox/new/").status_code == 405


def test_new_sandbox_makes_another_one_for_the_same_visitor(client):
    first, second = start(client), start(client)
    assert first.id != second.id and first.owner == second.owner


def test_reload_keeps_the_work(client):
    sandbox = start(client)
    post(
        client, f"/s/{sandbox.id}/exchange/", {"exchange-name": "orders", "exchange-type": "topic"}
    )
    body = client.get(f"/s/{sandbox.id}/").content.decode()
    assert 'data-node="x:orders"' in body


def test_reset_empties_the_topology_and_keeps_the_seed(client):
    sandbox = start(client)
    post(client, f"/s/{sandbox.id}/queue/", {"queue-name": "jobs", "queue-queue_type": "classic"})
    response = client.post(f"/s/{sandbox.id}/reset/", **HX)
    assert "topology-changed" in response["HX-Trigger"]
    body = client.get(f"/s/{sandbox.id}/diagram/").content.decode()
    assert 'data-node="q:jobs"' not in body
    sandbox_after = Sandbox.objects.get(id=sandbox.id)
    assert sandbox_after.seed == sandbox.seed


SANDBOX_URLS = [
    ("get", ""),
    ("get", "diagram/"),
    ("post", "reset/"),
    ("get", "node/?id=x:orders"),
    ("post", "action/"),
    ("post", "speed/"),
    ("post", "group-reset/"),
    ("get", "exchange/"),
    ("post", "exchange/"),
    ("post", "exchange/delete/"),
    ("post", "publish/"),
]


@pytest.mark.parametrize(("method", "path"), SANDBOX_URLS)
def test_a_stranger_gets_404_on_every_sandbox_url(client, method, path):
    sandbox = start(client)
    post(
        client, f"/s/{sandbox.id}/exchange/", {"exchange-name": "orders", "exchange-type": "topic"}
    )
    stranger = Client()
    data = {
        "exchange-name": "mine",
        "exchange-type": "direct",
        "name": "orders",
        "op": "time.pause",
    }
    response = getattr(stranger, method)(
        f"/s/{sandbox.id}/{path}", data if method == "post" else None
    )
    assert response.status_code == 404
    body = client.get(f"/s/{sandbox.id}/diagram/").content.decode()
    assert 'data-node="x:orders"' in body and 'data-node="x:mine"' not in body


def test_an_unknown_sandbox_is_404(client):
    start(client)
    assert client.get("/s/nope/").status_code == 404
