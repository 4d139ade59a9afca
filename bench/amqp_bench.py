"""End-to-end RabbitMQ throughput: the simulator against a real broker through pika.

Each case publishes N messages and counts them as done when every copy is acked:
publish -> route -> deliver -> ack. The simulator's events are drained and turned into
dicts as the live view does, so their cost is included. Prints one JSON object a line.
The fanout case publishes N/4 messages (each makes ten copies) to stay within a minute.
Both sides publish without confirm mode and ack each delivery on its own.
The topic_<h>_hashes_<w>_words lines time one pathological topic match.
Run: BENCH_N=30000 .venv/bin/python bench/amqp_bench.py
"""

from __future__ import annotations

import json
import os
import random
import socket
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brokers.amqp.model import AmqpBroker  # noqa: E402
from brokers.clock import Clock  # noqa: E402
from brokers.events import EventLog  # noqa: E402

N = int(os.environ.get("BENCH_N", "30000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))  # sim runs per case; the best counts
PREFETCH = 100
BATCH = 500
TOPIC_BINDINGS = 1000
FANOUT_QUEUES = 10
HOST, PORT = "127.0.0.1", 5672


def topic_pattern(i: int) -> tuple[str, str]:
    """The i-th binding pattern and a routing key only it matches (mixed wildcards)."""
    shape = i % 4
    if shape == 0:
        return f"k{i}.*", f"k{i}.x"
    if shape == 1:
        return f"k{i}.#", f"k{i}.x.y"
    if shape == 2:
        return f"*.k{i}", f"x.k{i}"
    return f"#.k{i}", f"x.y.k{i}"


def workload(case: str, prefix: str = "") -> dict:
    """Topology and routing keys of a case, as plain data both engines set up."""
    if case == "default_1q_1consumer":
        q = f"{prefix}work"
        return {"exchange": ("", None), "queues": [q], "bindings": [], "keys": [q]}
    if case == "topic_1000_bindings":
        x, q = f"{prefix}events", f"{prefix}work"
        pairs = [topic_pattern(i) for i in range(TOPIC_BINDINGS)]
        return {
            "exchange": (x, "topic"),
            "queues": [q],
            "bindings": [(q, x, p) for p, _ in pairs],
            "keys": [k for _, k in pairs],
        }
    x = f"{prefix}broadcast"
    queues = [f"{prefix}fan{i}" for i in range(FANOUT_QUEUES)]
    return {
        "exchange": (x, "fanout"),
        "queues": queues,
        "bindings": [(q, x, "") for q in queues],
        "keys": [""],
    }


def run_sim(case: str, n: int) -> dict:
    """Publish n messages through the simulator and run the clock until all are acked."""
    clock, log = Clock(), EventLog()
    broker = AmqpBroker(clock, random.Random(1), log)
    w = workload(case)
    exchange, kind = w["exchange"]
    if kind:
        broker.exchange_declare(exchange, kind)
    for q in w["queues"]:
        broker.queue_declare(q)
    for q, x, key in w["bindings"]:
        broker.queue_bind(q, x, key)
    tags = [broker.basic_consume(q, prefetch_count=PREFETCH) for q in w["queues"]]
    keys, events = w["keys"], 0
    publish, run, drain = broker.basic_publish, clock.run, log.drain
    start = time.perf_counter()
    for i in range(n):
        # The pika anchor publishes on a channel without confirm mode; so does the sim.
        publish(exchange, keys[i % len(keys)], b"payload", confirm=False)
        if i % BATCH == BATCH - 1:
            run()
            for event in drain():
                event.to_dict()
                events += 1
    run()
    for event in drain():
        event.to_dict()
        events += 1
    elapsed = time.perf_counter() - start
    acked = sum(broker.consumers[t].acked for t in tags)
    assert acked == n * len(w["queues"]), (case, acked)
    return {
        "case": case,
        "engine": "sim",
        "msgs_per_s": round(n / elapsed),
        "messages": n,
        "copies_acked": acked,
        "events": events,
        "events_per_s": round(events / elapsed),
        "seconds": round(elapsed, 3),
    }


def rabbitmq_reachable() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=1):
            return True
    except OSError:
        return False


def run_rabbitmq(case: str, n: int) -> dict:
    """The same workload through pika: publish n, then consume and ack every copy."""
    import pika

    prefix = f"bench-{uuid.uuid4().hex[:8]}-"
    w = workload(case, prefix)
    conn = pika.BlockingConnection(pika.ConnectionParameters(HOST, PORT))
    ch = conn.channel()
    exchange, kind = w["exchange"]
    try:
        if kind:
            ch.exchange_declare(exchange, kind, auto_delete=False)
        for q in w["queues"]:
            ch.queue_declare(q)
        for q, x, key in w["bindings"]:
            ch.queue_bind(q, x, key)
        keys, expected, acked = w["keys"], n * len(w["queues"]), 0
        start = time.perf_counter()
        for i in range(n):
            ch.basic_publish(exchange, keys[i % len(keys)], b"payload")
        ch.basic_qos(prefetch_count=PREFETCH)

        def on_message(channel, method, _props, _body):
            nonlocal acked
            channel.basic_ack(method.delivery_tag)
            acked += 1
            if acked >= expected:
                channel.stop_consuming()

        for q in w["queues"]:
            ch.basic_consume(q, on_message)
        ch.start_consuming()
        elapsed = time.perf_counter() - start
        return {
            "case": case,
            "engine": "rabbitmq",
            "msgs_per_s": round(n / elapsed),
            "messages": n,
            "copies_acked": acked,
            "seconds": round(elapsed, 3),
        }
    finally:
        for q in w["queues"]:
            ch.queue_delete(q)
        if kind:
            ch.exchange_delete(exchange)
        conn.close()


def run_topic_pathological() -> list[dict]:
    """Many `#` against a long key: the trie's visits and the wall time of one match."""
    from brokers.amqp import routing

    out, walk, visits = [], routing._walk, [0]

    def counted(*args):
        visits[0] += 1
        return walk(*args)

    for hashes, words in ((5, 85), (8, 120)):
        trie = routing.TopicTrie()
        trie.add(routing.Binding("x", "q", "queue", ".".join(["#"] * hashes + ["z"])))
        key = ".".join(["a"] * words)
        start = time.perf_counter()
        matched = trie.match(key)
        elapsed = time.perf_counter() - start
        routing._walk, visits[0] = counted, 0
        trie.match(key)
        routing._walk = walk
        out.append({
            "case": f"topic_{hashes}_hashes_{words}_words", "engine": "sim",
            "matched": len(matched), "visits": visits[0], "seconds": round(elapsed, 6),
        })  # fmt: skip
    return out


def main() -> None:
    for line in run_topic_pathological():
        print(json.dumps(line), flush=True)
    cases = ["default_1q_1consumer", "topic_1000_bindings", "fanout_10_queues"]
    sims, reals = {}, {}
    sizes = {case: N // 4 if case.startswith("fanout") else N for case in cases}
    for case in cases:
        runs = [run_sim(case, sizes[case]) for _ in range(REPEATS)]
        sims[case] = max(runs, key=lambda r: r["msgs_per_s"])
        print(json.dumps(sims[case]), flush=True)
    real_ok = rabbitmq_reachable()
    for case in cases:
        if real_ok:
            reals[case] = run_rabbitmq(case, sizes[case])
            print(json.dumps(reals[case]), flush=True)
        else:
            skipped = {
                "case": case,
                "engine": "rabbitmq",
                "skipped": f"RabbitMQ not reachable on {HOST}:{PORT}",
            }
            print(json.dumps(skipped), flush=True)
    for case in cases:
        if case in reals:
            ratio = sims[case]["msgs_per_s"] / reals[case]["msgs_per_s"]
            print(json.dumps({"case": case, "ratio_sim_over_rabbitmq": round(ratio, 2)}))
    ratio = sims["topic_1000_bindings"]["msgs_per_s"] / sims["default_1q_1consumer"]["msgs_per_s"]
    print(json.dumps({"case": "topic_vs_default", "engine": "sim", "ratio": round(ratio, 2)}))


if __name__ == "__main__":
    main()
