"""End-to-end JetStream throughput: the simulator against nats-server through nats-py.

Each case publishes N messages to a stream (one JetStream publish per message, waiting for
its PubAck, as `await js.publish()` does) while one pull consumer fetches batches of 100
and acks every message: publish -> store -> fetch -> ack (-> removal on a workqueue). A
case is done when all N are acked. The simulator's events are drained and turned into
dicts as the live view does, so their cost is included; its worker is the playground's
simulated pull worker. The real run uses two nats-py connections (publisher, consumer) on
one event loop, on a stream with a unique name that is deleted afterwards. Prints one
JSON object a line.
Run: BENCH_N=20000 .venv/bin/python bench/nats_bench.py
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brokers.clock import Clock  # noqa: E402
from brokers.events import EventLog  # noqa: E402
from brokers.nats.model import NatsServer  # noqa: E402

N = int(os.environ.get("BENCH_N", "20000"))
BATCH = 100
CASES = {"workqueue_pull_ack": "workqueue", "limits_pull_ack": "limits"}
HOST, PORT = "127.0.0.1", 4222
DRAIN_EVERY = 1000  # publishes between drains, as a live view ticking while messages flow


def emit(line: dict) -> None:
    print(json.dumps(line), flush=True)


def sim_case(retention: str) -> float:
    """Messages per wall second through the simulator, each one published, fetched, acked."""
    clock, log = Clock(), EventLog()
    nats = NatsServer(clock, random.Random(1), log)
    nats.add_stream("BENCH", ["bench.>"], retention=retention)
    nats.add_consumer("BENCH", durable_name="worker", max_ack_pending=10_000)
    nats.consume("BENCH", "worker", batch=BATCH)
    log.drain()
    dicts = acked = 0
    started = time.perf_counter()
    for i in range(N):
        nats.js_publish("bench.job", b"x" * 100)
        if i % DRAIN_EVERY == DRAIN_EVERY - 1:
            clock.run(until=clock.now + 2.0)  # a worker takes at least 1 ms per message
            events = log.drain()
            dicts += len([e.to_dict() for e in events])
            acked += sum(1 for e in events if e.kind == "js_acked")
    clock.run(until=clock.now + 2.0)
    events = log.drain()
    dicts += len([e.to_dict() for e in events])
    acked += sum(1 for e in events if e.kind == "js_acked")
    elapsed = time.perf_counter() - started
    info = nats.consumer_info("BENCH", "worker")
    assert acked == N and info["ack_floor"]["stream_seq"] == N, (acked, info)
    return N / elapsed


def nats_reachable() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=0.5):
            return True
    except OSError:
        return False


async def nats_case(retention: str) -> float:
    """Messages per wall second through nats-py and the real server."""
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy

    url = f"nats://{HOST}:{PORT}"
    pub_nc, sub_nc = await nats.connect(url), await nats.connect(url)
    pub, sub = pub_nc.jetstream(), sub_nc.jetstream()
    stream = f"bp_bench_{uuid.uuid4().hex[:8]}"
    subject = f"{stream}.job"
    policy = RetentionPolicy.WORK_QUEUE if retention == "workqueue" else RetentionPolicy.LIMITS
    await pub.add_stream(name=stream, subjects=[f"{stream}.>"], retention=policy)
    await pub.add_consumer(
        stream,
        ConsumerConfig(
            durable_name="worker", ack_policy=AckPolicy.EXPLICIT, max_ack_pending=10_000
        ),
    )
    psub = await sub.pull_subscribe_bind("worker", stream)
    acked = 0

    async def consume() -> None:
        nonlocal acked
        while acked < N:
            try:
                msgs = await psub.fetch(BATCH, timeout=1)
            except nats.errors.TimeoutError:
                continue
            for m in msgs:
                await m.ack()
            acked += len(msgs)
        await sub_nc.flush()

    async def produce() -> None:
        for _ in range(N):
            await pub.publish(subject, b"x" * 100)

    started = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(produce(), consume()), 120)
        elapsed = time.perf_counter() - started
    finally:
        try:
            await pub.delete_stream(stream)
        except Exception as error:  # cleanup is best effort; the numbers are already taken
            emit({"cleanup_warning": f"{type(error).__name__}: {error}"})
        await pub_nc.close()
        await sub_nc.close()
    return N / elapsed


def main() -> int:
    sims = {}
    for case, retention in CASES.items():
        sims[case] = sim_case(retention)
        emit({"case": case, "engine": "sim", "n": N, "msgs_per_s": round(sims[case])})
    reachable = nats_reachable()
    for case, retention in CASES.items():
        if not reachable:
            emit(
                {"case": case, "engine": "nats", "skipped": f"NATS not reachable on {HOST}:{PORT}"}
            )
            continue
        try:
            rate = asyncio.run(nats_case(retention))
        except Exception as error:
            emit({"case": case, "engine": "nats", "error": f"{type(error).__name__}: {error}"})
            continue
        emit({"case": case, "engine": "nats", "n": N, "msgs_per_s": round(rate)})
        emit({"case": case, "ratio_sim_over_nats": round(sims[case] / rate, 2)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
