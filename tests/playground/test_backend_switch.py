"""Choosing a sandbox's backend: the simulator, real RabbitMQ or real Kafka.

An unreachable broker is refused with the probe's reason and nothing changes; a
reachable one rebuilds the runtime on it, keeps the choice across reloads, declares the
sandbox's queues as `bp.<id>.<name>` on the broker, and reset deletes them. Nothing a
user built is lost by a switch: the half a broker cannot run stays in the spec, kept
(drawn greyed, refused to commands), and runs again after a switch back.
"""

from __future__ import annotations

import copy
import json
import time
import urllib.request
from base64 import b64encode
from urllib.parse import quote

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from brokers.sim import Simulator
from playground import backend_choice
from playground.live import host
from playground.models import Sandbox
from sandbox.files import sandbox_json
from sandbox.runtime import SandboxRuntime
from sandbox.runtime.spec import normalize

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


# -- keeping what a backend cannot run (runtime level, a simulator with one broker removed) --

#: a topology with both halves: every section a switch could drop
BOTH = [
    {"op": "exchange.declare", "name": "orders", "type": "topic"},
    {"op": "queue.declare", "name": "eu"},
    {"op": "bind", "source": "orders", "destination": "eu", "routing_key": "eu.#"},
    {"op": "consumer.add", "queue": "eu", "tag": "clerk"},
    {"op": "producer.add", "name": "shop", "broker": "amqp", "target": "orders",
     "routing_key": "eu.de", "rate": 2},
    {"op": "topic.create", "name": "clicks", "partitions": 2},
    {"op": "group.add", "group_id": "stats", "topics": ["clicks"], "members": 2},
    {"op": "group.add", "group_id": "idle", "topics": ["clicks"], "members": 1},
    {"op": "member.leave", "member": "idle-1"},  # a group starts with a member; this one left
    {"op": "producer.add", "name": "web", "broker": "kafka", "target": "clicks", "rate": 2},
    {"op": "broker.stop", "id": 2},
    {"op": "time.speed", "speed": 4.0},
]  # fmt: skip


class OneBroker(Simulator):
    """The simulator with one broker taken away, in real time: what a real RabbitMQ
    (`kind` "rabbitmq") or a real Kafka ("kafka") backend offers the runtime."""

    steppable = False

    def __init__(self, kind: str, seed: int) -> None:
        super().__init__(seed)
        self.kind = kind
        if kind == "rabbitmq":
            self.kafka = None
        else:
            self.amqp = None

    def describe(self) -> dict:
        return {
            "amqp": self.amqp.describe() if self.amqp else None,
            "kafka": self.kafka.describe() if self.kafka else None,
            "now": self.now,
        }


def one_broker(kind: str):
    return lambda seed: OneBroker(kind, seed)


def built_on_the_simulator() -> dict:
    rt = SandboxRuntime(7)
    for command in BOTH:
        assert rt.apply(command)["ok"], command
    return rt.spec


def test_on_rabbitmq_the_kafka_half_stays_in_the_spec_and_frames_show_it_kept():
    spec = built_on_the_simulator()
    rt = SandboxRuntime(7, spec, backend_factory=one_broker("rabbitmq"))
    assert rt.spec == spec  # nothing dropped: the saved spec is the whole topology
    rt.tick(1.0)
    frame = rt.frame()
    assert frame["kept"] == {"kafka": "the simulator or real Kafka"}
    assert [c["state"] for c in frame["amqp"]["consumers"]] == ["active"]  # runs
    assert frame["amqp"]["queues"][0]["ready"] + frame["amqp"]["consumers"][0]["acked"] > 0
    kafka = frame["kafka"]
    assert [t["name"] for t in kafka["topics"]] == ["clicks"]
    assert [len(t["partitions"]) for t in kafka["topics"]] == [2]
    assert {g["group_id"]: g["state"] for g in kafka["groups"]} == {"stats": "kept", "idle": "kept"}
    assert [m["member"] for m in kafka["groups"][0]["members"]] == ["stats-1", "stats-2"]
    assert {p["name"]: p["state"] for p in frame["producers"]} == {"shop": "running", "web": "kept"}


