"""A hypothesis fuzzer over every door: protocol commands, page forms, WebSocket messages and
the two imports. Whatever comes in: no 500, no socket closed by the server, no error (or
traceback) in the log — the runtime's engine-rebuild fallback logs one, so no input may
reach it — frames and exports stay plain JSON (no NaN, valid UTF-8), and a refused input
leaves the export exactly as it was. The payloads named in issue 12 are explicit examples.
Bounded for CI (derandomized, no example database) so the whole file runs in about a
minute on two cores.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from playground.access import create_sandbox
from playground.live import host
from playground.models import Sandbox
from playground.web import page_state
from playground.web.views import entities
from sandbox import protocol
from sandbox.files import definitions
from sandbox.files.sandbox_json import FileRefused, export_sandbox, load_sandbox
from sandbox.runtime import SandboxRuntime
from tests.playground.conftest import HX, connect, start

pytestmark = pytest.mark.django_db(transaction=True)

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def fuzz(examples: int) -> settings:
    """The fuzzer's settings with a budget of `examples` generated inputs."""
    return settings(FUZZ, max_examples=examples)


class Nested(list):
    """A list nested `depth` deep, with a short repr (failure reports print examples)."""

    def __repr__(self) -> str:
        return f"nested({self.depth})"


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    out = Nested([value])
    out.depth = depth
    return out


#: values that broke something once (issue 12), and their neighbours
HOSTILE = [
    float("nan"), float("inf"), -float("inf"), 10**400, -(10**400), 2**63, -(2**63) - 1,
    1e308, -0.0, "k\ud800", "\udfff", "²", "١٢", "1_0", "1e400", "nan", "Infinity", "",
    " ", "a" * 300, "é" * 128, "#.#.#.#.#.z", ".".join(["#"] * 8 + ["z"]),
    ".".join(["a"] * 85), "{int:²-5}", "{int:1-99999999999999999999}", "{", "}", "{key}",
    "(a+)+$", "a{99999999999}", "\x00", "a\nb", "<script>alert(1)</script>", "amq.x",
    "fast", [], {}, nested(40), nested(480), None, True, False, -1, 0, 1, 0.5, 1e6,
    ["x", 1], {"x-queue-type": []}, {"x-a": float("nan")}, {"h": "k\ud800"},
]  # fmt: skip
#: names the base topology holds, so commands often reach real entities
KNOWN = ["x", "q", "q-c1", "t", "g", "g-1", "p", "", "amq.topic", "#", "*.z"]
FIELDS = sorted({
    "name", "type", "durable", "auto_delete", "internal", "arguments", "exclusive", "source",
    "destination", "destination_type", "routing_key", "queue", "tag", "prefetch_count",
    "auto_ack", "processing_time", "failure_rate", "requeue_on_failure", "exchange", "body",
    "headers", "priority", "expiration", "mandatory", "count", "rate", "key_pattern",
    "partitions", "replication_factor", "configs", "total", "group_id", "topics",
    "partition_assignment_strategy", "commit_policy", "auto_offset_reset", "members",
    "member", "to", "value", "topic", "key", "partition", "id", "broker", "target",
    "payload", "speed", "after", "command", "spec", "seed", "msg", "limit", "text", "node",
    "cell", "slug", "locked",
})  # fmt: skip

leaf = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(KNOWN),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.booleans(),
    st.none(),
)
json_ish = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
command = st.builds(
    lambda op, fields: {"op": op, **fields},
    st.sampled_from(protocol.ALL_OPS),
    st.dictionaries(st.sampled_from(FIELDS), json_ish, max_size=6),
)

