"""The runtime host answers through the channel layer, survives failures, and reclaims."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from playground.access import create_sandbox
from playground.live import host
from playground.models import Sandbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
async def fresh_host():
    await host.stop_host()
    await get_channel_layer().flush()
    yield
    await host.stop_host()


async def new_sandbox(**fields) -> Sandbox:
    return await database_sync_to_async(create_sandbox)("alice", **fields)


async def test_call_through_the_channel_layer_reaches_a_listening_host(settings):
    settings.BP_RUNTIME_IN_PROCESS = False
    sb = await new_sandbox()
    served = asyncio.create_task(host.RuntimeHost().serve(listen=True))
    try:
        result = await host.call(sb.id, {"op": "queue.declare", "name": "q"})
        assert result == {"ok": True, "name": "q"}
        gone = await host.call("missing", {"op": "time.pause"})
        assert gone["ok"] is False and "no longer exists" in gone["error"]
    finally:
        served.cancel()


async def test_call_gives_up_when_no_host_answers(settings):
    settings.BP_RUNTIME_IN_PROCESS = False
    result = await host.call("whatever", {"op": "time.pause"}, timeout=0.2)
    assert result == host.NO_ANSWER


async def test_the_embedded_host_starts_on_first_call_and_saves_the_spec():
    sb = await new_sandbox(seed=77)
    assert (await host.call(sb.id, {"op": "topic.create", "name": "t", "partitions": 2}))["ok"]
    assert host._Process.task is not None and not host._Process.task.done()
    saved = await database_sync_to_async(Sandbox.objects.get)(id=sb.id)
    assert saved.spec["topics"] == {"t": {"partitions": 2, "replication_factor": 1, "configs": {}}}
    host.local_host().unload(sb.id)
    snap = await host.call(sb.id, {"op": "sandbox.snapshot"})
    assert snap["frame"]["seed"] == 77
    assert [t["name"] for t in snap["frame"]["kafka"]["topics"]] == ["t"]


async def test_a_failing_tick_or_command_is_logged_and_the_host_goes_on(caplog):
    sb = await new_sandbox()
    h = host.RuntimeHost()
    live = await h.load(sb.id)
    live.viewers = 1

    def explode(*args):
        raise RuntimeError("boom")

    live.runtime.settle = explode  # how a simulator's tick ends, after its engine slices
    assert await h.tick_once() == 0
    assert "ticking sandbox" in caplog.text
    del live.runtime.settle
    assert await h.tick_once() == 1
    live.runtime.apply = explode
    result = await h.command(sb.id, {"op": "time.pause"})
    assert result["ok"] is False and "failed" in result["error"]


async def test_a_watched_sandbox_gets_a_heartbeat_and_an_unwatched_quiet_one_nothing():
    sb = await new_sandbox()
    h = host.RuntimeHost()
    live = await h.load(sb.id)
    await h.command(sb.id, {"op": "time.pause"})  # quiet: not even the clock moves
    await h.tick_once()  # the first frame after loading
    live.last_sent = 0.0
    assert await h.tick_once() == 0  # no viewers, nothing happened
    await h.viewers(sb.id, +1)
    assert await h.tick_once() == 1  # heartbeat for the viewer
    assert await h.tick_once() == 0  # and not again within the second


async def test_a_watched_playing_sandbox_gets_a_frame_each_tick_with_the_clock_moved():
    """Nothing happens but time runs: the viewer's clock follows every tick, not a
    once-a-second heartbeat."""
    sb = await new_sandbox()
    h = host.RuntimeHost(tick_hz=20)
    live = await h.load(sb.id)
    await h.viewers(sb.id, +1)
    await h.tick_once()
    clocks = []
    for _ in range(5):
        live.next_frame = 0.0  # due now: the test ticks faster than 20 Hz
        live.last_tick -= 0.05
        assert await h.tick_once() == 1
        clocks.append(live.runtime.backend.now)
    assert clocks == sorted(set(clocks)) and len(clocks) == 5


async def test_reclaim_deletes_long_idle_sandboxes_and_unloads_their_runtimes(settings):
    old, fresh, watched = await new_sandbox(), await new_sandbox(), await new_sandbox()
    h = host.RuntimeHost()
    for sb in (old, watched):
        await h.load(sb.id)
    h.live[old.id].last_active -= 2 * host.RECLAIM_EVERY  # loaded, untouched since
    await h.viewers(watched.id, +1)
    past = timezone.now() - timedelta(minutes=settings.BP_IDLE_MINUTES + 1)
    await database_sync_to_async(
        lambda: Sandbox.objects.filter(id__in=[old.id, watched.id]).update(last_seen=past)
    )()
    await h.reclaim_once()
    left = await database_sync_to_async(lambda: set(Sandbox.objects.values_list("id", flat=True)))()
    assert left == {fresh.id, watched.id}
    assert set(h.live) == {watched.id}


async def test_many_viewers_get_fewer_frames_each_but_never_below_the_floor():
    sb = await new_sandbox()
    h = host.RuntimeHost(tick_hz=20)
    await h.viewers(sb.id, +1)
    assert h.frame_interval() == pytest.approx(1 / 20)
    await h.viewers(sb.id, +399)
    assert h.frame_interval() == pytest.approx(400 / host.FRAME_SENDS_PER_S)
    assert h.frame_interval() > 1 / 20
    await h.viewers(sb.id, +10_000)
    assert h.frame_interval() == pytest.approx(1 / host.MIN_FRAME_HZ)


async def test_a_separate_host_sends_frames_to_the_sandbox_group_as_json_text():
    sb = await new_sandbox()
    h, layer = host.RuntimeHost(), get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(host.group_name(sb.id), channel)
    await h.viewers(sb.id, +1)
    assert await h.tick_once() == 1
    message = await asyncio.wait_for(layer.receive(channel), 1)
    assert message["type"] == "frame.message"
    frame = json.loads(message["text"])
    assert frame["sandbox"] == sb.id and frame["type"] == "frame" and frame["wall"] > 0


async def test_the_embedded_host_takes_commands_and_viewers_through_the_channel_layer():
    sb = await new_sandbox()
    layer, seen = get_channel_layer(), []
    send = layer.send

    async def recording(channel, message):
        seen.append((channel, message["type"]))
        await send(channel, message)

    layer.send = recording
    try:
        assert (await host.call(sb.id, {"op": "queue.declare", "name": "q"}))["ok"]
        await host.join(sb.id)
        await asyncio.sleep(0.05)
    finally:
        del layer.send
    assert (host.CHANNEL, "runtime.command") in seen
    assert (host.CHANNEL, "runtime.viewers") in seen
    assert any(kind == "runtime.reply" for _, kind in seen)
    assert host.local_host().live[sb.id].viewers == 1


def ticks(h: host.RuntimeHost, live: host.Live, gaps_ms: list[float], monkeypatch) -> int:
    """Frames sent by ticks `gaps_ms` apart (a fake clock), the producer busy throughout."""
    clock = [1000.0]
    monkeypatch.setattr(host.time, "monotonic", lambda: clock[0])
    live.last_tick = live.next_frame = clock[0]
    sent = 0
    for gap in gaps_ms:
        clock[0] += gap / 1000
        sent += h._frame_text(live, "sb", h.frame_interval()) is not None
    return sent


def busy(h: host.RuntimeHost) -> host.Live:
    row = {"seed": 1, "spec": None, "backend": "sim", "locked": False}
    live = h._install("sb", row)
    for command in (
        {"op": "queue.declare", "name": "q"},
        {"op": "producer.add", "name": "p", "routing_key": "q", "rate": 200},
    ):
        assert live.runtime.apply(command)["ok"]
    return live


def test_ticks_that_wake_early_or_late_still_send_a_frame_each(monkeypatch):
    h = host.RuntimeHost(tick_hz=20)
    live = busy(h)
    live.viewers = 3
    assert ticks(h, live, [47, 53] * 20, monkeypatch) == 40  # 2 s of jittery 20 Hz ticks


def test_a_frame_interval_just_over_the_tick_keeps_the_full_frame_rate(monkeypatch):
    h = host.RuntimeHost(tick_hz=20)
    live = busy(h)
    live.viewers = int(host.FRAME_SENDS_PER_S / 20) + 1  # the budget allows 19.9 Hz
    assert h.frame_interval() > 1 / 20
    assert ticks(h, live, [50] * 200, monkeypatch) >= 198  # 10 s: at most 19.9 x 10 + 1


def test_the_send_budget_still_thins_frames_on_average(monkeypatch):
    h = host.RuntimeHost(tick_hz=20)
    live = busy(h)
    live.viewers = int(host.FRAME_SENDS_PER_S / 15)  # 15 frames a second each
    assert ticks(h, live, [50] * 200, monkeypatch) in (150, 151)  # 10 s


async def test_the_embedded_host_outlives_the_sync_view_that_started_it():
    """Under daphne a sync view reaches the host from a worker thread (async_to_sync runs
    `call` on the main loop); the host it starts must not keep that thread's executor,
    which is gone once the view returns (it broke every later save)."""
    sb = await new_sandbox()

    async def view(name: str) -> dict:
        async with ThreadSensitiveContext():  # as Django's ASGIHandler runs each request
            command = {"op": "queue.declare", "name": name}
            return await sync_to_async(host.call_sync)(sb.id, command)

    first, second = await view("a"), await view("b")
    assert first == {"ok": True, "name": "a"} and second == {"ok": True, "name": "b"}
    saved = await database_sync_to_async(Sandbox.objects.get)(id=sb.id)
    assert set(saved.spec["queues"]) == {"a", "b"}


# -- the reclaim rule: a sandbox in use is never deleted --------------------------------------


async def stale(settings, *sandboxes) -> None:
    """Mark sandboxes as last seen longer ago than BP_IDLE_MINUTES."""
    past = timezone.now() - timedelta(minutes=settings.BP_IDLE_MINUTES + 1)
    ids = [sb.id for sb in sandboxes]
    await database_sync_to_async(
        lambda: Sandbox.objects.filter(id__in=ids).update(last_seen=past)
    )()


async def exists(sandbox_id: str) -> bool:
    return await database_sync_to_async(Sandbox.objects.filter(id=sandbox_id).exists)()


async def test_reclaim_keeps_a_sandbox_whose_producer_runs_with_no_tab_open(settings):
    sb = await new_sandbox()
    h = host.RuntimeHost()
    live = await h.load(sb.id)
    assert (await h.command(sb.id, {"op": "queue.declare", "name": "q"}))["ok"]
    producer = {"op": "producer.add", "name": "p", "routing_key": "q", "rate": 5}
    assert (await h.command(sb.id, producer))["ok"]
    live.last_active -= 2 * host.RECLAIM_EVERY  # no tab, no command since the last sweep
    await stale(settings, sb)
    await h.reclaim_once()
    assert await exists(sb.id)
    assert sb.id in h.live
    seen = await database_sync_to_async(lambda: Sandbox.objects.get(id=sb.id).last_seen)()
    assert timezone.now() - seen < timedelta(minutes=1)  # in use: kept fresh


async def test_reclaim_keeps_a_sandbox_that_got_a_command_since_the_last_sweep(settings):
    sb = await new_sandbox()
    h = host.RuntimeHost()
    await h.load(sb.id)
    h.swept = time.monotonic() - host.RECLAIM_EVERY
    assert (await h.command(sb.id, {"op": "time.pause"}))["ok"]  # changes no spec: no save
    await stale(settings, sb)
    await h.reclaim_once()
    assert await exists(sb.id)


async def test_a_paused_sandbox_with_producers_and_no_use_is_deleted(settings):
    sb = await new_sandbox()
    h = host.RuntimeHost()
    live = await h.load(sb.id)
    for command in (
        {"op": "queue.declare", "name": "q"},
        {"op": "producer.add", "name": "p", "routing_key": "q", "rate": 5},
        {"op": "time.pause"},
    ):
        assert (await h.command(sb.id, command))["ok"]
    live.last_active -= 2 * host.RECLAIM_EVERY
    await stale(settings, sb)
    await h.reclaim_once()
    assert not await exists(sb.id) and sb.id not in h.live


async def test_an_unwatched_runtime_sleeps_and_its_producers_run_again_when_opened():
    sb = await new_sandbox()
    h = host.RuntimeHost(unload_after=60)
    live = await h.load(sb.id)
    for command in (
        {"op": "queue.declare", "name": "q"},
        {"op": "producer.add", "name": "p", "routing_key": "q", "rate": 5},
    ):
        assert (await h.command(sb.id, command))["ok"]
    live.last_active -= 61
    await h.reclaim_once()
    assert sb.id not in h.live and await exists(sb.id)  # asleep, kept
    again = await h.load(sb.id)
    assert [a["state"] for a in again.runtime.frame()["producers"]] == ["running"]


# -- a fair share of the tick -----------------------------------------------------------------


async def test_a_heavy_sandbox_falls_behind_while_its_quiet_neighbour_keeps_time():
    heavy, quiet = await new_sandbox(), await new_sandbox()
    h = host.RuntimeHost(tick_hz=20)
    lives = {}
    for sb, rate, speed in ((heavy, 2000, 20), (quiet, 5, 1)):
        lives[sb.id] = await h.load(sb.id)
        lives[sb.id].viewers = 1
        for command in (
            {"op": "queue.declare", "name": "q"},
            {"op": "consumer.add", "queue": "q", "prefetch_count": 50},
            {"op": "producer.add", "name": "p", "routing_key": "q", "rate": rate},
            {"op": "time.speed", "speed": speed},
        ):
            assert (await h.command(sb.id, command))["ok"]
    behind = {heavy.id: 0, quiet.id: 0}
    loaded = lives[quiet.id].last_tick  # its virtual clock was 0 then
    for _ in range(20):
        await h.tick_once()
        for sandbox_id in behind:
            behind[sandbox_id] += lives[sandbox_id].runtime.behind
        await asyncio.sleep(1 / 20)
    assert behind[heavy.id] >= 18  # 40,000 msg/s asked: past any tick's budget (the first
    # tick, just after loading, covers only the milliseconds the commands took)
    # the quiet one reaches its time each tick, but for a pause of the whole process inside
    # its slice (a garbage collection, another process taking the core), a few ms each
    assert behind[quiet.id] <= 5
    quiet_live = lives[quiet.id]
    elapsed = quiet_live.last_tick - loaded
    assert quiet_live.runtime.backend.now == pytest.approx(elapsed, abs=0.15)
    assert lives[heavy.id].runtime.backend.now < 20 * elapsed / 2  # slowed itself