def test_on_kafka_the_rabbitmq_half_and_the_stopped_broker_are_kept():
    spec = built_on_the_simulator()
    rt = SandboxRuntime(7, spec, backend_factory=one_broker("kafka"))
    assert rt.spec == spec and rt.spec["brokers_down"] == [2]
    rt.tick(1.0)
    frame = rt.frame()
    assert frame["kept"] == {"amqp": "the simulator or real RabbitMQ"}
    assert [b["up"] for b in rt.backend.kafka.describe()["brokers"]] == [True, True, True]
    assert [c["state"] for c in frame["amqp"]["consumers"]] == ["kept"]
    assert frame["amqp"]["bindings"] == spec["bindings"]
    assert {g["group_id"]: g["state"] for g in frame["kafka"]["groups"]}["stats"] != "kept"
    assert {p["name"]: p["state"] for p in frame["producers"]} == {"shop": "kept", "web": "running"}


def test_back_on_the_simulator_everything_runs_again():
    spec = built_on_the_simulator()
    on_kafka = SandboxRuntime(7, spec, backend_factory=one_broker("kafka"))
    back = SandboxRuntime(7, on_kafka.spec)
    back.tick(1.0)
    frame = back.frame()
    assert frame["kept"] == {} and back.spec == spec
    assert [c["state"] for c in frame["amqp"]["consumers"]] == ["active"]
    assert {p["name"]: p["state"] for p in frame["producers"]} == {
        "shop": "running",
        "web": "running",
    }
    assert [b["up"] for b in frame["kafka"]["brokers"]] == [True, False, True]


@pytest.mark.parametrize(
    ("kind", "command"),
    [
        ("rabbitmq", {"op": "topic.create", "name": "more"}),
        ("rabbitmq", {"op": "topic.delete", "name": "clicks"}),
        ("rabbitmq", {"op": "group.remove", "group_id": "idle"}),  # no member to ask Kafka
        ("rabbitmq", {"op": "member.add", "group_id": "stats"}),
        ("rabbitmq", {"op": "send", "topic": "clicks", "value": "x"}),
        ("rabbitmq", {"op": "producer.stop", "name": "web"}),
        ("rabbitmq", {"op": "producer.remove", "name": "web"}),
        ("rabbitmq", {"op": "producer.add", "name": "p2", "broker": "kafka", "target": "clicks",
                      "rate": 1}),
        ("rabbitmq", {"op": "broker.start", "id": 2}),
        ("kafka", {"op": "queue.declare", "name": "more"}),
        ("kafka", {"op": "queue.delete", "name": "eu"}),
        ("kafka", {"op": "unbind", "source": "orders", "destination": "eu",
                   "routing_key": "eu.#"}),
        ("kafka", {"op": "consumer.crash", "tag": "clerk"}),
        ("kafka", {"op": "publish", "exchange": "orders", "routing_key": "eu.de"}),
        ("kafka", {"op": "producer.update", "name": "shop", "rate": 5}),
    ],
)  # fmt: skip
def test_a_command_aimed_at_the_kept_half_is_refused_and_changes_nothing(kind, command):
    rt = SandboxRuntime(7, built_on_the_simulator(), backend_factory=one_broker(kind))
    before, version = copy.deepcopy(rt.spec), rt.spec_version
    answer = rt.apply(command)
    assert not answer["ok"], answer
    broker = "Kafka" if kind == "rabbitmq" else "RabbitMQ"
    assert f"The {broker} part is kept" in answer["error"]
    assert f"switch to the simulator or real {broker}" in answer["error"]
    assert rt.spec == before and rt.spec_version == version


def test_commands_on_the_half_that_runs_still_work_beside_a_kept_half():
    rt = SandboxRuntime(7, built_on_the_simulator(), backend_factory=one_broker("rabbitmq"))
    assert rt.apply({"op": "queue.declare", "name": "us"})["ok"]
    assert rt.apply({"op": "producer.stop", "name": "shop"})["ok"]
    assert "us" in rt.spec["queues"] and "clicks" in rt.spec["topics"]


def test_a_real_broker_runs_in_real_time_and_the_users_speed_comes_back():
    spec = built_on_the_simulator()
    assert spec["time"] == {"speed": 4.0, "paused": False}
    spec["time"]["paused"] = True
    real = SandboxRuntime(7, spec, backend_factory=one_broker("rabbitmq"))
    frame = real.frame()
    assert (frame["speed"], frame["paused"]) == (1.0, False)
    assert real.apply({"op": "time.pause"})["ok"] and real.frame()["paused"]
    assert real.spec["time"] == {"speed": 4.0, "paused": True}  # left for the return
    back = SandboxRuntime(7, real.spec).frame()
    assert (back["speed"], back["paused"]) == (4.0, True)


