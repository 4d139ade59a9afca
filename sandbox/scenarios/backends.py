"""Real brokers for a scenario: one backend over real RabbitMQ and real Kafka together.

`brokers.real.make_backend` gives one broker per backend; a scenario such as "the courier
and the pickup board" needs both at once. `CombinedBackend` puts a RabbitMQ backend and a
Kafka backend behind the one `Backend` interface the runtime drives, and `real_factory`
makes the `backend_factory` a `SandboxRuntime` takes. Leaves out ordering events across
the two brokers (each keeps its own order; they are concatenated per drain).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from brokers.backend import Backend
from brokers.events import Event


class CombinedBackend(Backend):
    """A RabbitMQ backend and/or a Kafka backend as one (real time, not steppable)."""

    kind = "real"
    steppable = False

    def __init__(self, rabbitmq: Backend | None, kafka: Backend | None) -> None:
        self.parts = [b for b in (rabbitmq, kafka) if b is not None]
        self.amqp = rabbitmq.amqp if rabbitmq else None
        self.kafka = kafka.kafka if kafka else None
        self.started = time.monotonic()

    @property
    def now(self) -> float:
        return time.monotonic() - self.started

    def advance(self, seconds: float) -> None:
        for part in self.parts:
            part.advance(seconds)

    def drain(self) -> list[Event]:
        return [e for part in self.parts for e in part.drain()]

    def describe(self) -> dict[str, Any]:
        states = [part.describe() for part in self.parts]
        return {
            "amqp": next((s["amqp"] for s in states if s.get("amqp") is not None), None),
            "kafka": next((s["kafka"] for s in states if s.get("kafka") is not None), None),
            "status": self.status(),
            "now": self.now,
        }

    def status(self) -> dict[str, Any]:
        for part in self.parts:
            status = part.status()
            if status["state"] != "connected":
                return status
        return {"state": "connected", "detail": ""}

    def close(self) -> None:
        for part in self.parts:
            part.close()

    def destroy(self) -> bool:
        return all([part.destroy() for part in self.parts])

    def destroy_when_connected(self) -> None:
        for part in self.parts:
            part.destroy_when_connected()


def real_factory(
    prefix: str, rabbitmq_url: str | None = None, kafka_url: str | None = None
) -> Callable[[int], Backend]:
    """A `backend_factory` for `SandboxRuntime` on the real brokers given (prefix ends '.')."""
    from brokers.real import make_backend

    def make(seed: int) -> Backend:
        rabbit = (
            make_backend("rabbitmq", url=rabbitmq_url, prefix=prefix, seed=seed)
            if rabbitmq_url
            else None
        )
        kafka = (
            make_backend("kafka", url=kafka_url, prefix=prefix, seed=seed) if kafka_url else None
        )
        return CombinedBackend(rabbit, kafka)

    return make
