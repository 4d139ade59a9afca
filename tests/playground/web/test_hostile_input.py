"""Hostile input, one defect at a time (issue 12's list): each is refused with a message,
changes nothing, and never reaches the runtime's engine-rebuild fallback."""

from __future__ import annotations

import json
import logging

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from playground.access import share
from sandbox import protocol
from sandbox.files import definitions
from sandbox.files.sandbox_json import FileRefused, dumps, load_sandbox
from sandbox.runtime import SandboxRuntime
from sandbox.runtime.placeholders import TemplateError, compile_template
from tests.playground.conftest import HX, command, connect, new_sandbox, post, receive, start

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_host")]


@pytest.fixture
def rt():
    runtime = SandboxRuntime(seed=7)
    yield runtime
    runtime.close()


@pytest.fixture(autouse=True)
def no_tracebacks(caplog):
    """Nothing here may log an error: the engine-rebuild fallback logs one."""
    caplog.set_level(logging.ERROR)
    yield
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def refused(rt: SandboxRuntime, **cmd) -> dict:
    spec = json.dumps(rt.spec, sort_keys=True)
    answer = rt.apply(cmd)
    assert answer["ok"] is False and answer["error"], answer
    assert json.dumps(rt.spec, sort_keys=True) == spec
    return answer


def ok(rt: SandboxRuntime, **cmd) -> dict:
    answer = rt.apply(cmd)
    assert answer["ok"], answer
    return answer


def queue_with_message(rt: SandboxRuntime) -> None:
    """A queue holding one message, so a rebuild (which drops it) would show."""
    ok(rt, op="queue.declare", name="q")
    ok(rt, op="publish", exchange="", routing_key="q", body="in flight")
    rt.advance(0.1)
    assert _depth(rt) == 1


def _depth(rt: SandboxRuntime) -> int:
    queues = rt.backend.describe()["amqp"]["queues"]
    return next(q for q in queues if q["name"] == "q")["ready"]


# -- 1. topic keys are short strings --------------------------------------------------
@pytest.mark.parametrize("op", ["bind", "publish", "producer.add"])
def test_a_key_longer_than_255_utf8_bytes_is_refused_at_the_command_layer(rt, op):
    ok(rt, op="exchange.declare", name="x", type="topic")
    ok(rt, op="queue.declare", name="q")
    key = "é" * 128  # 128 characters, 256 bytes
    fields = {"source": "x", "destination": "q", "exchange": "x", "target": "x", "name": "p"}
    answer = refused(rt, op=op, routing_key=key, rate=1, **fields)
    assert answer["field"] == "routing_key" and "255 bytes" in answer["error"]


# -- 2 and 9. definitions.json policies ---------------------------------------------------
def policy_doc(pattern, queue: str = "q", arguments: dict | None = None) -> str:
    return json.dumps({
        "queues": [{"name": queue, "vhost": "/", "arguments": arguments or {}}],
        "policies": [{"name": "evil", "pattern": pattern, "definition": {"max-length": 1}}],
    })  # fmt: skip


def test_a_catastrophic_policy_pattern_is_evaluated_in_linear_time():
    """`(a+)+$` took 3.9 s against 27 characters with Python's re (40: hours); RE2 answers
    at once. (Before the fix this test did not return.)"""
    imported = definitions.import_definitions(policy_doc("(a+)+$", "a" * 40 + "!"))
    assert imported.spec["queues"]["a" * 40 + "!"]["arguments"] == {}
    imported = definitions.import_definitions(policy_doc("(a+)+$", "a" * 40))
    assert imported.spec["queues"]["a" * 40]["arguments"] == {"x-max-length": 1}


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (r"(a)\1", "backreferences"),
        ("(?=a)", "lookaround"),
        ("a{99999999999}", "65,535"),
        ("a{2000}", "at most 1000"),
        (17, "must be text"),
    ],
)
def test_a_policy_pattern_re2_cannot_run_is_refused_naming_the_policy(pattern, words):
    with pytest.raises(FileRefused) as exc:
        definitions.import_definitions(policy_doc(pattern))
    assert "'evil'" in exc.value.message and words in exc.value.message


