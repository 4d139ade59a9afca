"""Files and code: export and import a sandbox file and definitions.json; bad or oversized
uploads are refused with a message and change nothing; the Code panel shows both scripts."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from playground.models import Sandbox
from playground.web import page_state
from sandbox.files import sandbox_json
from tests.playground.conftest import HX, start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox(client) -> Sandbox:
    return start(client)


def run(sandbox: Sandbox, **command) -> dict:
    answer = page_state.run(sandbox, command)
    assert answer["ok"], answer
    return answer


def upload(client, sandbox, what: str, content: bytes, name: str = "f.json") -> str:
    data = {"file": SimpleUploadedFile(name, content, "application/json")}
    response = client.post(f"/s/{sandbox.id}/import/{what}/", data, **HX)
    assert response.status_code == 200
    return response.content.decode()


def shop(sandbox: Sandbox) -> None:
    run(sandbox, op="exchange.declare", name="orders", type="topic")
    run(sandbox, op="queue.declare", name="eu-orders")
    run(sandbox, op="bind", source="orders", destination="eu-orders", routing_key="eu.#")
    run(sandbox, op="topic.create", name="clicks", partitions=2)


def spec_of(sandbox: Sandbox) -> dict:
    sandbox.refresh_from_db()
    return sandbox.spec


def test_export_then_import_gives_the_same_topology_and_seed(client, sandbox):
    shop(sandbox)
    response = client.get(f"/s/{sandbox.id}/export/sandbox.json")
    assert response["Content-Disposition"].startswith("attachment")
    exported = response.content
    other = start(client)
    body = upload(client, other, "sandbox", exported)
    assert "Loaded the sandbox file" in body and 'id="seed" hx-swap-oob="true"' in body
    other.refresh_from_db()
    assert other.seed == sandbox.seed
    mine, theirs = spec_of(sandbox), spec_of(other)
    for key in ("exchanges", "queues", "bindings", "topics"):
        assert mine[key] == theirs[key]
    st = page_state.state(other)
    assert {q["name"] for q in st["amqp"]["queues"]} == {"eu-orders"}


@pytest.mark.parametrize(
    "content, message",
    [
        (b"{not json", "not valid JSON"),
        (b'{"format": "something-else"}', "not a sandbox file"),
        (b"\xff\xfe", "not UTF-8"),
        (json.dumps({"format": sandbox_json.FORMAT, "version": 1, "seed": 3,
                     "spec": {"bindings": [{"source": "nope", "destination": "gone"}]}}).encode(),
         "Nothing changed"),
    ],
)  # fmt: skip
def test_bad_sandbox_files_are_refused_and_change_nothing(client, sandbox, content, message):
    shop(sandbox)
    before = spec_of(sandbox)
    body = upload(client, sandbox, "sandbox", content)
    assert message in body and 'role="alert"' in body
    assert spec_of(sandbox) == before


def test_an_oversized_file_is_refused_before_it_is_read(client, sandbox):
    shop(sandbox)
    before = spec_of(sandbox)
    big = b" " * (sandbox_json.MAX_BYTES + 1)
    body = upload(client, sandbox, "sandbox", big)
    assert "the limit is 1,000,000 bytes" in body
    assert "the limit is" in upload(client, sandbox, "definitions", big)
    assert spec_of(sandbox) == before


def test_an_empty_or_missing_file_is_refused(client, sandbox):
    assert 'role="alert"' in upload(client, sandbox, "sandbox", b"")
    response = client.post(f"/s/{sandbox.id}/import/sandbox/", {}, **HX)
    assert "submitted" in response.content.decode() or "required" in response.content.decode()


def test_definitions_export_and_merge_with_notices(client, sandbox):
    shop(sandbox)
    doc = json.loads(client.get(f"/s/{sandbox.id}/export/definitions.json").content)
    assert {q["name"] for q in doc["queues"]} == {"eu-orders"}
    incoming = {
        "users": [{"name": "guest"}],
        "permissions": [{"user": "guest"}],
        "queues": [{"name": "audit", "vhost": "/", "durable": True, "arguments": {}}],
        "exchanges": [],
        "bindings": [{"source": "orders", "vhost": "/", "destination": "audit",
                      "destination_type": "queue", "routing_key": "#", "arguments": {}}],
    }  # fmt: skip
    body = upload(client, sandbox, "definitions", json.dumps(incoming).encode())
    assert "Imported definitions.json" in body and "users" in body
    st = page_state.state(sandbox)
    assert {q["name"] for q in st["amqp"]["queues"]} == {"eu-orders", "audit"}
    assert [t["name"] for t in st["kafka"]["topics"]] == ["clicks"]  # merged, not replaced


def test_a_bad_definitions_file_changes_nothing(client, sandbox):
    shop(sandbox)
    before = spec_of(sandbox)
    bad = {"queues": [{"name": "x", "vhost": "/", "arguments": {"x-max-length": "lots"}}]}
    body = upload(client, sandbox, "definitions", json.dumps(bad).encode())
    assert 'role="alert"' in body
    assert spec_of(sandbox) == before


def test_the_code_panel_shows_both_scripts_with_the_names_escaped(client, sandbox):
    shop(sandbox)
    run(sandbox, op="queue.declare", name="<b>q</b>")
    body = client.get(f"/s/{sandbox.id}/code/", **HX).content.decode()
    assert "import pika" in body and "kafka" in body and "eu-orders" in body
    assert "<b>q</b>" not in body and "&lt;b&gt;q&lt;/b&gt;" in body
    assert "code-copy" in body  # the Copy button code.js listens for


def test_files_and_code_are_owner_only(client, sandbox):
    other = Client()
    for path in ("export/sandbox.json", "export/definitions.json", "code/"):
        assert other.get(f"/s/{sandbox.id}/{path}").status_code == 404
    for path in ("import/sandbox/", "import/definitions/"):
        data = {"file": SimpleUploadedFile("f.json", b"{}", "application/json")}
        assert other.post(f"/s/{sandbox.id}/{path}", data).status_code == 404