def test_unknown_top_level_keys_survive_a_rebuild_and_stay_out_of_the_file():
    # ("scenario", the narration's key, has a meaning of its own: see test_class)
    spec = {**built_on_the_simulator(), "notes": {"by": "someone else", "n": 2}}
    rt = SandboxRuntime(7, spec, backend_factory=one_broker("kafka"))
    assert rt.spec["notes"] == {"by": "someone else", "n": 2}
    assert normalize(rt.spec)["notes"] == {"by": "someone else", "n": 2}
    exported = sandbox_json.export_sandbox(7, rt.spec)["spec"]
    assert "notes" not in exported and exported["topics"] == spec["topics"]


def test_a_load_the_backend_refuses_leaves_the_sandbox_as_it_was():
    rt = SandboxRuntime(7, built_on_the_simulator())
    before = copy.deepcopy(rt.spec)
    bad = {"consumers": {"c": {**before["consumers"]["clerk"], "queue": "nowhere"}}}
    answer = rt.apply({"op": "sandbox.load", "spec": bad, "seed": 8})
    assert not answer["ok"] and "nowhere" in answer["error"]
    assert rt.spec == before and rt.seed == 7
    assert [q["name"] for q in rt.frame()["amqp"]["queues"]] == ["eu"]


def test_the_switch_notes_name_what_is_kept():
    spec = built_on_the_simulator()
    assert backend_choice.kept_notes(spec, "sim") == []
    assert backend_choice.kept_notes(spec, "rabbitmq") == [
        "Kept, not running on Real RabbitMQ: 1 topic, 2 groups, 1 producer. They stay greyed "
        "in the diagram until you switch to the simulator or real Kafka."
    ]
    on_kafka = backend_choice.kept_notes(spec, "kafka")
    assert on_kafka[0].startswith(
        "Kept, not running on Real Kafka: 1 exchange, 1 queue, 1 binding, 1 consumer, 1 producer."
    )
    assert on_kafka[1].startswith("Kept: 1 broker down;")


# -- the switch through the page, on stand-in brokers (no real broker needed) -----------------


@pytest.fixture
def stand_ins(monkeypatch):
    """Real RabbitMQ and Kafka replaced by the one-broker simulators, always reachable."""
    monkeypatch.setattr(backend_choice, "probe", lambda kind, fresh=False: (True, ""))
    real_factory = backend_choice.factory

    def factory(kind, sandbox_id):
        return one_broker(kind) if backend_choice.is_real(kind) else real_factory(kind, sandbox_id)

    monkeypatch.setattr(backend_choice, "factory", factory)


def build_both(client: Client, sandbox: Sandbox) -> None:
    for command in BOTH:
        assert host.call_sync(sandbox.id, command)["ok"], command


