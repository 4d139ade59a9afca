"""End-to-end Kafka throughput: the simulator against a real broker through kafka-python.

Each case produces N keyed records to a 12-partition topic and counts them as done when
every consumer group has processed and committed them: produce -> append -> fetch ->
commit. The simulator's events are drained and turned into dicts as the live view does,
so their cost is included. The real run uses one KafkaProducer and one thread per group
member (KafkaConsumer with group_id, commit after each poll), on a topic with a unique
name that is deleted afterwards. Prints one JSON object a line.
Run: BENCH_N=20000 .venv/bin/python bench/kafka_bench.py
"""

from __future__ import annotations

import json
import os
import random
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brokers.clock import Clock  # noqa: E402
from brokers.events import EventLog  # noqa: E402
from brokers.kafka.model import KafkaCluster  # noqa: E402

N = int(os.environ.get("BENCH_N", "20000"))
PARTITIONS = 12
MEMBERS = 3
CASES = {"12p_1group_3members": 1, "12p_3groups_3members": 3}
HOST, PORT = "127.0.0.1", 9092
DRAIN_EVERY = 1000  # sends between drains, as a live view ticking while records flow


def emit(line: dict) -> None:
    print(json.dumps(line), flush=True)


def sim_case(groups: int) -> float:
    """Records per wall second through the simulator, every group processing and committing."""
    clock, log = Clock(), EventLog()
    kafka = KafkaCluster(clock, random.Random(1), log, brokers=1)
    kafka.create_topic("bench", PARTITIONS, 1)
    kafka.add_producer("p", linger_ms=5)
    for g in range(groups):
        for _ in range(MEMBERS):
            kafka.add_member(
                f"g{g}", ["bench"], commit_policy="after", auto_offset_reset="earliest"
            )
    clock.run(until=1.0)
    log.drain()
    dicts = 0
    started = time.perf_counter()
    for i in range(N):
        kafka.send("bench", b"x" * 100, key=str(i).encode(), producer="p")
        if i % DRAIN_EVERY == DRAIN_EVERY - 1:
            clock.run(until=clock.now + 0.01)
            dicts += len([e.to_dict() for e in log.drain()])
    kafka.flush("p")
    clock.run(until=clock.now + 1.0)
    dicts += len([e.to_dict() for e in log.drain()])
    elapsed = time.perf_counter() - started
    for group in kafka.groups.values():
        rows, lag = group.lag()
        assert lag == 0 and sum(r["committed"] for r in rows) == N, (group.group_id, lag)
    return N / elapsed


def kafka_reachable() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=0.5):
            return True
    except OSError:
        return False


def kafka_case(groups: int) -> float:
    """Records per wall second through kafka-python and the real broker."""
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    servers = f"{HOST}:{PORT}"
    topic = f"bp-bench-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=servers)
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    counts = [0] * groups
    lock, go, stop = threading.Lock(), threading.Event(), threading.Event()
    owned: dict[tuple[int, int], int] = {}

    def member(group: int, index: int, gid: str) -> None:
        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=servers,
            group_id=gid,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
        )
        while not go.is_set():  # join and settle before the clock starts
            consumer.poll(timeout_ms=50)
            owned[(group, index)] = len(consumer.assignment())
        while not stop.is_set():
            batch = consumer.poll(timeout_ms=100)
            n = sum(len(records) for records in batch.values())
            if n:
                consumer.commit()
                with lock:
                    counts[group] += n
        consumer.close(autocommit=False)

    def settled() -> bool:
        return all(
            all(owned.get((g, i), 0) > 0 for i in range(MEMBERS))
            and sum(owned.get((g, i), 0) for i in range(MEMBERS)) == PARTITIONS
            for g in range(groups)
        )

    gids = [f"{topic}-g{g}" for g in range(groups)]
    threads = [
        threading.Thread(target=member, args=(g, i, gids[g]), daemon=True)
        for g in range(groups)
        for i in range(MEMBERS)
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while not settled() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # let a last pending rebalance show itself
    go.set()
    producer = KafkaProducer(bootstrap_servers=servers, linger_ms=5)
    started = time.perf_counter()
    for i in range(N):
        producer.send(topic, b"x" * 100, key=str(i).encode())
    producer.flush()
    deadline = time.monotonic() + 80
    while min(counts) < N and time.monotonic() < deadline:
        time.sleep(0.005)
    elapsed = time.perf_counter() - started
    done = min(counts)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    producer.close()
    try:
        admin.delete_topics([topic])
        admin.delete_groups(gids)
    except Exception as error:  # cleanup is best effort; the numbers are already taken
        emit({"cleanup_warning": f"{type(error).__name__}: {error}"})
    admin.close()
    if done < N:
        raise RuntimeError(f"only {done} of {N} records consumed by every group in time")
    return N / elapsed


def main() -> int:
    sims = {}
    for case, groups in CASES.items():
        sims[case] = sim_case(groups)
        emit({"case": case, "engine": "sim", "n": N, "msgs_per_s": round(sims[case])})
    reachable = kafka_reachable()
    for case, groups in CASES.items():
        if not reachable:
            emit(
                {
                    "case": case,
                    "engine": "kafka",
                    "skipped": f"Kafka not reachable on {HOST}:{PORT}",
                }
            )
            continue
        try:
            rate = kafka_case(groups)
        except Exception as error:
            emit({"case": case, "engine": "kafka", "error": f"{type(error).__name__}: {error}"})
            continue
        emit({"case": case, "engine": "kafka", "n": N, "msgs_per_s": round(rate)})
        emit({"case": case, "ratio_sim_over_kafka": round(sims[case] / rate, 2)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
