"""`RealBackend`: a real RabbitMQ, Kafka or NATS behind the `Backend` interface of the simulator.

`now` is wall seconds since the backend started; `advance(seconds)` does not move time,
it polls (queue depths, offsets and lag) and looks after the connection: a broker that
goes away is reported as disconnected, retried with exponential backoff, and when it
answers again the topology this sandbox declared is declared again. `advance()`,
`drain()`, `describe()` and `status()` never raise; commands while disconnected raise
`brokers.errors.Disconnected` with the reason.

`close()` only disconnects: the broker keeps the sandbox's queues and their messages,
topics, records and committed offsets, and a backend made later on the same prefix
declares them again (idempotent) and finds them, messages and offsets included.
`destroy()` deletes every resource with the prefix, also those an earlier backend left.
Leaves out stepping (real time only).
"""

from __future__ import annotations

import time
from typing import Any

from brokers.backend import Backend
from brokers.errors import BrokerError, Disconnected
from brokers.events import Event
from brokers.real.common import EventSink

KINDS = ("rabbitmq", "kafka", "nats")
BACKOFF_START = 0.5
BACKOFF_MAX = 4.0  # seconds: a broker back from a restart is found again within this
DEFAULT_MANAGEMENT_URL = "http://guest:guest@127.0.0.1:15672"


class RealBackend(Backend):
    """One sandbox on one real broker (`kind` "rabbitmq", "kafka" or "nats")."""

    steppable = False

    def __init__(
        self,
        kind: str,
        *,
        url: str,
        prefix: str,
        seed: int = 1,
        management_url: str = DEFAULT_MANAGEMENT_URL,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown real backend {kind!r} (expected one of {KINDS})")
        self.kind = kind
        self.url = url
        self.prefix = prefix
        self.seed = seed
        self.sink = EventSink()
        self.adapter: Any
        if kind == "rabbitmq":
            from brokers.real.rabbitmq.adapter import RabbitMQAdapter

            self.adapter = self.amqp = RabbitMQAdapter(
                url, prefix, seed, self.sink, management_url=management_url
            )
        elif kind == "kafka":
            from brokers.real.kafka.adapter import KafkaAdapter

            self.adapter = self.kafka = KafkaAdapter(url, prefix, seed, self.sink)
        else:
            from brokers.real.nats import NatsAdapter

            self.adapter = self.nats = NatsAdapter(url, prefix, seed, self.sink)
        self._state = "connecting"
        self._detail = ""
        self._delay = BACKOFF_START
        self._next_try = 0.0
        self._wipe_first = False  # destroy_when_connected(): delete before declaring
        self._connect()

    @property
    def now(self) -> float:
        return self.sink.now()

    # -- connection ------------------------------------------------------------------------
    def _connect(self, again: bool = False) -> bool:
        """Try to (re)connect now; on success declare again what this sandbox knows."""
        try:
            self.adapter.connect()
            if self._wipe_first:
                self.adapter.destroy()
                self._wipe_first = False
            if again:
                self.adapter.redeclare()
        except (BrokerError, OSError) as exc:
            self._lost(str(exc))
            return False
        self._state, self._detail = "connected", ""
        self._delay = BACKOFF_START
        return True

    def _lost(self, reason: str) -> None:
        self._state, self._detail = "disconnected", reason
        self._next_try = time.monotonic() + self._delay
        self._delay = min(self._delay * 2, BACKOFF_MAX)

    def _watch(self) -> None:
        if self._state == "connected" and not self.adapter.connected:
            self._lost(self.adapter.lost_reason)
        if self._state == "disconnected" and time.monotonic() >= self._next_try:
            self._state = "connecting"
            self._connect(again=True)

    def advance(self, seconds: float) -> None:
        try:
            self._watch()
            if self._state == "connected":
                if self.kind == "kafka":
                    self.adapter.poll_state()
                else:
                    self.adapter.poll()
        except Exception as exc:  # noqa: BLE001 - advance() must never take the runtime down
            self._lost(f"{type(exc).__name__}: {exc}")

    def drain(self) -> list[Event]:
        return self.sink.drain()

    def status(self) -> dict[str, Any]:
        if self._state == "connected" and not self.adapter.connected:
            return {"state": "disconnected", "detail": self.adapter.lost_reason}
        return {"state": self._state, "detail": self._detail}

    def describe(self) -> dict[str, Any]:
        try:
            state = self.adapter.describe()
        except Exception:  # noqa: BLE001 - describe() must never raise
            state = {}
        key = {"rabbitmq": "amqp", "kafka": "kafka", "nats": "nats"}[self.kind]
        return {
            "amqp": state if key == "amqp" else None,
            "kafka": state if key == "kafka" else None,
            "nats": state if key == "nats" else None,
            "status": self.status(),
            "now": self.now,
            "seed": self.seed,
        }

    def close(self) -> None:
        """Close every connection; the broker keeps this sandbox's resources and messages."""
        try:
            self.adapter.close()
        except Exception:  # noqa: BLE001, S110 - closing anyway
            pass

    def destroy(self) -> bool:
        """Delete every resource with this sandbox's prefix, then close every connection.

        A broker that is down is tried once more now; False when it still does not answer
        (nothing was deleted, and `destroy_when_connected` on the next backend owes it).
        """
        if self._state != "connected" or not self.adapter.connected:
            self._connect()
        try:
            return self.adapter.destroy()
        except Exception:  # noqa: BLE001 - destroy() reports, never raises
            return False
        finally:
            self.close()

    def destroy_when_connected(self) -> None:
        if self._state == "connected" and self.adapter.connected:
            self.adapter.destroy()
        else:
            self._wipe_first = True


def probe(kind: str, url: str) -> tuple[bool, str]:
    """Whether a real broker answers at `url`, and if not, why, in a sentence for the UI."""
    if kind == "rabbitmq":
        import pika

        from brokers.real.rabbitmq.connection import explain, parameters

        try:
            connection = pika.BlockingConnection(parameters(url, "bp.probe"))
        except Exception as exc:  # noqa: BLE001 - every failure is a reason to show
            return False, explain(exc, url)
        connection.close()
        return True, ""
    if kind == "kafka":
        from brokers.real.kafka.adapter import probe_kafka

        return probe_kafka(url)
    if kind == "nats":
        from brokers.real.nats import probe_nats

        return probe_nats(url)
    return False, f"unknown broker kind {kind!r} (expected one of {', '.join(KINDS)})"


def make_backend(
    kind: str,
    *,
    url: str,
    prefix: str,
    seed: int = 1,
    management_url: str = DEFAULT_MANAGEMENT_URL,
) -> Backend:
    """A backend for a real broker; it starts connecting at once and never raises for a
    broker that is down (its `status()` says disconnected, and it keeps retrying)."""
    if not prefix or not prefix.endswith("."):
        raise ValueError(f"prefix must be non-empty and end with '.', got {prefix!r}")
    return RealBackend(kind, url=url, prefix=prefix, seed=seed, management_url=management_url)


__all__ = ["RealBackend", "make_backend", "probe", "Disconnected"]
