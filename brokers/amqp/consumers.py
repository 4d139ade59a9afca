"""Simulated consumers and their channels: prefetch credit, unacked deliveries, behaviour.

Each consumer stands for one client with its own channel (and connection): delivery tags
count from 1 per channel, and a crash closes that channel. `behaviour="auto"` processes
deliveries one after another, each for `processing_time` virtual seconds, then acks or
(with probability `failure_rate`, drawn from the injected RNG) nacks; `"manual"` holds
deliveries until the caller acks. `basic_get` callers get a plain channel with no
consumer. Leaves out global QoS, channel flow and consumer timeouts.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from brokers.amqp.queues import Entry


class Delivery:
    """A message handed to a channel and not yet settled."""

    __slots__ = ("tag", "entry", "queue")

    def __init__(self, tag: int, entry: Entry, queue: str) -> None:
        self.tag = tag
        self.entry = entry
        self.queue = queue


class Channel:
    """A channel: delivery tags and the deliveries waiting for an ack."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.next_tag = 1
        self.unacked: dict[int, Delivery] = {}

    def open(self, entry: Entry, queue: str) -> Delivery:
        """Record a delivery under the next delivery tag."""
        delivery = Delivery(self.next_tag, entry, queue)
        self.next_tag += 1
        self.unacked[delivery.tag] = delivery
        return delivery

    def settle(self, tag: int, multiple: bool) -> list[Delivery]:
        """Remove and return the deliveries an ack/nack with this tag covers."""
        if not multiple:
            return [self.unacked.pop(tag)]
        covered = [t for t in self.unacked if tag == 0 or t <= tag]
        return [self.unacked.pop(t) for t in covered]


class Consumer:
    """A simulated consumer on one queue."""

    def __init__(
        self,
        tag: str,
        queue: str,
        *,
        auto_ack: bool,
        prefetch: int,
        processing_time: float,
        failure_rate: float,
        requeue_on_failure: bool,
        behaviour: str,
        arguments: dict[str, Any],
    ) -> None:
        self.tag = tag
        self.queue = queue
        self.auto_ack = auto_ack
        self.prefetch = prefetch
        self.processing_time = processing_time
        self.failure_rate = failure_rate
        self.requeue_on_failure = requeue_on_failure
        self.behaviour = behaviour
        self.arguments = dict(arguments)
        self.priority: int = arguments.get("x-priority", 0)
        self.offset_spec: Any = arguments.get("x-stream-offset", "next")
        self.state = "active"  # active, waiting (single active consumer), cancelled, crashed
        self.channel = Channel(tag)
        self.busy_until = 0.0
        self.in_flight: dict[int, Delivery] = {}  # auto-ack deliveries still being processed
        self.work: deque[tuple[float, Delivery]] = deque()  # (done at, delivery), in order
        self.timer: Any = None  # finishes work[0]
        self.stream_next = 0
        #: nacked/rejected deliveries on their way back to a classic queue: they hold
        #: prefetch credit until the queue takes them back (`Deliveries._apply_returns`)
        self.returning = 0
        #: out of the queue's rotation: a delivery found it without credit (classic) or its
        #: credit ran out (quorum); it rejoins at the back when credit returns
        self.blocked = False
        self.delivered = 0
        self.acked = 0
        self.nacked = 0
        self._credit_texts: dict[int, str] = {}  # credit left -> credit_text()

    def has_credit(self) -> bool:
        """Whether prefetch allows one more delivery (auto-ack consumers ignore prefetch)."""
        return (
            self.auto_ack
            or self.prefetch == 0
            or len(self.channel.unacked) + self.returning < self.prefetch
        )

    def credit_text(self) -> str:
        """The credit part of a delivery reason: "prefetch credit 7/10" or no limit."""
        if self.auto_ack or self.prefetch == 0:
            return "no prefetch limit"
        left = self.prefetch - len(self.channel.unacked) - self.returning
        text = self._credit_texts.get(left)
        if text is None:  # a handful of values per consumer, formatted once each
            text = self._credit_texts[left] = f"prefetch credit {left}/{self.prefetch}"
        return text

    def describe(self) -> dict[str, Any]:
        """Plain data for the live view."""
        return {
            "tag": self.tag,
            "queue": self.queue,
            "state": self.state,
            "prefetch": self.prefetch,
            "auto_ack": self.auto_ack,
            "unacked": len(self.channel.unacked),
            "delivered": self.delivered,
            "acked": self.acked,
            "nacked": self.nacked,
            "processing_time": self.processing_time,
            "failure_rate": self.failure_rate,
            "behaviour": self.behaviour,
            "priority": self.priority,
        }