def export(client: Client, sandbox: Sandbox) -> dict:
    response = client.get(f"/s/{sandbox.id}/export/sandbox.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_a_switch_there_and_back_keeps_the_whole_topology(client, stand_ins):
    sandbox = start(client)
    build_both(client, sandbox)
    first = export(client, sandbox)
    assert first["spec"]["topics"] and first["spec"]["queues"]
    for kind in ("rabbitmq", "kafka", "sim"):
        body = switch(client, sandbox, kind)
        assert f"Now on {backend_choice.LABELS[kind]}" in body
        assert export(client, sandbox) == first, kind
        definitions = client.get(f"/s/{sandbox.id}/export/definitions.json").json()
        assert [q["name"] for q in definitions["queues"]] == ["eu"], kind
        code = client.get(f"/s/{sandbox.id}/code/").content.decode()
        assert "clicks" in code and "orders" in code, kind
        sandbox.refresh_from_db()
        assert sandbox.spec["topics"] == first["spec"]["topics"]
        assert sandbox.spec["consumers"] == first["spec"]["consumers"]
    frame = host.call_sync(sandbox.id, {"op": "sandbox.snapshot"})["frame"]
    assert frame["kept"] == {} and frame["amqp"]["consumers"][0]["state"] == "active"


def test_after_a_switch_the_page_draws_the_kept_half_and_refuses_commands_on_it(client, stand_ins):
    sandbox = start(client)
    build_both(client, sandbox)
    body = switch(client, sandbox, "kafka")
    assert "Kept, not running on Real Kafka: 1 exchange, 1 queue" in body
    page = client.get(f"/s/{sandbox.id}/").content.decode()
    assert '<g class="band amqp kept">' in page and '<g class="band kafka">' in page
    assert "kept, not running here · runs on the simulator or real RabbitMQ" in page
    assert 'class="node queue amqp kept"' in page and 'class="node topic kafka"' in page
    details = client.get(f"/s/{sandbox.id}/node/", {"id": "q:eu"}).content.decode()
    assert "Kept, not running." in details and "on the simulator or real RabbitMQ" in details
    assert "consumer.crash" not in details and "Delete queue" not in details
    details = client.get(f"/s/{sandbox.id}/node/", {"id": "c:clerk"}).content.decode()
    assert "Kept, not running." in details and 'value="consumer.crash"' not in details
    fields = {"queue-name": "us", "queue-queue_type": "classic"}
    answer = client.post(f"/s/{sandbox.id}/queue/", fields, **HX).content.decode()
    assert "The RabbitMQ part is kept" in answer
    sandbox.refresh_from_db()
    assert "us" not in sandbox.spec["queues"] and "eu" in sandbox.spec["queues"]


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


@pytest.mark.real
def test_a_round_trip_over_both_real_brokers_keeps_the_whole_topology(
    client, settings, rabbitmq_url, kafka_bootstrap
):
    settings.RABBITMQ_URL, settings.KAFKA_BOOTSTRAP_SERVERS = rabbitmq_url, kafka_bootstrap
    sandbox = start(client)
    build_both(client, sandbox)
    first = export(client, sandbox)
    for kind, kept in (("rabbitmq", "kafka"), ("kafka", "amqp"), ("sim", None)):
        body = switch(client, sandbox, kind)
        assert f"Now on {backend_choice.LABELS[kind]}" in body, body
        frame = host.call_sync(sandbox.id, {"op": "sandbox.snapshot"})["frame"]
        assert list(frame["kept"]) == ([kept] if kept else []), kind
        assert export(client, sandbox) == first, kind
    assert client.post(f"/s/{sandbox.id}/reset/", **HX).status_code == 200
    for kind in ("rabbitmq", "kafka"):  # the brokers it left keep their part: clean them
        assert backend_choice.destroy_resources(kind, sandbox.id)


@pytest.mark.real
def test_a_topology_the_real_broker_refuses_is_answered_and_the_switch_undone(
    client, settings, kafka_bootstrap
):
    """One real Kafka broker cannot hold three replicas: the switch says so, nothing changes
    (it used to wait forever for a broker that was up, refusing every command)."""
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    sandbox = start(client)
    topic = {"op": "topic.create", "name": "ledger", "partitions": 1, "replication_factor": 3}
    assert host.call_sync(sandbox.id, topic)["ok"]
    body = switch(client, sandbox, "kafka")
    assert "The broker cannot run this sandbox&#x27;s topology" in body, body
    assert "InvalidReplicationFactor" in body and "Nothing changed." in body
    sandbox.refresh_from_db()
    assert sandbox.backend == "sim" and sandbox.spec["topics"]["ledger"]["replication_factor"] == 3
    assert host.call_sync(sandbox.id, {"op": "queue.declare", "name": "q"})["ok"]


@pytest.mark.real
def test_a_switch_away_from_real_rabbitmq_and_back_finds_the_messages_again(
    client, settings, rabbitmq_url
):
    settings.RABBITMQ_URL = rabbitmq_url
    sandbox = start(client)
    switch(client, sandbox, "rabbitmq")
    client.post(
        f"/s/{sandbox.id}/queue/", {"queue-name": "orders", "queue-queue_type": "classic"}, **HX
    )
    publish = {"op": "publish", "exchange": "", "routing_key": "orders", "body": "hi", "count": 3}
    assert host.call_sync(sandbox.id, publish)["ok"]
    real_name = f"bp.{sandbox.id}.orders"
    assert "Now on Simulator" in switch(client, sandbox, "sim")
    assert queue_on_broker(real_name)[0] == 200  # left alone while the sandbox is elsewhere
    assert "Now on Real RabbitMQ" in switch(client, sandbox, "rabbitmq")
    ready, deadline = None, time.monotonic() + 10
    while ready != 3 and time.monotonic() < deadline:
        frame = host.call_sync(sandbox.id, {"op": "sandbox.snapshot"})["frame"]
        ready = {q["name"]: q["ready"] for q in frame["amqp"]["queues"]}.get("orders")
        time.sleep(0.2)
    assert ready == 3
    assert client.post(f"/s/{sandbox.id}/reset/", **HX).status_code == 200
    deadline = time.monotonic() + 10
    while queue_on_broker(real_name)[0] != 404 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert queue_on_broker(real_name)[0] == 404
