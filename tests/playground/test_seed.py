"""Choosing the seed: on Reset and on New sandbox a person may type one (a whole number
from 0 to 2**63-1); empty keeps it (Reset) or draws one (New); the top bar shows it."""

from __future__ import annotations

import pytest
from django.test import Client

from playground.live import host
from playground.models import Sandbox
from sandbox.runtime import SandboxRuntime
from tests.playground.conftest import HX, post, start

pytestmark = pytest.mark.django_db(transaction=True)

BAD = ["abc", "-1", str(2**63), "1.5", "1e3", "12 34"]


def frame_seed(sandbox: Sandbox) -> int:
    return host.call_sync(sandbox.id, {"op": "sandbox.snapshot"})["frame"]["seed"]


def with_a_queue(client: Client) -> Sandbox:
    sandbox = start(client)
    post(client, f"/s/{sandbox.id}/queue/", {"queue-name": "jobs", "queue-queue_type": "classic"})
    return sandbox


def test_reset_with_a_seed_empties_the_sandbox_and_uses_that_seed(client):
    sandbox = with_a_queue(client)
    body = post(client, f"/s/{sandbox.id}/reset/", {"seed": "42"})
    assert "Sandbox reset (new seed 42)." in body
    sandbox.refresh_from_db()
    assert sandbox.seed == 42 and sandbox.spec["queues"] == {} and frame_seed(sandbox) == 42
    assert 'id="seed">42<' in client.get(f"/s/{sandbox.id}/").content.decode()


def test_reset_with_an_empty_seed_keeps_the_seed(client):
    sandbox = with_a_queue(client)
    body = post(client, f"/s/{sandbox.id}/reset/", {"seed": ""})
    assert f"Sandbox reset (same seed {sandbox.seed})." in body
    assert Sandbox.objects.get(id=sandbox.id).seed == sandbox.seed == frame_seed(sandbox)


@pytest.mark.parametrize("seed", BAD)
def test_reset_with_a_bad_seed_is_refused_and_changes_nothing(client, seed):
    sandbox = with_a_queue(client)
    body = post(client, f"/s/{sandbox.id}/reset/", {"seed": seed})
    assert "The seed is a whole number from 0 to 9223372036854775807. Nothing changed." in body
    fresh = Sandbox.objects.get(id=sandbox.id)
    assert fresh.seed == sandbox.seed and "jobs" in fresh.spec["queues"]


def test_a_new_sandbox_takes_the_seed_typed(client):
    response = client.post("/sandbox/new/", {"seed": " 1234 "})
    assert response.status_code == 302
    sandbox = Sandbox.objects.get(id=response["Location"].split("/")[2])
    assert sandbox.seed == 1234
    assert 'id="seed">1234<' in client.get(response["Location"]).content.decode()


def test_a_new_sandbox_without_a_seed_draws_one(client):
    seeds = {start(client).seed for _ in range(3)}
    assert len(seeds) == 3


@pytest.mark.parametrize("seed", BAD)
def test_a_new_sandbox_with_a_bad_seed_is_refused_with_a_message(client, seed):
    response = client.post("/sandbox/new/", {"seed": seed})
    assert response.status_code == 400
    body = response.content.decode()
    assert "The seed is a whole number from 0 to 9223372036854775807." in body
    assert f'value="{seed}"' in body and not Sandbox.objects.exists()
    flash = client.post("/sandbox/new/", {"seed": seed}, **HX)
    assert "The seed is a whole number" in flash.content.decode() and not Sandbox.objects.exists()


def test_the_same_seed_after_a_reset_replays_like_a_fresh_sandbox():
    script = [
        {"op": "queue.declare", "name": "q"},
        {"op": "consumer.add", "queue": "q", "failure_rate": 0.5},
        {"op": "publish", "exchange": "", "routing_key": "q", "count": 20},
    ]
    reset = SandboxRuntime(5)
    assert reset.apply({"op": "sandbox.reset", "seed": 99}) == {"ok": True, "seed": 99}
    fresh = SandboxRuntime(99)
    for rt in (reset, fresh):
        for command in script:
            assert rt.apply(command)["ok"]
        rt.tick(3.0)
    assert [e.to_dict() for e in reset.history] == [e.to_dict() for e in fresh.history]


def test_the_sandbox_menu_offers_the_seed_for_reset_and_new(client):
    sandbox = start(client)
    body = client.get(f"/s/{sandbox.id}/").content.decode()
    menu = body.split('id="start-over"')[1].split("</form>")[0]
    assert 'name="seed"' in menu and 'id="reset"' in menu and 'id="new-sandbox"' in menu
