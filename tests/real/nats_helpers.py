"""What the NATS differential tests share: run a script on the simulator and on the real
server, and reduce a run to what an observer would note."""

from __future__ import annotations

import uuid

import pytest

from brokers.real.backend import make_backend
from brokers.real.scenario import Run, run
from brokers.sim import Simulator


@pytest.fixture
def both(nats_url):
    """`both(script)` -> (simulator run, real run) of the same script."""
    made = []

    def go(script):
        real = make_backend("nats", url=nats_url, prefix=f"bp.d{uuid.uuid4().hex[:8]}.")
        made.append(real)
        assert real.status()["state"] == "connected", real.status()
        return run(Simulator(seed=1), script, "nats"), run(real, script, "nats")

    yield go
    for b in made:
        b.close()


def received(r: Run) -> dict[str, list[str]]:
    """Subscriber -> ids of the core messages it got, in order."""
    out: dict[str, list[str]] = {}
    for e in r.of("nats_delivered"):
        out.setdefault(e.sub, []).append(e.msg)
    return out


def deliveries(r: Run, consumer: str | None = None) -> list[tuple[int, int, int]]:
    """(stream seq, consumer seq, num_delivered) of each JetStream delivery, in order."""
    return [
        (e.stream_seq, e.consumer_seq, e.num_delivered)
        for e in r.of("js_delivered")
        if consumer is None or e.consumer == consumer
    ]


def numbers(info: dict) -> dict:
    """The `nats consumer info` numbers an observer reads."""
    return {
        "delivered": (info["delivered"]["consumer_seq"], info["delivered"]["stream_seq"]),
        "ack_floor": (info["ack_floor"]["consumer_seq"], info["ack_floor"]["stream_seq"]),
        "num_pending": info["num_pending"],
        "num_ack_pending": info["num_ack_pending"],
        "num_redelivered": info["num_redelivered"],
        "num_waiting": info["num_waiting"],
    }


def count(kind: str, n: int, **match):
    """An `until` for `wait`: at least `n` events of `kind` whose fields match."""

    def done(events) -> bool:
        hits = [e for e in events if e.kind == kind and all(getattr(e, k) == v for k, v in match.items())]
        return len(hits) >= n

    return done
