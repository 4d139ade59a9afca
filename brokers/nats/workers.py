"""Simulated JetStream workers: the application code behind a consumer.

A worker handles its deliveries one at a time, as a nats-py subscription callback or a
`fetch()` loop does: `processing_time` seconds each, then an ack — or, with probability
`failure_rate` (drawn from the injected RNG), what `on_failure` says: `nak` (after
`nak_delay`), `term`, or `ignore` (send nothing, so only ack_wait brings it back). A
`manual` worker holds its deliveries until the API acks them. A `PushWorker` is a
subscription on the consumer's deliver subject (in its deliver group); a `PullWorker`
keeps one pull request of `batch` messages open and asks again once it has finished
what that request brought. Stopping a worker is abrupt: JetStream has no channel to
close, so what it held stays pending until ack_wait. A worker takes at least
`MIN_PROCESSING` (a millisecond, about a client's round trip) per message, so one that
naks everything at once cannot spin forever inside a single virtual instant. Leaves out
heartbeats and the ordered consumer.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any, Protocol

from brokers.clock import Clock, Timer
from brokers.nats.consumer import Consumer, Delivery, PullRequest


class WorkerHost(Protocol):
    """What a worker uses of its server (`NatsServer` satisfies it): the clock, the RNG
    for failures, and the server's settle and pull."""

    clock: Clock
    rng: random.Random

    def settle(self, d: Delivery, kind: str, by: str, delay: float = 0.0) -> None: ...

    def pull(self, c: Consumer, request: PullRequest) -> None: ...


MIN_PROCESSING = 0.001


class Worker:
    """What push and pull workers share: the processing loop and the counters."""

    push = False

    def __init__(
        self, server: WorkerHost, name: str, consumer: Consumer, settings: dict[str, Any]
    ) -> None:
        self.server = server
        self.name = name
        self.consumer = consumer
        self.behaviour: str = settings["behaviour"]
        self.processing_time: float = settings["processing_time"]
        self.failure_rate: float = settings["failure_rate"]
        self.on_failure: str = settings["on_failure"]
        self.nak_delay: float = settings["nak_delay"]
        self.batch: int = settings["batch"]
        self.state = "running"
        self.queue: deque[Delivery] = deque()
        self.held: dict[int, Delivery] = {}  # consumer seq -> delivery not settled yet
        self.busy: Timer | None = None
        self.received = self.processed = self.acked = self.naked = self.termed = 0

    @property
    def manual(self) -> bool:
        return self.behaviour == "manual"

    def receive(self, delivery: Delivery) -> None:
        self.received += 1
        self.held[delivery.consumer_seq] = delivery
        if not self.manual:
            self.queue.append(delivery)
            if self.busy is None:
                self._next()

    def _next(self) -> None:
        if self.queue and self.state == "running":
            d = self.queue.popleft()
            took = max(self.processing_time, MIN_PROCESSING)
            self.busy = self.server.clock.schedule(took, self._done, d)
        else:
            self.idle()

    def _done(self, d: Delivery) -> None:
        self.busy = None
        self.processed += 1
        fail = self.failure_rate > 0 and self.server.rng.random() < self.failure_rate
        if not fail:
            self.server.settle(d, "ack", self.name)
        elif self.on_failure == "nak":
            self.server.settle(d, "nak", self.name, delay=self.nak_delay)
        elif self.on_failure == "term":
            self.server.settle(d, "term", self.name)
        else:
            self.server.settle(d, "ignore", self.name)
        self._next()

    def settled(self, consumer_seq: int) -> None:
        """A delivery this worker held was acked, nacked or termed (by it or the API)."""
        self.held.pop(consumer_seq, None)
        if self.manual and not self.held:
            self.idle()

    def idle(self) -> None:
        """Nothing left to process (pull workers ask for more)."""

    def stop(self) -> list[str]:
        """Stop now; returns the ids of the messages it held unsettled."""
        self.state = "stopped"
        if self.busy is not None:
            self.busy.cancel()
            self.busy = None
        self.queue.clear()
        holding = [d.stored.msg for d in self.held.values()]
        self.held.clear()
        return holding

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "stream": self.consumer.stream.name,
            "consumer": self.consumer.name,
            "kind": "push" if self.push else "pull",
            "behaviour": self.behaviour,
            "state": self.state,
            "holding": sorted(self.held),
            "received": self.received,
            "processed": self.processed,
            "acked": self.acked,
            "naked": self.naked,
            "termed": self.termed,
            "processing_time": self.processing_time,
            "failure_rate": self.failure_rate,
            "on_failure": self.on_failure,
            "batch": self.batch,
        }


class PushWorker(Worker):
    """A subscription on the push consumer's deliver subject."""

    push = True


class PullWorker(Worker):
    """A fetch loop: one pull request of `batch` open at a time."""

    def __init__(
        self, server: WorkerHost, name: str, consumer: Consumer, settings: dict[str, Any]
    ) -> None:
        super().__init__(server, name, consumer, settings)
        self.request: PullRequest | None = None

    def start(self) -> None:
        self._pull()

    def _pull(self) -> None:
        if self.state != "running":
            return
        self.request = PullRequest(self, self.batch)
        self.server.pull(self.consumer, self.request)

    def idle(self) -> None:
        request = self.request
        if self.state == "running" and (request is None or request.remaining == 0):
            if not self.held or not self.manual:
                self._pull()

    def stop(self) -> list[str]:
        holding = super().stop()
        if self.request is not None and self.request in self.consumer.waiting:
            self.consumer.waiting.remove(self.request)
        self.request = None
        return holding
