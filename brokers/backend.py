"""The backend interface: what the sandbox runtime drives, simulator or real broker.

A backend offers the RabbitMQ operations (`amqp`, an `AmqpApi`), the Kafka ones
(`kafka`, a `KafkaApi`) and/or the NATS ones (`nats`, a `NatsApi`; None where a backend
has no NATS), moves time forward, and hands over the events that happened
since the last call. The runtime never knows which implementation it has.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from brokers.amqp.api import AmqpApi
from brokers.events import Event
from brokers.kafka.api import KafkaApi
from brokers.nats.api import NatsApi


class Backend(ABC):
    """One sandbox's brokers, behind one interface."""

    kind: str = ""  # "sim", "rabbitmq", "kafka" or "nats"
    amqp: AmqpApi | None = None
    kafka: KafkaApi | None = None
    nats: NatsApi | None = None
    #: whether `step()` and virtual time are meaningful (only the simulator)
    steppable: bool = False

    @property
    @abstractmethod
    def now(self) -> float:
        """Current time in seconds (virtual for the simulator, since start for real)."""

    @abstractmethod
    def advance(self, seconds: float) -> None:
        """Let `seconds` of (virtual) time pass."""

    def step(self) -> bool:
        """Run exactly one scheduled action; False when idle or not steppable."""
        return False

    @abstractmethod
    def drain(self) -> list[Event]:
        """Return the events emitted since the last drain, oldest first."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """State for the live view: {"amqp": ..., "kafka": ..., "nats": ..., "status": ...}."""

    def status(self) -> dict[str, Any]:
        """Connection state: {"state": "connected"|"disconnected", "detail": str}."""
        return {"state": "connected", "detail": ""}

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and threads. What a real broker holds stays there: queues,
        messages, topics, records and committed offsets are found again by the next
        backend on the same prefix (its declares are idempotent)."""

    def destroy(self) -> bool:
        """Delete what this backend holds on its broker, then close; False when the broker
        could not be reached to delete it (the simulator has nothing to delete)."""
        self.close()
        return True

    def destroy_when_connected(self) -> None:  # noqa: B027 - optional hook
        """Delete what the broker still holds under this backend's prefix as soon as it
        answers, before declaring anything (a `destroy()` that found the broker down)."""
