"""Unloading a runtime leaves the real broker alone; Reset and deleting the sandbox do not.

A runtime is unloaded when nobody watched its sandbox for a while (or the host stops).
What the sandbox made on a real broker stays there, messages and committed offsets
included, and the next load finds it again: declares are idempotent and the counters
show what is still there. Reset, a deleted sandbox and a move to another backend delete
it. These run on the shared brokers (nothing is stopped) with the host driven directly.
"""

from __future__ import annotations

import asyncio
import time
import urllib.error
from datetime import timedelta
from urllib.parse import quote

import pika
import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from kafka import KafkaAdminClient

from brokers.amqp.api import Properties
from brokers.real.rabbitmq.management import management_get
from playground.access import create_sandbox
from playground.live import host
from playground.models import Sandbox

pytestmark = [pytest.mark.real, pytest.mark.django_db(transaction=True)]
MGMT = "http://guest:guest@127.0.0.1:15672"


@pytest.fixture(autouse=True)
async def fresh_host():
    await host.stop_host()
    yield
    await host.stop_host()


async def real_sandbox(kind: str) -> Sandbox:
    sb = await database_sync_to_async(create_sandbox)("alice")
    sb.backend = kind
    await database_sync_to_async(sb.save)()
    return sb


async def ok(h: host.RuntimeHost, sandbox_id: str, **command) -> dict:
    answer = await h.command(sandbox_id, command)
    assert answer["ok"], (command, answer)
    return answer


async def frame_until(h, sandbox_id, pred, timeout=20.0) -> dict:
    """Tick the sandbox's runtime (on a REAL_POOL thread) until `pred(frame)` holds."""
    deadline, frame = time.monotonic() + timeout, {}
    loop = asyncio.get_running_loop()
    while time.monotonic() < deadline:
        live = h.live[sandbox_id]
        frame = await loop.run_in_executor(host.REAL_POOL, _snapshot, live)
        if pred(frame):
            return frame
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out; last frame: {frame.get('amqp')} {frame.get('kafka')}")


def _snapshot(live: host.Live) -> dict:
    with live.lock:
        live.runtime.advance(0.0)
        return live.runtime.frame()


def messages_in(url: str, queue: str) -> int:
    """The broker's own count (a passive declare; the management API's lags)."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    finally:
        connection.close()


def broker_queue(name: str) -> dict | None:
    try:
        return management_get(MGMT, f"/api/queues/%2F/{quote(name, safe='')}")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


async def until_gone(check, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while check():
        assert time.monotonic() < deadline, f"{what} is still on the broker"
        await asyncio.sleep(0.2)


def ready(frame: dict, queue: str) -> int | None:
    queues = {q["name"]: q for q in (frame.get("amqp") or {}).get("queues", [])}
    return queues.get(queue, {}).get("ready")


async def test_an_unloaded_runtime_leaves_a_durable_queue_and_its_100_persistent_messages(
    rabbitmq_url, settings
):
    settings.RABBITMQ_URL, settings.RABBITMQ_MANAGEMENT_URL = rabbitmq_url, MGMT
    sb = await real_sandbox("rabbitmq")
    h = host.RuntimeHost()
    await ok(h, sb.id, op="queue.declare", name="orders", durable=True)
    amqp = h.live[sb.id].runtime.amqp
    for i in range(100):
        amqp.basic_publish("", "orders", f"order {i}", Properties(delivery_mode=2))
    await frame_until(h, sb.id, lambda f: ready(f, "orders") == 100)
    await asyncio.wrap_future(h.unload(sb.id))
    real = f"bp.{sb.id}.orders"
    assert broker_queue(real)["durable"]
    assert messages_in(rabbitmq_url, real) == 100
    await h.load(sb.id)  # loaded again: declared again (idempotent), the messages are there
    frame = await frame_until(h, sb.id, lambda f: ready(f, "orders") == 100)
    assert frame["status"]["state"] == "connected"
    await ok(h, sb.id, op="sandbox.reset")
    await until_gone(lambda: broker_queue(real) is not None, real)


async def test_a_deleted_sandbox_takes_its_queues_with_it_loaded_or_not(rabbitmq_url, settings):
    settings.RABBITMQ_URL, settings.RABBITMQ_MANAGEMENT_URL = rabbitmq_url, MGMT
    loaded, unloaded = await real_sandbox("rabbitmq"), await real_sandbox("rabbitmq")
    h = host.RuntimeHost()
    for sb in (loaded, unloaded):
        await ok(h, sb.id, op="queue.declare", name="q")
        await ok(h, sb.id, op="publish", exchange="", routing_key="q", body="hi")
    await asyncio.wrap_future(h.unload(unloaded.id))
    assert broker_queue(f"bp.{unloaded.id}.q") is not None  # unloading kept it
    past = timezone.now() - timedelta(minutes=settings.BP_IDLE_MINUTES + 1)
    await database_sync_to_async(
        lambda: Sandbox.objects.filter(id__in=[loaded.id, unloaded.id]).update(last_seen=past)
    )()
    # An hour with no command: the loaded one's last command is older than the last sweep.
    h.live[loaded.id].last_active -= settings.BP_IDLE_MINUTES * 60
    h.swept = h.live[loaded.id].last_active + 1
    await h.reclaim_once()
    assert not h.live
    for sb in (loaded, unloaded):
        await until_gone(lambda sb=sb: broker_queue(f"bp.{sb.id}.q") is not None, sb.id)


def kafka_totals(frame: dict) -> tuple[int, int, int]:
    """(records in topic t, offsets group g committed on it, g's lag)."""
    kafka = frame.get("kafka") or {}
    end = sum(p["log_end"] for t in kafka.get("topics", []) for p in t["partitions"])
    groups = {g["group_id"]: g for g in kafka.get("groups", [])}
    g = groups.get("g", {"offsets": [], "lag": None})
    return end, sum(o["committed"] for o in g["offsets"]), g["lag"]


def processed(live: host.Live) -> list[str]:
    return [m for e in live.runtime.history if e.kind == "processed" for m in e.msgs]


async def test_an_unloaded_runtime_leaves_the_records_and_the_committed_offsets(
    kafka_bootstrap, settings
):
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    sb = await real_sandbox("kafka")
    h = host.RuntimeHost()
    await ok(h, sb.id, op="topic.create", name="t", partitions=2)
    await ok(
        h, sb.id, op="group.add", group_id="g", topics=["t"], commit_policy="after",
        auto_offset_reset="earliest", session_timeout_ms=6000,
    )  # fmt: skip
    await ok(h, sb.id, op="send", topic="t", value="v{n}", key_pattern="k{n}", count=100)
    await frame_until(h, sb.id, lambda f: kafka_totals(f) == (100, 100, 0), timeout=40)
    assert len(processed(h.live[sb.id])) == 100
    await asyncio.wrap_future(h.unload(sb.id))
    await h.load(sb.id)  # the group's member joins again and resumes at its committed offset
    frame = await frame_until(h, sb.id, lambda f: kafka_totals(f) == (100, 100, 0), timeout=40)
    assert frame["status"]["state"] == "connected"
    await ok(h, sb.id, op="send", topic="t", value="v{n}", key_pattern="k{n}", count=10)
    await frame_until(h, sb.id, lambda f: kafka_totals(f) == (110, 110, 0), timeout=40)
    assert len(processed(h.live[sb.id])) == 10  # the 100 were not read again
    await ok(h, sb.id, op="sandbox.reset")
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        await until_gone(lambda: f"bp.{sb.id}.t" in admin.list_topics(), "topic t")
    finally:
        admin.close()