BASE = [
    {"op": "exchange.declare", "name": "x", "type": "topic"},
    {"op": "queue.declare", "name": "q"},
    {"op": "bind", "source": "x", "destination": "q", "routing_key": "#"},
    {"op": "consumer.add", "queue": "q", "processing_time": 0.1},
    {"op": "topic.create", "name": "t", "partitions": 2},
    {"op": "group.add", "group_id": "g", "topics": ["t"], "members": 1},
    {"op": "producer.add", "name": "p", "target": "x", "routing_key": "a.b", "rate": 5},
    {"op": "publish", "exchange": "x", "routing_key": "a", "body": "in flight", "count": 3},
]
ISSUE_COMMANDS = [
    {"op": "bind", "source": "x", "destination": "q", "routing_key": "#.#.#.#.#.z"},
    {"op": "publish", "exchange": "x", "routing_key": ".".join(["a"] * 85)},
    {"op": "sandbox.load", "spec": {"queues": {f"q{i}": {} for i in range(700)}}},
    {"op": "sandbox.load", "spec": {"producers": {"p2": {"target": "x", "rate": 1e6}}}},
    {"op": "sandbox.load", "spec": {"time": {"speed": "fast"}}},
    {"op": "queue.declare", "name": "n", "arguments": {"x-a": float("nan")}},
    {"op": "publish", "exchange": "x", "routing_key": "a", "headers": {"h": float("inf")}},
    {"op": "queue.declare", "name": "k\ud800"},
    {"op": "queue.declare", "name": "d", "arguments": {"x-d": nested(480)}},
    {"op": "consumer.add", "queue": "q", "arguments": {"x-stream-offset": "²"}},
    {"op": "producer.add", "name": "p3", "target": "x", "key_pattern": "{int:²-5}", "rate": 1},
    {"op": "time.speed", "speed": 10**400},
    {"op": "group.add", "group_id": "g0", "topics": ["t"], "members": 0},
    {"op": "group.reset", "group_id": "nobody", "topic": "t", "to": "earliest"},
    {"op": "publish", "exchange": "x", "routing_key": "a", "body": "x" * 2000},
    {"op": "time.at", "after": 0.1, "command": {"op": "queue.declare", "name": "k\ud800"}},
]


@pytest.fixture
def errors(caplog):
    caplog.set_level(logging.ERROR)
    return caplog


def no_errors(caplog) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]


def plain_json(value) -> str:
    """JSON text a browser and SQLite accept: no NaN, no lone surrogate."""
    text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    text.encode("utf-8")
    return text


def exported(rt: SandboxRuntime) -> str:
    return plain_json([export_sandbox(rt.seed, rt.spec), definitions.export_definitions(rt.spec)])


# -- protocol commands, straight into a runtime --------------------------------------------
def _runtime_case(commands: list[dict], caplog) -> None:
    caplog.clear()
    rt = SandboxRuntime(seed=5, caps=None, work_budget=None)
    try:
        for base in BASE:
            assert rt.apply(base)["ok"], base
        for cmd in commands:
            before = exported(rt)
            answer = rt.apply(cmd)
            assert isinstance(answer, dict) and isinstance(answer["ok"], bool)
            plain_json(answer)
            if not answer["ok"]:
                assert answer["error"]
                assert exported(rt) == before, cmd
            frame = rt.tick(0.3)
            if frame is not None:
                plain_json(frame)
        plain_json(rt.frame())
        exported(rt)
    finally:
        rt.close()
    no_errors(caplog)


def _with_issue_examples(test):
    for cmd in ISSUE_COMMANDS:
        test = example(commands=[cmd])(test)
    return test


@fuzz(400)
@given(commands=st.lists(command, min_size=1, max_size=3))
@_with_issue_examples
def test_no_protocol_command_breaks_the_runtime_or_changes_it_when_refused(commands, errors):
    _runtime_case(commands, errors)


# -- the imports -----------------------------------------------------------------------
spec_doc = st.fixed_dictionaries(
    {},
    optional={
        "exchanges": st.dictionaries(st.sampled_from(KNOWN + ["e1"]), json_ish, max_size=3),
        "queues": st.dictionaries(st.sampled_from(KNOWN + ["q1"]), json_ish, max_size=3),
        "bindings": st.lists(json_ish, max_size=3),
        "consumers": st.dictionaries(st.sampled_from(KNOWN), json_ish, max_size=2),
        "topics": st.dictionaries(st.sampled_from(KNOWN), json_ish, max_size=2),
        "groups": st.dictionaries(st.sampled_from(KNOWN), json_ish, max_size=2),
        "producers": st.dictionaries(st.sampled_from(KNOWN), json_ish, max_size=2),
        "time": json_ish,
        "brokers_down": json_ish,
    },
)
definitions_doc = st.fixed_dictionaries(
    {},
    optional={
        "queues": st.lists(st.dictionaries(st.sampled_from(["name", "vhost", "durable",
                           "arguments", "auto_delete"]), json_ish, max_size=4), max_size=3),
        "exchanges": st.lists(st.dictionaries(st.sampled_from(["name", "type", "arguments",
                              "internal"]), json_ish, max_size=4), max_size=2),
        "bindings": st.lists(st.dictionaries(st.sampled_from(["source", "destination",
                             "destination_type", "routing_key", "arguments"]), json_ish,
                             max_size=5), max_size=2),
        "policies": st.lists(st.dictionaries(st.sampled_from(["name", "pattern", "apply-to",
                             "priority", "definition"]), json_ish, max_size=5), max_size=2),
        "vhosts": json_ish,
    },
)  # fmt: skip


