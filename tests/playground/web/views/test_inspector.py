"""The inspector through its views: journeys with reasons for routed, unroutable,
redelivered, dead-lettered and Kafka messages; search; a node's messages; owners only."""

from __future__ import annotations

import pytest
from django.test import Client

from playground.live.host import local_host
from playground.models import Sandbox
from playground.web import page_state
from tests.playground.conftest import HX, start

pytestmark = pytest.mark.django_db(transaction=True)

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def sandbox(client) -> Sandbox:
    return start(client)


def run(sandbox: Sandbox, **command) -> dict:
    answer = page_state.run(sandbox, command)
    assert answer["ok"], answer
    return answer


def advance(sandbox: Sandbox, seconds: float) -> None:
    local_host().live[sandbox.id].runtime.advance(seconds)


def get(client: Client, sandbox: Sandbox, path: str, **params) -> str:
    response = client.get(f"/s/{sandbox.id}/{path}", params, **HX)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def orders(sandbox: Sandbox) -> None:
    run(sandbox, op="exchange.declare", name="orders", type="topic")
    run(sandbox, op="queue.declare", name="eu")
    run(sandbox, op="queue.declare", name="us")
    run(sandbox, op="bind", source="orders", destination="eu", routing_key="order.eu.*")
    run(sandbox, op="bind", source="orders", destination="us", routing_key="order.us.*")


def test_a_routed_message_shows_the_matched_binding_and_the_queue_not_reached(client, sandbox):
    orders(sandbox)
    msg = run(sandbox, op="publish", exchange="orders", routing_key="order.eu.new", body="hi")[
        "msg"
    ]
    body = get(client, sandbox, f"inspect/{msg}/")
    assert "matched" in body and "order=order eu=eu *=new" in body
    assert "not reached" in body and "&#x27;us&#x27; ≠ &#x27;eu&#x27;" in body
    assert "Stored in queue" in body and "RabbitMQ" in body


def test_an_unroutable_message_says_so_and_why(client, sandbox):
    orders(sandbox)
    msg = run(sandbox, op="publish", exchange="orders", routing_key="invoice.fr")["msg"]
    body = get(client, sandbox, f"inspect/{msg}/")
    assert "unroutable" in body.lower() and "not reached" in body
    assert "&#x27;order&#x27; ≠ &#x27;invoice&#x27;" in body


def test_a_redelivered_message_shows_both_deliveries(client, sandbox):
    run(sandbox, op="queue.declare", name="jobs")
    run(sandbox, op="consumer.add", queue="jobs", tag="w", processing_time=5)
    msg = run(sandbox, op="publish", exchange="", routing_key="jobs")["msg"]
    advance(sandbox, 0.5)
    run(sandbox, op="consumer.crash", tag="w")
    run(sandbox, op="consumer.restart", tag="w")
    advance(sandbox, 0.5)
    body = get(client, sandbox, f"inspect/{msg}/")
    assert "redelivered=False" in body and "redelivered=True" in body
    assert "Requeued" in body and "delivery tag" in body


def test_a_dead_lettered_message_shows_its_x_death(client, sandbox):
    run(sandbox, op="exchange.declare", name="dlx", type="fanout")
    run(sandbox, op="queue.declare", name="parked")
    run(sandbox, op="bind", source="dlx", destination="parked")
    run(sandbox, op="queue.declare", name="short", arguments={"x-message-ttl": 100,
        "x-dead-letter-exchange": "dlx"})  # fmt: skip
    msg = run(sandbox, op="publish", exchange="", routing_key="short")["msg"]
    advance(sandbox, 1)
    body = get(client, sandbox, f"inspect/{msg}/")
    assert "Dead-lettered" in body and "x-death" in body and "expired" in body
    assert "<td>short</td>" in body


def test_a_kafka_record_shows_partition_offset_fetches_and_commits(client, sandbox):
    run(sandbox, op="topic.create", name="clicks", partitions=3)
    run(sandbox, op="group.add", group_id="billing", topics=["clicks"], members=1,
        auto_offset_reset="earliest", commit_policy="after")  # fmt: skip
    advance(sandbox, 1)
    msg = run(sandbox, op="send", topic="clicks", key="user-7", value="click")["msg"]
    advance(sandbox, 3)
    body = get(client, sandbox, f"inspect/{msg}/")
    assert "Kafka" in body and "murmur2" in body and "offset" in body
    assert "Fetched by" in body and "committed offset" in body
    assert "user-7" in body


def test_search_finds_by_payload_and_lists_links(client, sandbox):
    orders(sandbox)
    msg = run(sandbox, op="publish", exchange="orders", routing_key="order.us.x", body="bagel")[
        "msg"
    ]
    body = get(client, sandbox, "search/", q="BAGEL")
    assert f"/s/{sandbox.id}/inspect/{msg}/" in body
    assert "No message" in get(client, sandbox, "search/", q="nothing-like-this")


def test_a_queue_lists_its_ready_messages_and_a_tape_cell_opens_its_record(client, sandbox):
    run(sandbox, op="queue.declare", name="work")
    msgs = run(sandbox, op="publish", exchange="", routing_key="work", count=2)["msgs"]
    body = get(client, sandbox, "messages/", node="q:work")
    assert all(f"inspect/{m}/" in body for m in msgs) and "ready" in body
    run(sandbox, op="topic.create", name="t", partitions=1)
    record = run(sandbox, op="send", topic="t", value="v", count=2)["msgs"][1]
    advance(sandbox, 0.5)
    body = get(client, sandbox, "messages/", node="tp:t:0", cell=1)
    assert f"Message <code>{record}</code>" in body and "offset" in body
    assert "holds no record" in get(client, sandbox, "messages/", node="tp:t:0", cell=7)


def test_names_and_payloads_are_escaped(client, sandbox):
    run(sandbox, op="queue.declare", name="q")
    msg = run(sandbox, op="publish", exchange="", routing_key="q", body=XSS)["msg"]
    body = get(client, sandbox, f"inspect/{msg}/")
    assert XSS not in body and "&lt;img src=x" in body


def test_an_unknown_message_is_explained(client, sandbox):
    assert "No event about" in get(client, sandbox, "inspect/m12345/")


def test_other_visitors_get_404(client, sandbox):
    other = Client()
    for path in ("inspect/m1/", "search/?q=a", "messages/?node=q:x"):
        assert other.get(f"/s/{sandbox.id}/{path}").status_code == 404
    assert client.get("/s/nope/inspect/m1/").status_code == 404