@pytest.mark.parametrize("qtype", [[], {}, 3, "zigzag"])
def test_a_queue_type_that_is_not_one_of_the_three_is_refused_before_policies(qtype):
    with pytest.raises(FileRefused) as exc:
        definitions.import_definitions(policy_doc(".*", arguments={"x-queue-type": qtype}))
    assert "x-queue-type must be one of classic, quorum, stream" in exc.value.message


# -- 3. whole specs go through the commands -----------------------------------------------
@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"queues": {f"q{i}": {} for i in range(700)}}, "its limit"),
        ({"producers": {"p": {"broker": "amqp", "target": "", "rate": 1e6}}}, "rate"),
        ({"time": {"speed": "fast"}}, "speed must be a number"),
        ({"time": {"paused": "yes"}}, "paused is true or false"),
        ({"queues": []}, "must be an object"),
        ({"exchanges": {"x": {"type": "zigzag"}}}, "exchange.declare 'x'"),
    ],
)
def test_sandbox_load_checks_a_spec_with_the_commands_caps_and_changes_nothing(rt, spec, words):
    queue_with_message(rt)
    answer = refused(rt, op="sandbox.load", spec=spec)
    assert words in answer["error"]
    assert _depth(rt) == 1  # the backend was not rebuilt
    ok(rt, op="sandbox.reset")
    assert rt.spec["time"]["speed"] == 1.0


def test_sandbox_load_builds_what_the_replay_built(rt):
    spec = {"queues": {"a": {"durable": False, "extra": "dropped"}}, "time": {"speed": 2}}
    ok(rt, op="sandbox.load", spec=spec, seed=9)
    assert rt.seed == 9 and rt.spec["queues"]["a"]["durable"] is False
    assert "extra" not in rt.spec["queues"]["a"] and rt.spec["time"]["speed"] == 2.0


def test_a_sandbox_file_with_an_empty_group_round_trips():
    runtime = SandboxRuntime(seed=3)
    ok(runtime, op="topic.create", name="t")
    ok(runtime, op="group.add", group_id="g", topics=["t"], members=1)
    ok(runtime, op="member.leave", member="g-1")
    loaded = load_sandbox(dumps(3, runtime.spec))
    assert loaded.spec["groups"]["g"]["members"] == []
    runtime.close()


# -- 5, 6, 7, 8. values no door takes ------------------------------------------------------
BAD_VALUES = [
    (float("nan"), "finite"),
    (float("inf"), "finite"),
    (10**400, "64-bit"),
    ("k\ud800", "Unicode"),
    (json.loads("[" * 40 + "]" * 40), "deeper than 32"),
]


@pytest.mark.parametrize(("value", "words"), BAD_VALUES)
def test_a_value_no_json_door_takes_is_refused_by_the_runtime_naming_its_field(rt, value, words):
    answer = refused(rt, op="queue.declare", name="q", arguments={"x-anything": value})
    assert words in answer["error"] and answer["field"] == "arguments"


@pytest.mark.parametrize(
    ("cmd", "field"),
    [
        ({"op": "queue.declare", "name": "k\ud800"}, "name"),
        ({"op": "publish", "exchange": "", "routing_key": "q", "body": "x\udfff"}, "body"),
        ({"op": "time.speed", "speed": 10**400}, "speed"),
        ({"op": "publish", "exchange": "", "routing_key": "q", "headers": {"h\ud800": 1}},
         "headers"),
    ],
)  # fmt: skip
def test_lone_surrogates_and_huge_numbers_never_reach_the_engine(rt, cmd, field):
    queue_with_message(rt)
    assert refused(rt, **cmd)["field"] == field
    assert _depth(rt) == 1


@pytest.mark.parametrize("template", ["{int:²-5}", "{int:١-5}", "{int:1-9999999999999999999}"])
def test_a_key_template_with_unicode_or_huge_digits_is_refused_without_a_rebuild(rt, template):
    queue_with_message(rt)
    answer = refused(rt, op="publish", exchange="", routing_key="q", key_pattern=template)
    assert answer["field"] == "key_pattern" and "digits 0-9" in answer["error"]
    assert _depth(rt) == 1
    with pytest.raises(TemplateError):
        compile_template(template)


