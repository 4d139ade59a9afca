"""Which backend a sandbox runs on: the simulator, real RabbitMQ or real Kafka.

`factory(kind, sandbox_id)` gives the `backend_factory` a `SandboxRuntime` takes; real
brokers get `brokers.real.make_backend` with the sandbox prefix `bp.<id>.` and the
addresses from settings. `choices()` probes each real broker (cached for a few seconds)
so the page can show why one cannot be chosen. `applicable(spec, kind)` keeps the parts
of a spec the chosen backend can hold and says, in sentences, what it left out; `limits`
says what the backend does not offer (step, virtual time, stopping Kafka brokers).
Leaves out running both real brokers in one sandbox (the scenarios do that).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from brokers.backend import Backend
from playground.runtime import spec as specs

SIM = "sim"
LABELS = {SIM: "Simulator", "rabbitmq": "Real RabbitMQ", "kafka": "Real Kafka"}
PROBE_TTL = 5.0  # seconds a probe answer is reused (the page asks on every load)

AMQP_PARTS = ("exchanges", "queues", "bindings", "consumers")
KAFKA_PARTS = ("topics", "groups", "brokers_down")
LIMITS = {
    SIM: [],
    "rabbitmq": [
        "Real time only: step and speed need the simulator's virtual clock.",
        "Kafka topics and groups need the simulator or real Kafka.",
    ],
    "kafka": [
        "Real time only: step and speed need the simulator's virtual clock.",
        "Kafka brokers cannot be stopped or started from the playground.",
        "Replication and leader election show only in the simulator (one real broker).",
        "RabbitMQ exchanges and queues need the simulator or real RabbitMQ.",
    ],
}


@dataclass(frozen=True)
class Choice:
    """One backend as the selector shows it."""

    kind: str
    label: str
    ok: bool
    reason: str = ""


def is_real(kind: str) -> bool:
    return kind in ("rabbitmq", "kafka")


def address(kind: str) -> str:
    """Where the real broker of `kind` is (settings)."""
    return settings.RABBITMQ_URL if kind == "rabbitmq" else settings.KAFKA_BOOTSTRAP_SERVERS


def prefix(sandbox_id: str) -> str:
    """Every broker resource of the sandbox starts with this."""
    return f"bp.{sandbox_id}."


def factory(kind: str, sandbox_id: str) -> Callable[[int], Backend]:
    """The `backend_factory` for a sandbox on `kind` (unknown kinds get the simulator)."""
    if not is_real(kind):
        from playground.runtime.core import _simulator

        return _simulator
    url, management = address(kind), settings.RABBITMQ_MANAGEMENT_URL

    def make(seed: int) -> Backend:
        from brokers.real import make_backend

        return make_backend(
            kind, url=url, prefix=prefix(sandbox_id), seed=seed, management_url=management
        )

    return make


class _Probes:
    """Probe answers by (kind, address), reused for PROBE_TTL seconds."""

    lock = threading.Lock()
    seen: dict[tuple[str, str], tuple[float, bool, str]] = {}


def probe(kind: str, fresh: bool = False) -> tuple[bool, str]:
    """Whether the real broker of `kind` answers, and if not, why (a sentence)."""
    key, now = (kind, address(kind)), time.monotonic()
    with _Probes.lock:
        hit = _Probes.seen.get(key)
    if hit and not fresh and now - hit[0] < PROBE_TTL:
        return hit[1], hit[2]
    from brokers.real import probe as probe_broker

    ok, reason = probe_broker(kind, key[1])
    with _Probes.lock:
        _Probes.seen[key] = (time.monotonic(), ok, reason)
    return ok, reason


def choices() -> list[Choice]:
    """Every backend, with the real ones probed."""
    out = [Choice(SIM, LABELS[SIM], True)]
    for kind in ("rabbitmq", "kafka"):
        ok, reason = probe(kind)
        out.append(Choice(kind, LABELS[kind], ok, reason))
    return out


def applicable(spec: dict[str, Any] | None, kind: str) -> tuple[dict[str, Any], list[str]]:
    """The part of `spec` that `kind` can hold, and sentences naming what was left out."""
    out = specs.normalize(copy.deepcopy(spec))
    if not is_real(kind):
        return out, []
    drop = KAFKA_PARTS if kind == "rabbitmq" else (*AMQP_PARTS, "brokers_down")
    broker = "kafka" if kind == "rabbitmq" else "amqp"
    left: list[str] = []
    for part in drop:
        if out[part]:
            left.append(f"{len(out[part])} {part.replace('_', ' ')}")
            out[part] = specs.SECTIONS[part]()
    producers = {n: p for n, p in out["producers"].items() if p.get("broker") != broker}
    if len(producers) != len(out["producers"]):
        left.append(f"{len(out['producers']) - len(producers)} producers")
        out["producers"] = producers
    out["time"] = {"speed": 1.0, "paused": False}  # a real broker runs in real time
    if not left:
        return out, []
    return out, [f"Left out (not on {LABELS[kind]}): {', '.join(left)}."]


def limits(kind: str) -> list[str]:
    """What `kind` does not offer, for the page."""
    return list(LIMITS.get(kind, []))
