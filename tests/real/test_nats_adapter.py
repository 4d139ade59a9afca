"""The NATS adapter on its own: names on the server, clean-up, and a server that goes away
and comes back (on a nats-server of the test's own, on another port)."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
import uuid

import pytest

from brokers.errors import Disconnected
from brokers.real.backend import make_backend, probe
from brokers.real.nats.names import NatsNames
from tests.conftest import need

pytestmark = pytest.mark.real


def server_streams(url: str) -> list[str]:
    import nats

    async def go():
        nc = await nats.connect(url, allow_reconnect=False)
        try:
            reply = await nc.request("$JS.API.STREAM.NAMES", b"", timeout=2)
            return json.loads(reply.data).get("streams") or []
        finally:
            await nc.close()

    return asyncio.run(go())


def test_names_on_the_server_carry_the_sandbox_prefix():
    names = NatsNames("bp.3f2a.")
    assert names.subject("orders.>") == "bp.3f2a.orders.>"
    assert names.stream("ORDERS") == "bp_3f2a_ORDERS"
    assert names.user_stream("bp_3f2a_ORDERS") == "ORDERS"
    assert (
        names.scrub("stream bp_3f2a_ORDERS on bp.3f2a.orders.new") == "stream ORDERS on orders.new"
    )
    with pytest.raises(ValueError, match="no '_'"):
        NatsNames("bp.a_b.")


def test_closing_deletes_the_sandbox_streams_and_nothing_else(nats_url):
    prefix = f"bp.c{uuid.uuid4().hex[:8]}."
    other = make_backend("nats", url=nats_url, prefix=f"bp.o{uuid.uuid4().hex[:8]}.")
    mine = make_backend("nats", url=nats_url, prefix=prefix)
    try:
        other.nats.add_stream("KEEP", ["keep"])
        mine.nats.add_stream("GONE", ["gone"])
        real = NatsNames(prefix).stream("GONE")
        assert real in server_streams(nats_url)
        mine.close()
        left = server_streams(nats_url)
        assert real not in left
        assert other.nats.names.stream("KEEP") in left
    finally:
        other.close()


def test_probe_says_why_when_nothing_listens():
    ok, reason = probe("nats", "nats://127.0.0.1:1")
    assert not ok and "NATS not reachable at 127.0.0.1:1" in reason


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(port: int, store) -> subprocess.Popen:
    proc = subprocess.Popen(
        ["nats-server", "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ok, _ = probe("nats", f"nats://127.0.0.1:{port}")
        if ok:
            return proc
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("our nats-server did not come up")


def _until(backend, what, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        backend.advance(0.05)
        if what():
            return True
        time.sleep(0.05)
    return False


def test_a_server_that_goes_away_is_reported_retried_and_declared_again(tmp_path):
    need(shutil.which("nats-server") is not None, "no nats-server (run `make services`)")
    port = _free_port()
    proc = _start(port, tmp_path)
    backend = make_backend("nats", url=f"nats://127.0.0.1:{port}", prefix="bp.fault.")
    try:
        api = backend.nats
        api.add_stream("S", ["s.*"])
        api.add_consumer("S", durable_name="c")
        api.subscribe("s.*", name="watcher")
        proc.terminate()
        proc.wait(10)
        assert _until(backend, lambda: backend.status()["state"] == "disconnected")
        assert "NATS" in backend.status()["detail"]
        with pytest.raises(Disconnected):
            api.publish("s.a", "lost")
        proc = _start(port, tmp_path)  # the same store: JetStream state survives
        assert _until(backend, lambda: backend.status()["state"] == "connected")
        backend.drain()
        api.js_publish("s.a", "after")
        assert _until(backend, lambda: False, seconds=0.5) is False
        kinds = [e.kind for e in backend.drain()]
        assert "js_pub_acked" in kinds and "nats_delivered" in kinds
        assert api.consumer_info("S", "c")["num_pending"] == 1
    finally:
        backend.close()
        proc.kill()