@pytest.mark.parametrize(("field", "value"), [("speed", "١"), ("speed", "nan"), ("count", "1_0")])
def test_numbers_written_as_text_use_ascii_digits_only(rt, field, value):
    if field == "speed":
        refused(rt, op="time.speed", speed=value)
    else:
        refused(rt, op="publish", exchange="", routing_key="q", count=value)


# -- 11. one group, one payload limit ------------------------------------------------------
def test_a_group_with_no_members_is_refused_so_spec_and_engine_agree(rt):
    ok(rt, op="topic.create", name="t")
    answer = refused(rt, op="group.add", group_id="g", topics=["t"], members=0)
    assert answer["field"] == "members" and "at least one member" in answer["error"]
    ok(rt, op="group.add", group_id="g", topics=["t"], members=1)
    engine = [g["group_id"] for g in rt.backend.describe()["kafka"]["groups"]]
    assert list(rt.spec["groups"]) == engine == ["g"]


def test_a_payload_has_one_limit_for_forms_commands_and_templates(rt):
    from playground.web import forms

    assert forms.MAX_PAYLOAD == protocol.MAX_PAYLOAD
    assert forms.PublishForm.base_fields["body"].max_length == protocol.MAX_PAYLOAD
    assert forms.ProducerForm.base_fields["payload"].max_length == protocol.MAX_PAYLOAD
    ok(rt, op="queue.declare", name="q")
    longest = "x" * protocol.MAX_PAYLOAD
    ok(rt, op="publish", exchange="", routing_key="q", body=longest)
    ok(rt, op="producer.add", name="p", target="", routing_key="q", payload=longest, rate=1)
    answer = refused(rt, op="publish", exchange="", routing_key="q", body=longest + "x")
    assert answer["field"] == "body" and f"{protocol.MAX_PAYLOAD}" in answer["error"]


# -- the same defects through the page ----------------------------------------------------
@pytest.fixture
def sandbox(client):
    return start(client)


@pytest.mark.parametrize(
    ("text", "words"),
    [('{"a": NaN}', "NaN"), ('{"a": 1e400}', "too large"), ("[" * 5000, "deeper than 32"),
     ('{"a": "\\ud800"}', "Unicode")],
)  # fmt: skip
def test_a_form_json_field_refuses_what_no_door_takes(client, sandbox, text, words):
    body = post(client, f"/s/{sandbox.id}/queue/", {"queue-name": "q", "queue-arguments": text})
    assert words in body
    assert client.get(f"/s/{sandbox.id}/export/sandbox.json").json()["spec"]["queues"] == {}


def test_a_stream_offset_in_unicode_digits_is_refused_under_its_field(client, sandbox):
    body = post(client, f"/s/{sandbox.id}/consumer/",
                {"consumer-queue": "q", "consumer-stream_offset": "²"})  # fmt: skip
    assert "digits 0-9" in body


def test_an_upload_nested_100000_deep_is_refused_with_a_message(client, sandbox):
    data = {"file": SimpleUploadedFile("f.json", b"[" * 100_000, "application/json")}
    response = client.post(f"/s/{sandbox.id}/import/sandbox/", data, **HX)
    assert response.status_code == 200 and "deeper than 32" in response.content.decode()


def test_deep_arguments_cannot_get_in_so_the_code_panel_answers(client, sandbox):
    deep: list = []
    for _ in range(480):
        deep = [deep]
    spec = {"queues": {"q": {"arguments": {"x-deep": deep}}}}
    doc = {"format": "broker-playground-sandbox", "version": 1, "seed": 1, "spec": spec}
    data = {"file": SimpleUploadedFile("f.json", json.dumps(doc).encode(), "application/json")}
    response = client.post(f"/s/{sandbox.id}/import/sandbox/", data, **HX)
    assert "deeper than 32" in response.content.decode()
    assert client.get(f"/s/{sandbox.id}/code/").status_code == 200