def _text(doc) -> str:
    return json.dumps(doc, allow_nan=True)  # NaN written as NaN, surrogates escaped


@fuzz(250)
@given(spec=spec_doc, seed=st.one_of(st.integers(-5, 2**64), st.sampled_from(HOSTILE)))
@example(spec={"queues": {f"q{i}": {} for i in range(700)}}, seed=1)
@example(spec={"time": {"speed": "fast"}}, seed=1)
@example(spec={"queues": {"q": {"arguments": {"x-d": nested(480)}}}}, seed=1)
@example(spec={"queues": {"q": {"arguments": {"x-a": float("nan")}}}}, seed=1)
def test_no_sandbox_file_breaks_the_import(spec, seed, errors):
    errors.clear()
    doc = {"format": "broker-playground-sandbox", "version": 1, "seed": seed, "spec": spec}
    for data in (_text(doc), "[" * 100_000, _text(doc).encode("utf-16")):
        try:
            loaded = load_sandbox(data)
        except FileRefused as exc:
            assert exc.message.encode("utf-8")  # a message the page can show
        else:
            plain_json(export_sandbox(loaded.seed, loaded.spec))
    no_errors(errors)


@fuzz(250)
@given(doc=definitions_doc)
@example(
    doc={
        "queues": [{"name": "a" * 40, "arguments": {}}],
        "policies": [{"name": "p", "pattern": "(a+)+$", "definition": {}}],
    }
)
@example(
    doc={
        "queues": [{"name": "q", "arguments": {"x-queue-type": []}}],
        "policies": [{"name": "p", "pattern": ".*", "definition": {"max-length": 1}}],
    }
)
@example(doc={"policies": [{"name": "p", "pattern": "a{99999999999}", "definition": {}}]})
@example(doc={"policies": [{"name": "p", "pattern": r"(a)\1", "definition": {}}]})
def test_no_definitions_file_breaks_the_import(doc, errors):  # fmt: skip
    errors.clear()
    try:
        imported = definitions.import_definitions(_text(doc))
    except FileRefused as exc:
        assert exc.message.encode("utf-8")  # a message the page can show
    else:
        plain_json(imported.spec)
        plain_json(imported.notices)
    no_errors(errors)


