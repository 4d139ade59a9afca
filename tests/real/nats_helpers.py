"""What the NATS differential tests share: observers that reduce a run to what a person
watching would note (the `nats_both` fixture that makes the runs is in conftest.py)."""

from __future__ import annotations

from brokers.real.scenario import Run


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
        hits = [
            e
            for e in events
            if e.kind == kind and all(getattr(e, k) == v for k, v in match.items())
        ]
        return len(hits) >= n

    return done
