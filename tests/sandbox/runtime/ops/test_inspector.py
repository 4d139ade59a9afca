"""The runtime answers the inspector: journeys, search by id, key or payload, and the
messages each diagram node saw; payload memory stays bounded."""

from __future__ import annotations

from sandbox import protocol
from sandbox.files.sandbox_json import replay
from sandbox.runtime import Caps, SandboxRuntime
from sandbox.runtime.commands import COMMANDS
from sandbox.runtime.payloads import PREVIEW_CHARS, Payloads


def ok(rt: SandboxRuntime, **command) -> dict:
    result = rt.apply(command)
    assert result["ok"], result
    return result


def orders(rt: SandboxRuntime) -> None:
    ok(rt, op="exchange.declare", name="orders", type="topic")
    ok(rt, op="queue.declare", name="eu")
    ok(rt, op="queue.declare", name="us")
    ok(rt, op="bind", source="orders", destination="eu", routing_key="order.eu.*")
    ok(rt, op="bind", source="orders", destination="us", routing_key="order.us.*")


def test_the_inspector_ops_are_in_the_protocol_and_the_table():
    for op in ("message.journey", "message.search", "message.recent", "sandbox.load"):
        assert op in protocol.ALL_OPS and op in COMMANDS


def test_a_journey_names_the_matched_binding_and_why_the_other_missed():
    rt = SandboxRuntime(1)
    orders(rt)
    msg = ok(rt, op="publish", exchange="orders", routing_key="order.eu.new", body="hello")["msg"]
    rt.advance(1)
    answer = ok(rt, op="message.journey", msg=msg)
    journey = answer["journey"]
    assert journey["found"] and journey["broker"] == "amqp"
    routed = next(s for s in journey["steps"] if s["kind"] == "routed")
    assert [m["destination"] for m in routed["details"]["matched"]] == ["eu"]
    (missed,) = routed["details"]["not_matched"]
    assert missed["destination"] == "us" and "'us' ≠ 'eu'" in missed["reason"]
    assert answer["body"] == "hello"


def test_headers_are_remembered_to_explain_a_headers_binding_that_missed():
    rt = SandboxRuntime(1)
    ok(rt, op="exchange.declare", name="h", type="headers")
    ok(rt, op="queue.declare", name="pdf")
    ok(rt, op="bind", source="h", destination="pdf", arguments={"format": "pdf"})
    msg = ok(rt, op="publish", exchange="h", routing_key="", headers={"format": "png"})["msg"]
    answer = ok(rt, op="message.journey", msg=msg)
    assert answer["headers"] == {"format": "png"}
    step = answer["journey"]["steps"][1]
    assert step["kind"] == "unroutable"
    assert "format" in step["details"]["not_matched"][0]["reason"]


def test_an_unknown_message_has_no_journey():
    rt = SandboxRuntime(1)
    journey = ok(rt, op="message.journey", msg="m999")["journey"]
    assert journey["found"] is False and journey["steps"] == []


def test_search_finds_by_id_key_and_payload_text():
    rt = SandboxRuntime(1)
    orders(rt)
    a = ok(rt, op="publish", exchange="orders", routing_key="order.eu.new", body="croissant")["msg"]
    b = ok(rt, op="publish", exchange="orders", routing_key="order.us.new", body="bagel")["msg"]
    assert ok(rt, op="message.search", text="BAGEL")["msgs"] == [b]
    assert ok(rt, op="message.search", text="order.eu")["msgs"] == [a]
    assert ok(rt, op="message.search", text=a)["msgs"][0] == a
    assert ok(rt, op="message.search", text="   ")["msgs"] == []


def test_kafka_records_are_searchable_by_value_and_listed_by_offset():
    rt = SandboxRuntime(1)
    ok(rt, op="topic.create", name="clicks", partitions=1)
    msgs = ok(rt, op="send", topic="clicks", key="user-7", value="page {n}", count=3)["msgs"]
    rt.advance(0.5)
    assert ok(rt, op="message.search", text="page 2")["msgs"] == [msgs[1]]
    listed = ok(rt, op="message.recent", node="tp:clicks:0")["items"]
    assert [(i["offset"], i["msg"]) for i in listed] == list(enumerate(msgs))
    cell = ok(rt, op="message.recent", node="tp:clicks:0", cell=1)
    assert cell["offset"] == 1 and cell["msg"] == msgs[1]
    empty = ok(rt, op="message.recent", node="tp:clicks:0", cell=9)
    assert empty["msg"] is None


def test_a_queue_lists_ready_messages_and_a_consumer_its_deliveries():
    rt = SandboxRuntime(1)
    ok(rt, op="queue.declare", name="work")
    msgs = ok(rt, op="publish", exchange="", routing_key="work", count=3)["msgs"]
    ready = ok(rt, op="message.recent", node="q:work")["items"]
    assert [i["msg"] for i in ready] == msgs and {i["text"] for i in ready} == {"ready"}
    ok(rt, op="consumer.add", queue="work", tag="w", processing_time=0.1)
    rt.advance(5)
    done = ok(rt, op="message.recent", node="q:work")["items"]
    assert [i["text"] for i in done] == ["acked"] * 3  # gone, but shown as recent
    delivered = ok(rt, op="message.recent", node="c:w")["items"]
    assert [i["msg"] for i in delivered] == msgs and "tag 1" in delivered[0]["text"]
    assert [i["msg"] for i in ok(rt, op="message.recent", node="x:")["items"]] == msgs


def test_unknown_nodes_are_refused():
    rt = SandboxRuntime(1)
    assert rt.apply({"op": "message.recent", "node": "zz:what"})["ok"] is False
    assert rt.apply({"op": "message.recent", "node": "tp:nope"})["ok"] is False


def test_payload_memory_is_bounded_and_previews_are_short():
    payloads = Payloads(3)
    for n in range(5):
        payloads.remember(f"m{n}", "x" * 500, None)
    assert list(payloads.items) == ["m2", "m3", "m4"]
    assert len(payloads.get("m4")[0]) == PREVIEW_CHARS
    rt = SandboxRuntime(1, caps=Caps(event_history=10))
    ok(rt, op="queue.declare", name="q")
    ok(rt, op="publish", exchange="", routing_key="q", count=30)
    assert len(rt.payloads.items) == 10


def test_reset_forgets_payloads_and_load_replaces_topology_and_seed():
    rt = SandboxRuntime(1)
    orders(rt)
    ok(rt, op="publish", exchange="orders", routing_key="order.eu.x", body="secret")
    spec = replay({"queues": {"only": {}}})
    assert ok(rt, op="sandbox.load", spec=spec, seed=42)["seed"] == 42
    assert rt.seed == 42 and list(rt.spec["queues"]) == ["only"] and not rt.spec["exchanges"]
    assert ok(rt, op="message.search", text="secret")["msgs"] == []
    orders(rt)
    ok(rt, op="publish", exchange="orders", routing_key="order.eu.x", body="secret")
    ok(rt, op="sandbox.reset")
    assert not rt.payloads.items and not rt.history


def test_load_refuses_a_missing_spec_and_changes_nothing():
    rt = SandboxRuntime(1)
    orders(rt)
    before = dict(rt.spec)
    assert rt.apply({"op": "sandbox.load", "spec": "nope"})["ok"] is False
    assert rt.spec == before and rt.seed == 1