# -- the page: forms, buttons, uploads -----------------------------------------------------
form_text = st.one_of(
    st.sampled_from([v for v in HOSTILE if isinstance(v, str) and "\ud800" not in v
                     and "\udfff" not in v] + KNOWN),
    st.sampled_from(['{"a": NaN}', '{"a": 1e400}', "[" * 5000, '{"a": "\\ud800"}',
                     json.dumps({"x": nested(30)}), '{"x-queue-type": []}', "1" + "0" * 400]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.integers(-(2**70), 2**70).map(str),
)  # fmt: skip
FORM_FIELDS = {kind: sorted(spec.form_class.base_fields) for kind, spec in entities.KINDS.items()}


def _page_answers(client: Client, sandbox: Sandbox) -> None:
    for path in ("", "diagram/", "code/", "export/sandbox.json", "export/definitions.json"):
        response = client.get(f"/s/{sandbox.id}/{path}")
        assert response.status_code == 200, path
        if path.startswith("export"):
            plain_json(response.json())


def _export(client: Client, sandbox: Sandbox) -> bytes:
    return client.get(f"/s/{sandbox.id}/export/sandbox.json").content


@pytest.fixture
def page(client):
    sandbox = start(client)
    for cmd in BASE[:-1]:
        assert page_state.run(sandbox, cmd)["ok"], cmd
    return client, sandbox


@fuzz(200)
@given(
    kind=st.sampled_from(sorted(entities.KINDS)),
    data=st.data(),
    original=st.sampled_from(["", "", "q", "x", "nope"]),
)
def test_no_form_post_answers_500_or_changes_anything_when_refused(page, errors, kind, data,
                                                                   original):  # fmt: skip
    client, sandbox = page
    errors.clear()
    fields = data.draw(st.dictionaries(st.sampled_from(FORM_FIELDS[kind]), form_text,
                                       max_size=6))  # fmt: skip
    post = {f"{kind}-{k}": v for k, v in fields.items()}
    if original:
        post["original"] = original
    before = _export(client, sandbox)
    response = client.post(f"/s/{sandbox.id}/{kind}/", post, **HX)
    assert response.status_code == 200
    if "topology-changed" not in response.get("HX-Trigger", ""):
        assert _export(client, sandbox) == before
    no_errors(errors)


@fuzz(100)
@given(
    view=st.sampled_from(["action/", "speed/", "group-reset/", "node/", "search/", "messages/",
                          "queue/delete/", "binding/delete/", "import/sandbox/",
                          "import/definitions/"]),
    value=form_text,
    other=form_text,
)  # fmt: skip
def test_no_button_search_or_upload_answers_500(page, errors, view, value, other):
    client, sandbox = page
    errors.clear()
    url = f"/s/{sandbox.id}/{view}"
    if view in ("node/", "search/", "messages/"):
        response = client.get(url, {"id": value, "q": value, "node": value, "cell": other}, **HX)
    elif view.startswith("import/"):
        upload = SimpleUploadedFile("f.json", value.encode(), "application/json")
        response = client.post(url, {"file": upload}, **HX)
    else:
        response = client.post(url, {"op": value, "target": other, "speed": value,
                                     "group_id": other, "reset-topic": value, "reset-to": other,
                                     "reset-value": value, "name": value}, **HX)  # fmt: skip
    assert response.status_code in (200, 404), response.status_code
    _page_answers(client, sandbox)
    no_errors(errors)


# -- the WebSocket ---------------------------------------------------------------------------
ws_text = st.one_of(
    command.map(lambda c: json.dumps({"action": "command", "id": 1, "command": c})),
    json_ish.map(json.dumps),
    st.sampled_from([
        "[" * 30_000, '{"action": "command", "command": {"op": "time.speed", "speed": NaN}}',
        '{"action": "command", "command": {"op": "queue.declare", "name": "k\\ud800"}}',
        '{"action": "command", "command": {"op": "time.speed", "speed": 1' + "0" * 400 + "}}",
        '{"action": "command", "command": {"op": "sandbox.load", "spec": {"time": '
        '{"speed": "fast"}}}}', "not json", "", '{"action": "snapshot"}', "{" * 1000,
    ]),
    st.text(max_size=50),
)  # fmt: skip


async def _ws_case(sandbox_id: str, texts: list[str]) -> None:
    async with asyncio.timeout(30):  # a hang fails the example instead of the run
        await _ws_exchange(sandbox_id, texts)


async def _ws_exchange(sandbox_id: str, texts: list[str]) -> None:
    comm = connect(sandbox_id, owner="alice")
    try:
        assert (await comm.connect())[0]
        for k, text in enumerate(texts):
            before = await database_sync_to_async(_stored_spec)(sandbox_id)
            await comm.send_to(text_data=text or " ")
            await comm.send_json_to({"action": "ping", "id": k})  # answered: still open
            answers = await _answers_until_pong(comm, k)
            refused = [a for a in answers if a["type"] == "error" or not a["result"]["ok"]]
            if refused and len(refused) == len(answers):
                assert await database_sync_to_async(_stored_spec)(sandbox_id) == before
    finally:
        await comm.disconnect()
        await host.stop_host()


def _stored_spec(sandbox_id: str) -> str:
    return json.dumps(Sandbox.objects.get(id=sandbox_id).spec, sort_keys=True)


async def _answers_until_pong(comm, ref: int) -> list[dict]:
    """Replies and errors up to the pong `ref`; frames in between are checked and skipped."""
    answers = []
    while True:
        output = await comm.receive_output(5)
        assert output["type"] == "websocket.send", output  # never a close from the server
        message = json.loads(output["text"])
        plain_json(message)
        if message.get("type") == "pong" and message.get("id") == ref:
            return answers
        if message.get("type") in ("reply", "error"):
            answers.append(message)


@pytest.fixture
def ws_sandbox():
    rt = SandboxRuntime(seed=5)
    for cmd in BASE[:-1]:
        assert rt.apply(cmd)["ok"], cmd
    rt.close()
    return create_sandbox("alice", spec=rt.spec, seed=5)


def _forget_a_host_of_a_closed_loop() -> None:
    """Sync tests run each request in a loop of its own; its host task dies with it."""
    task = host._Process.task
    if task is not None and task.get_loop().is_closed():
        host._Process.task = None


@fuzz(80)
@given(texts=st.lists(ws_text, min_size=1, max_size=4))
@example(texts=["[" * 30_000, '{"action": "ping", "id": NaN}'])
def test_no_websocket_message_closes_the_socket_or_breaks_the_sandbox(ws_sandbox, errors, texts):
    errors.clear()
    _forget_a_host_of_a_closed_loop()
    async_to_sync(_ws_case)(ws_sandbox.id, texts)
    client = Client()
    assert client.get(f"/s/{ws_sandbox.id}/").status_code == 404  # a stranger: no 500 either
    no_errors(errors)
