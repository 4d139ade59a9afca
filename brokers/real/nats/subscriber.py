"""`Subscriber`: the adapter's record of one core NATS subscription it made on the server
(a playground subscriber, or a push worker's subscription on its deliver subject).
Apart from the adapter so that workers, which open push subscriptions, need not import it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(eq=False)
class Subscriber:
    name: str
    subject: str
    queue: str
    behaviour: str
    processing_time: float
    reply_data: bytes
    order: int
    worker: str | None = None
    received: int = 0
    handle: Any = None  # the nats-py Subscription

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "subject": self.subject,
            "queue": self.queue,
            "behaviour": "worker" if self.worker else self.behaviour,
            "received": self.received,
            "worker": self.worker,
        }
