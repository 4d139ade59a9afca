"""The NATS simulator: one nats-server account with JetStream on the shared virtual clock.

`NatsServer` implements `NatsApi` from two halves: `core` (subscriptions, queue groups,
publish, request/reply) and `jetstream` (streams, consumers, workers, delivery and
retention), with the storage in `stream` and the consumer state machine in `consumer`.
It reads time only from the injected `Clock` and randomness only from the injected
`random.Random` (queue-group picks, worker failures), and reports everything it does as
events from `brokers.nats.events` through `emit`. Message ids are "n1", "n2", ... in
publish order (replies get their own). Leaves out accounts, users and permissions,
clustering and leaf nodes, the JetStream API subjects themselves ($JS.API.>), key-value
and object stores, and everything `core` and `jetstream` leave out.
"""

from __future__ import annotations

import random
from typing import Any

from brokers.clock import Clock
from brokers.events import Emit
from brokers.nats.api import NatsApi
from brokers.nats.core import CoreNats, PendingRequest, Subscription
from brokers.nats.jetstream import JetStream
from brokers.nats.stream import Stream
from brokers.nats.subjects import SubjectTrie
from brokers.nats.workers import Worker


class NatsServer(CoreNats, JetStream, NatsApi):
    """A deterministic model of one NATS server with JetStream enabled."""

    def __init__(self, clock: Clock, rng: random.Random, emit: Emit) -> None:
        self.clock = clock
        self.rng = rng
        self.emit = emit
        self.interest: SubjectTrie[Subscription] = SubjectTrie()
        self.subscriptions: dict[str, Subscription] = {}
        self.requests: dict[str, PendingRequest] = {}
        self.streams: dict[str, Stream] = {}
        self.workers: dict[str, Worker] = {}
        self._msg_seq = 0
        self._sub_order = 0
        self._sub_names = 0
        self._eph_seq = 0
        self._worker_seq = 0
        #: publish subjects already found valid (a publish checks each subject once)
        self.valid_subjects: set[str] = set()

    def describe(self) -> dict[str, Any]:
        consumers = []
        for s in self.streams.values():
            for c in s.consumers.values():
                consumers.append(
                    {
                        **c.info(),
                        "kind": "push" if c.config.push else "pull",
                        "durable": c.config.durable,
                        "workers": sorted(c.workers),
                    }
                )
        return {
            "subscriptions": [s.describe() for s in self.subscriptions.values()],
            "streams": [s.describe() for s in self.streams.values()],
            "consumers": consumers,
            "workers": [w.describe() for w in self.workers.values()],
        }
