"""The compare page: each preset's two sides, counters that match run_preset, claims as
"what to notice", a timeline, and loading a preset into the owner's sandbox."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from playground.live import host
from playground.models import Sandbox
from playground.web import page_state
from sandbox.compare import presets
from sandbox.compare.diagram import play
from tests.playground.conftest import HX, start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox(client) -> Sandbox:
    return start(client)


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_each_preset_shows_both_sides_with_the_counters_of_run_preset(client, sandbox, name):
    body = client.get(f"/s/{sandbox.id}/compare/", {"preset": name}).content.decode()
    preset = presets.PRESETS[name]
    assert "What to notice" in body and preset.description in body
    assert "RabbitMQ" in body and "Kafka" in body and 'class="timeline"' in body
    assert body.count('<svg class="topology mini"') == 2
    result = presets.run_preset(preset)
    assert play(name).counters == result.counters and result.ok
    for key in ("copies_stored", "stored_now", "duplicates", "lost"):
        row = body.split(f'data-counter="{key}"')[1].split("</tr>")[0]
        assert f">{result.counters['amqp'][key]}</td>" in row
        assert f">{result.counters['kafka'][key]}</td>" in row
    assert "Claims that did not hold" not in body


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_the_diagrams_consumer_counters_are_the_tables_numbers(client, sandbox, name):
    """Each consumer box's ✓ is its acks at the end and each member's its processed
    records; together they are the table's "processed" (no preset has an auto-ack
    consumer, whose deliveries the table counts unacked; a member that left is not drawn)."""
    body = client.get(f"/s/{sandbox.id}/compare/", {"preset": name}).content.decode()
    shown = {
        tag: int(n)
        for tag, n in re.findall(r'data-node="c:([^"]+)" data-field="acked">(\d+)</tspan>', body)
    }
    state = play(name).state["amqp"]["consumers"]
    assert shown == {c["tag"]: c["acked"] for c in state}
    assert not any(c["auto_ack"] for c in state)
    members = {
        member: int(n)
        for member, n in re.findall(
            r'data-node="m:([^"]+)" data-field="processed">(\d+)</tspan>', body
        )
    }
    played = play(name)
    groups = played.state["kafka"]["groups"]
    assert members == {m["member"]: m["processed"] for g in groups for m in g["members"]}
    # a member that crashed and left is not drawn: the drawn ones hold the rest
    gone = sum(
        len(e["msgs"])
        for e in played.events
        if e["kind"] == "processed" and e["member"] not in members
    )
    row = body.split('data-counter="processed"')[1].split("</tr>")[0].replace(" claimed", "")
    assert f'<td class="rabbit">{sum(shown.values())}</td>' in row
    assert f'<td class="kafka">{sum(members.values()) + gone}</td>' in row


def test_an_unknown_preset_falls_back_to_the_first(client, sandbox):
    body = client.get(f"/s/{sandbox.id}/compare/", {"preset": "<nope>"}).content.decode()
    assert next(iter(presets.PRESETS.values())).title in body


def test_loading_a_preset_builds_both_topologies_and_the_stream(client, sandbox):
    response = client.post(f"/s/{sandbox.id}/compare/load/", {"preset": "fanout"}, **HX)
    assert response.status_code == 200 and response["HX-Redirect"] == f"/s/{sandbox.id}/"
    st = page_state.state(sandbox)
    assert {q["name"] for q in st["amqp"]["queues"]} == {"billing", "audit"}
    assert [t["name"] for t in st["kafka"]["topics"]] == ["news"]
    assert {p["name"] for p in st["producers"]} == {"to-rabbitmq", "to-kafka"}


def test_the_compare_page_is_owner_only(client, sandbox):
    assert Client().get(f"/s/{sandbox.id}/compare/").status_code == 404
    assert Client().post(f"/s/{sandbox.id}/compare/load/", {"preset": "fanout"}).status_code == 404


def test_a_loaded_preset_plays_its_timeline_in_the_sandbox(client, sandbox):
    preset = presets.PRESETS["crash"]
    crash_at = next(at for at, cmd in preset.actions if cmd["op"] == "consumer.crash")
    response = client.post(f"/s/{sandbox.id}/compare/load/", {"preset": "crash"}, **HX)
    assert response.status_code == 200
    runtime = host.local_host().live[sandbox.id].runtime
    runtime.advance(crash_at + 1.0)
    kinds = {(e.kind, getattr(e, "consumer_tag", None)) for e in runtime.history}
    assert ("consumer_crashed", "worker") in kinds and ("consumer_restarted", "worker") in kinds
    crash = next(e for e in runtime.history if e.kind == "consumer_crashed")
    stream = next(e for e in runtime.history if e.kind == "published")  # the stream's start
    assert crash.t - stream.t == pytest.approx(crash_at, abs=1e-6)
    assert any(e.kind == "member_crashed" for e in runtime.history)