# -- the same defects through the WebSocket -----------------------------------------------
async def test_a_frame_nested_30000_deep_gets_an_error_and_the_socket_stays_open():
    sb = await new_sandbox()
    comm = connect(sb.id, owner="alice")
    try:
        await comm.connect()
        await comm.send_to(text_data="[" * 30_000)
        assert "deeper than 32" in (await receive(comm, "error"))["error"]
        for text, words in (
            ('{"action": "ping", "id": NaN}', "NaN"),
            ('{"action": "ping", "id": "\\ud800"}', "Unicode"),
            ('{"action": "ping", "id": 1' + "0" * 400 + "}", "64-bit"),
        ):
            await comm.send_to(text_data=text)
            assert words in (await receive(comm, "error"))["error"]
        await comm.send_json_to({"action": "ping", "id": 5})
        assert (await receive(comm, "pong"))["id"] == 5
    finally:
        await comm.disconnect()


async def test_sandbox_load_over_the_websocket_is_refused_and_the_page_still_answers():
    sb = await new_sandbox()
    comm = connect(sb.id, owner="alice")
    try:
        await comm.connect()
        await receive(comm, "frame")
        assert (await command(comm, 1, op="time.speed", speed=2))["ok"]
        for ref, spec in enumerate(
            ({"time": {"speed": "fast"}}, {"queues": {f"q{i}": {} for i in range(700)}}), start=2
        ):
            assert (await command(comm, ref, op="sandbox.load", spec=spec))["ok"] is False
        snapshot = await command(comm, 9, op="sandbox.snapshot")
        assert snapshot["frame"]["speed"] == 2.0 and snapshot["frame"]["amqp"]["queues"] == []
    finally:
        await comm.disconnect()


async def test_a_non_ascii_watch_token_is_closed_with_the_usual_refusal():
    sb = await new_sandbox()
    await database_sync_to_async(share)(sb)
    comm = connect(sb.id, watch="%C3%A9")
    try:
        await comm.connect()
        assert (await comm.receive_output(3))["code"] == 4403
    finally:
        await comm.disconnect()


@pytest.mark.parametrize("kind", ["publish", "send"])
def test_a_publish_or_send_posted_as_an_edit_is_a_plain_publish_not_a_500(client, sandbox, kind):
    """Found by the fuzzer: an `original` field on a form that has no edit was a KeyError."""
    fields = {"publish-exchange": "", "publish-routing_key": "nowhere"}
    if kind == "send":
        fields = {"send-topic": "nope"}
    response = client.post(f"/s/{sandbox.id}/{kind}/", {**fields, "original": "q"}, **HX)
    assert response.status_code == 200


def test_a_reset_group_and_an_emptied_group_are_in_spec_and_engine_after_a_rebuild():
    """11: the runtime and the spec name the same groups, before and after a rebuild."""
    runtime = SandboxRuntime(seed=3)
    ok(runtime, op="topic.create", name="t", partitions=2)
    ok(runtime, op="group.add", group_id="left", topics=["t"], members=1)
    ok(runtime, op="member.leave", member="left-1")
    ok(runtime, op="group.reset", group_id="old", topic="t", to="earliest")

    def engine_groups():
        return sorted(g["group_id"] for g in runtime.frame()["kafka"]["groups"])

    assert engine_groups() == ["left", "old"] == sorted(runtime.spec["groups"])
    assert runtime.spec["groups"]["old"]["members"] == []
    runtime.build(runtime.spec)
    assert engine_groups() == ["left", "old"] == sorted(runtime.spec["groups"])
    ok(runtime, op="group.reset", group_id="old", topic="t", to="latest")  # still empty
    # consumers with that group.id join it again (and a second add is refused)
    assert ok(runtime, op="group.add", group_id="old", topics=["t"])["members"] == ["old-1"]
    again = refused(runtime, op="group.add", group_id="old", topics=["t"])
    assert "already exists" in again["error"]
    runtime.close()


@pytest.mark.parametrize("apply_to", [[], {}, 3, None])
def test_a_policy_apply_to_that_is_not_text_is_refused_naming_the_policy(apply_to):
    """The fuzzer's find: {"apply-to": []} raised TypeError (a list is not hashable)."""
    doc = {"policies": [{"name": "x", "pattern": ".*", "apply-to": apply_to,
                         "definition": {"max-length": 1}}]}  # fmt: skip
    with pytest.raises(FileRefused) as exc:
        definitions.import_definitions(json.dumps(doc))
    assert "Policy 'x': apply-to must be one of" in exc.value.message
