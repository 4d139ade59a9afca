"""Choosing a sandbox's backend: the simulator, real RabbitMQ or real Kafka.

An unreachable broker is refused with the probe's reason and nothing changes; a
reachable one rebuilds the runtime on it, keeps the choice across reloads, declares the
sandbox's queues as `bp.<id>.<name>` on the broker, and reset deletes them.
"""

from __future__ import annotations

import json
import time
import urllib.request
from base64 import b64encode
from urllib.parse import quote

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from playground import backend_choice, host
from playground.models import Sandbox

pytestmark = pytest.mark.django_db(transaction=True)

HX = {"HTTP_HX_REQUEST": "true"}
MANAGEMENT = "http://127.0.0.1:15672"


@pytest.fixture(autouse=True)
def fresh_host():
    async_to_sync(host.stop_host)()
    backend_choice._Probes.seen.clear()
    yield
    async_to_sync(host.stop_host)()
    backend_choice._Probes.seen.clear()


def start(client: Client) -> Sandbox:
    response = client.post("/sandbox/new/")
    return Sandbox.objects.get(id=response["Location"].split("/")[2])


def switch(client: Client, sandbox: Sandbox, kind: str) -> str:
    response = client.post(f"/s/{sandbox.id}/backend/", {"backend": kind}, **HX)
    assert response.status_code == 200
    return response.content.decode()


def management(path: str) -> tuple[int, object]:
    request = urllib.request.Request(MANAGEMENT + path)
    request.add_header("Authorization", "Basic " + b64encode(b"guest:guest").decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def queue_on_broker(name: str) -> tuple[int, object]:
    return management(f"/api/queues/%2F/{quote(name, safe='')}")


def test_the_page_shows_the_selector_with_the_simulator_chosen(client):
    sandbox = start(client)
    body = client.get(f"/s/{sandbox.id}/").content.decode()
    assert 'id="backend-select"' in body
    assert '<option value="sim" selected' in body


def test_an_unreachable_broker_is_disabled_with_its_reason(client, settings):
    settings.RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:1/%2F"
    sandbox = start(client)
    body = client.get(f"/s/{sandbox.id}/").content.decode()
    option = body.split('<option value="rabbitmq"')[1].split("</option>")[0]
    assert " disabled" in option and "connection refused" in option


def test_choosing_an_unreachable_broker_is_refused_and_changes_nothing(client, settings):
    settings.RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:1/%2F"
    sandbox = start(client)
    client.post(f"/s/{sandbox.id}/queue/", {"queue-name": "q", "queue-queue_type": "classic"}, **HX)
    body = switch(client, sandbox, "rabbitmq")
    assert "Real RabbitMQ cannot be chosen" in body and "connection refused" in body
    sandbox.refresh_from_db()
    assert sandbox.backend == "sim" and "q" in sandbox.spec["queues"]
    frame = host.call_sync(sandbox.id, {"op": "sandbox.snapshot"})["frame"]
    assert [q["name"] for q in frame["amqp"]["queues"]] == ["q"]


def test_an_unknown_backend_is_refused(client):
    sandbox = start(client)
    assert "Choose the simulator" in switch(client, sandbox, "zeromq")
    sandbox.refresh_from_db()
    assert sandbox.backend == "sim"


def test_real_brokers_refuse_step_and_speed_but_keep_parts_that_apply():
    spec, notes = backend_choice.applicable(
        {"queues": {"q": {}}, "topics": {"t": {"partitions": 1}}, "brokers_down": [2]},
        "rabbitmq",
    )
    assert spec["queues"] == {"q": {}} and spec["topics"] == {} and spec["brokers_down"] == []
    assert notes == ["Left out (not on Real RabbitMQ): 1 topics, 1 brokers down."]
    spec, notes = backend_choice.applicable({"queues": {"q": {}}, "brokers_down": [2]}, "kafka")
    assert spec["queues"] == {} and spec["brokers_down"] == [] and "1 queues" in notes[0]


@pytest.mark.real
def test_on_real_rabbitmq_a_queue_is_declared_with_the_prefix_and_reset_deletes_it(
    client, settings, rabbitmq_url
):
    settings.RABBITMQ_URL = rabbitmq_url
    sandbox = start(client)
    body = switch(client, sandbox, "rabbitmq")
    assert "Now on Real RabbitMQ" in body, body
    sandbox.refresh_from_db()
    assert sandbox.backend == "rabbitmq"
    client.post(
        f"/s/{sandbox.id}/queue/", {"queue-name": "orders", "queue-queue_type": "classic"}, **HX
    )
    real_name = f"bp.{sandbox.id}.orders"
    assert queue_on_broker(real_name)[0] == 200
    client.post(
        f"/s/{sandbox.id}/publish/",
        {"publish-exchange": "", "publish-routing_key": "orders", "publish-body": "hi",
         "publish-count": "2"},
        **HX,
    )  # fmt: skip
    frame, deadline = {}, time.monotonic() + 10
    while time.monotonic() < deadline:
        frame = host.call_sync(sandbox.id, {"op": "sandbox.snapshot"})["frame"]
        queues = {q["name"]: q for q in frame["amqp"]["queues"]}
        if queues.get("orders", {}).get("ready") == 2:
            break
        time.sleep(0.2)
    assert queues["orders"]["ready"] == 2, frame["amqp"]
    assert frame["status"]["state"] == "connected"
    step = host.call_sync(sandbox.id, {"op": "time.step"})
    assert not step["ok"] and "virtual clock" in step["error"]
    # a reload (a fresh host) keeps the choice and the queue
    async_to_sync(host.stop_host)()
    page = client.get(f"/s/{sandbox.id}/").content.decode()
    assert '<option value="rabbitmq" selected' in page and 'data-real="1"' in page
    assert 'data-node="q:orders"' in page
    assert client.post(f"/s/{sandbox.id}/reset/", **HX).status_code == 200
    deadline = time.monotonic() + 10
    while queue_on_broker(real_name)[0] != 404 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert queue_on_broker(real_name)[0] == 404
    body = switch(client, sandbox, "sim")
    assert "Now on Simulator" in body
