"""The sandbox WebSocket: owners drive, watchers watch, strangers are turned away."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from playground.access import revoke, share
from playground.live import host
from playground.live.consumers import kick_watchers
from playground.models import Sandbox
from tests.playground.conftest import command, connect, new_sandbox, receive

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_host")]


async def test_the_owner_gets_a_snapshot_then_replies_to_commands():
    sb = await new_sandbox()
    comm = connect(sb.id, owner="alice")
    try:
        assert (await comm.connect())[0]
        snapshot = await comm.receive_json_from(3)  # the first message, before any frame
        assert snapshot["role"] == "owner" and snapshot["seed"] == sb.seed
        result = await command(comm, 1, op="queue.declare", name="jobs")
        assert result == {"ok": True, "name": "jobs"}
        refused = await command(comm, 2, op="exchange.declare", name="x", type="zigzag")
        assert refused["ok"] is False and refused["field"] == "type"
    finally:
        await comm.disconnect()
    saved = await database_sync_to_async(Sandbox.objects.get)(id=sb.id)
    assert list(saved.spec["queues"]) == ["jobs"]


async def test_frames_arrive_while_the_sandbox_plays():
    sb = await new_sandbox()
    comm = connect(sb.id, owner="alice")
    try:
        await comm.connect()
        await receive(comm, "frame")
        await command(comm, 1, op="queue.declare", name="jobs")
        await command(comm, 2, op="consumer.add", queue="jobs")
        await command(comm, 3, op="producer.add", name="p", routing_key="jobs", rate=50)
        seen, moves = [], []
        while len(seen) < 10:
            frame = await receive(comm, "frame")
            seen.append(frame["seq"])
            moves += frame["moves"]
        assert seen == sorted(seen) and len(set(seen)) == 10
        assert {"published", "delivered", "acked"} <= {m["kind"] for m in moves}
        assert all(len(json.dumps(f)) < 65536 for f in [frame])
    finally:
        await comm.disconnect()


async def test_a_viewer_joining_a_busy_sandbox_gets_the_snapshot_first_then_newer_frames():
    sb = await new_sandbox()
    owner = connect(sb.id, owner="alice")
    late = connect(sb.id, owner="alice")
    try:
        await owner.connect()
        await receive(owner, "frame")
        await command(owner, 1, op="queue.declare", name="jobs")
        await command(owner, 2, op="consumer.add", queue="jobs")
        await command(owner, 3, op="producer.add", name="p", routing_key="jobs", rate=200)
        await receive(owner, "frame")  # frames flow while the late viewer connects
        await late.connect()
        snapshot = await late.receive_json_from(3)
        assert snapshot["type"] == "frame" and snapshot["role"] == "owner"
        after = [(await receive(late, "frame"))["seq"] for _ in range(5)]
        assert all(seq > snapshot["seq"] for seq in after) and after == sorted(after)
    finally:
        await late.disconnect()
        await owner.disconnect()


async def test_a_stranger_is_closed_with_4403():
    sb = await new_sandbox()
    for comm in (connect(sb.id, owner="mallory"), connect(sb.id), connect("nope", "alice")):
        try:
            await comm.connect()
            assert await comm.receive_output(2) == {"type": "websocket.close", "code": 4403}
        finally:
            await comm.disconnect()


async def test_a_watcher_sees_frames_but_cannot_command():
    sb = await new_sandbox()
    token = await database_sync_to_async(share)(sb)
    comm = connect(sb.id, owner="bob", watch=token)
    try:
        assert (await comm.connect())[0]
        assert (await receive(comm, "frame"))["role"] == "watcher"
        await comm.send_json_to({"action": "command", "id": 7, "command": {"op": "queue.purge"}})
        error = await receive(comm, "error")
        assert error["id"] == 7 and "read-only" in error["error"]
        result = await command(comm, 8, op="sandbox.snapshot")
        assert result["ok"] and result["frame"]["type"] == "frame"
    finally:
        await comm.disconnect()


async def test_a_revoked_watch_token_is_refused_and_closes_watchers():
    sb = await new_sandbox()
    token = await database_sync_to_async(share)(sb)
    watcher, owner = connect(sb.id, watch=token), connect(sb.id, owner="alice")
    try:
        await watcher.connect()
        await owner.connect()
        await receive(watcher, "frame")
        await receive(owner, "frame")
        await database_sync_to_async(revoke)(sb)
        await kick_watchers(sb.id)
        output = await watcher.receive_output(2)
        while output["type"] != "websocket.close":
            output = await watcher.receive_output(2)
        assert output["code"] == 4403
        assert (await command(owner, 1, op="time.pause"))["ok"]
        late = connect(sb.id, watch=token)
        await late.connect()
        assert await late.receive_output(2) == {"type": "websocket.close", "code": 4403}
        await late.disconnect()
    finally:
        await watcher.disconnect()
        await owner.disconnect()


async def test_bad_json_and_unknown_actions_get_an_error_not_a_crash():
    sb = await new_sandbox()
    comm = connect(sb.id, owner="alice")
    try:
        await comm.connect()
        await receive(comm, "frame")
        await comm.send_to(text_data="{not json")
        assert "JSON" in (await receive(comm, "error"))["error"]
        await comm.send_json_to({"action": "explode", "id": 3})
        assert (await receive(comm, "error"))["id"] == 3
        await comm.send_json_to(["a", "list"])
        await receive(comm, "error")
        await comm.send_json_to({"action": "command", "id": 4, "command": "queue.purge"})
        await receive(comm, "error")
        await comm.send_json_to({"action": "ping", "id": 5})
        assert (await receive(comm, "pong"))["id"] == 5
    finally:
        await comm.disconnect()


async def test_sockets_in_one_process_are_one_member_of_the_group_and_all_get_frames():
    sb = await new_sandbox()
    sockets = [connect(sb.id, owner="alice") for _ in range(3)]
    try:
        for comm in sockets:
            assert (await comm.connect())[0]
            await comm.receive_json_from(3)  # the snapshot
        members = get_channel_layer().groups[host.group_name(sb.id)]
        assert len(members) == 1  # the frames cross the in-memory layer once per process
        assert (await command(sockets[0], 1, op="queue.declare", name="jobs"))["ok"]
        for comm in sockets:
            async with asyncio.timeout(3):
                while True:
                    frame = await receive(comm, "frame")
                    if any(q["name"] == "jobs" for q in frame["amqp"]["queues"]):
                        break
    finally:
        for comm in sockets:
            await comm.disconnect()
    assert host.group_name(sb.id) not in get_channel_layer().groups  # the last one left
