"""Run one scenario script on any backend and say what an observer saw.

A script is a function `script(api, wait)`: it calls `AmqpApi`, `KafkaApi` or `NatsApi` methods
on `api` and lets time pass with `wait(seconds)`. On the simulator `wait` advances the
virtual clock; on a real broker it sleeps while polling, and can end early once
`until(events)` holds. The same script on both, reduced by the same observer functions,
is how the differential tests compare the simulator with the real brokers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from brokers.backend import Backend
from brokers.events import Event

Script = Callable[[Any, Callable[..., None]], Any]


class Run:
    """The events a script produced on one backend, and its return value."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.events: list[Event] = []
        self.result: Any = None

    def wait(self, seconds: float, until: Callable[[list[Event]], bool] | None = None) -> None:
        """Let `seconds` pass (virtual or real); on a real broker stop early once `until` holds."""
        if self.backend.steppable:
            self.backend.advance(seconds)
            self.events.extend(self.backend.drain())
            return
        deadline = time.monotonic() + seconds
        while True:
            self.backend.advance(0.05)
            self.events.extend(self.backend.drain())
            if until is not None and until(self.events):
                return
            if time.monotonic() >= deadline:
                return
            time.sleep(0.02)

    def of(self, kind: str) -> list[Event]:
        """The events of one kind ("delivered", "appended"...), in order."""
        return [e for e in self.events if e.kind == kind]


def run(backend: Backend, script: Script, broker: str = "amqp") -> Run:
    """Run `script` on `backend`'s `broker` API ("amqp", "kafka" or "nats"); collect every
    event."""
    result = Run(backend)
    api = {"amqp": backend.amqp, "kafka": backend.kafka, "nats": backend.nats}[broker]
    result.result = script(api, result.wait)
    result.wait(0)
    return result


# -- observers: what a user watching the broker would notice -----------------------------
def deliveries(r: Run) -> dict[str, list[str]]:
    """Queue -> message ids in the order they were delivered from it."""
    out: dict[str, list[str]] = {}
    for e in r.of("delivered"):
        out.setdefault(e.queue, []).append(e.msg)
    return out


def delivered_sets(r: Run) -> dict[str, list[str]]:
    """Queue -> sorted message ids delivered from it (order ignored)."""
    return {q: sorted(set(ms), key=_msg_order) for q, ms in deliveries(r).items()}


def _msg_order(msg: str) -> tuple[int, str]:
    digits = "".join(c for c in msg if c.isdigit())
    return (int(digits) if digits else 0, msg)


def partitions_by_msg(r: Run) -> dict[str, tuple[str, int]]:
    """Kafka record id -> (topic, partition) it was appended to."""
    out = {}
    for e in r.of("appended"):
        for msg in e.msgs:
            out[msg] = (e.topic, e.partition)
    return out


def final_assignment(r: Run, group: str) -> dict[str, list[list]]:
    """The assignment of a group's last generation."""
    rebalances = [e for e in r.of("rebalanced") if e.group == group]
    if not rebalances:
        return {}
    return {m: sorted(tps) for m, tps in rebalances[-1].assignment.items()}


def processed_by_group(r: Run) -> dict[str, list[str]]:
    """Group -> every record id its members processed (sorted, duplicates kept)."""
    out: dict[str, list[str]] = {}
    for e in r.of("processed"):
        out.setdefault(e.group, []).extend(e.msgs)
    return {g: sorted(ms, key=_msg_order) for g, ms in out.items()}
