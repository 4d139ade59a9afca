"""Which backend a sandbox runs on: the simulator, real RabbitMQ or real Kafka.

`factory(kind, sandbox_id)` gives the `backend_factory` a `SandboxRuntime` takes; real
brokers get `brokers.real.make_backend` with the sandbox prefix `bp.<id>.` and the
addresses from settings; `destroy_resources(kind, sandbox_id)` deletes everything with
that prefix on the broker, with no runtime loaded (a deleted sandbox). `choices()` probes
each real broker (cached for a few seconds) so the page can show why one cannot be
chosen. A switch never changes the spec: the part
the chosen broker cannot run is kept (`sandbox.runtime.kept`), and `kept_notes(spec,
kind)` says so in sentences; `limits` says what the backend does not offer (step,
virtual time, stopping Kafka brokers).
Leaves out running both real brokers in one sandbox (the scenarios do that).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from brokers.backend import Backend
from sandbox.runtime import kept
from sandbox.runtime import spec as specs

SIM = "sim"
LABELS = {SIM: "Simulator", "rabbitmq": "Real RabbitMQ", "kafka": "Real Kafka"}
PROBE_TTL = 5.0  # seconds a probe answer is reused (the page asks on every load)

#: the spec sections of each broker's half (producers go by their own `broker`)
PARTS = {"amqp": ("exchanges", "queues", "bindings", "consumers"), "kafka": ("topics", "groups")}
#: backend -> the brokers' halves it keeps without running them
KEEPS = {SIM: (), "rabbitmq": ("kafka",), "kafka": ("amqp",)}
SINGULAR = {"exchanges": "exchange", "queues": "queue", "bindings": "binding",
            "consumers": "consumer", "topics": "topic", "groups": "group",
            "producers": "producer", "brokers_down": "broker down"}  # fmt: skip
LIMITS = {
    SIM: [],
    "rabbitmq": [
        "Real time only: step and speed need the simulator's virtual clock (your speed "
        "comes back on the simulator).",
        "Kafka topics and groups are kept, greyed, until the simulator or real Kafka runs them.",
    ],
    "kafka": [
        "Real time only: step and speed need the simulator's virtual clock (your speed "
        "comes back on the simulator).",
        "Kafka brokers cannot be stopped or started from the playground.",
        "Replication and leader election show only in the simulator (one real broker).",
        "RabbitMQ exchanges, queues and consumers are kept, greyed, until the simulator or "
        "real RabbitMQ runs them.",
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
        from sandbox.runtime.core import _simulator

        return _simulator
    url, management = address(kind), settings.RABBITMQ_MANAGEMENT_URL

    def make(seed: int) -> Backend:
        from brokers.real import make_backend

        return make_backend(
            kind, url=url, prefix=prefix(sandbox_id), seed=seed, management_url=management
        )

    return make


def destroy_resources(kind: str, sandbox_id: str) -> bool:
    """Delete what the sandbox holds on real broker `kind`; False when it did not answer."""
    if not is_real(kind):
        return True
    return factory(kind, sandbox_id)(0).destroy()


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


def kept_notes(spec: dict[str, Any] | None, kind: str) -> list[str]:
    """Sentences naming the part of `spec` that `kind` keeps without running it."""
    whole = specs.normalize(spec)
    out = []
    for broker in KEEPS.get(kind, ()):
        counts = [_count(len(whole[part]), part) for part in PARTS[broker] if whole[part]]
        producers = sum(1 for p in whole["producers"].values() if p.get("broker") == broker)
        if producers:
            counts.append(_count(producers, "producers"))
        if counts:
            out.append(
                f"Kept, not running on {LABELS[kind]}: {', '.join(counts)}. They stay greyed "
                f"in the diagram until you switch to {kept.RUNS_ON[broker]}."
            )
    if kind == "kafka" and whole["brokers_down"]:
        n = len(whole["brokers_down"])
        again = "stops it again" if n == 1 else "stops them again"
        out.append(
            f"Kept: {_count(n, 'brokers_down')}; real Kafka's stay up, the simulator {again}."
        )
    return out


def _count(n: int, part: str) -> str:
    word = part.replace("_", " ")
    if n == 1:
        word = SINGULAR.get(part, word)
    return f"{n} {word}"


def limits(kind: str) -> list[str]:
    """What `kind` does not offer, for the page."""
    return list(LIMITS.get(kind, []))
