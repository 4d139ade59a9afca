"""The NATS events: what core NATS and JetStream did to subjects, streams and consumers.

Every event about a message carries `msg`, the engine's id ("n1", "n2", ... in publish
order), so the inspector follows it from publish through match or drop, store, delivery,
ack and removal. JetStream events also carry the stream sequence (`stream_seq`) and, for
deliveries and acks, the consumer sequence (`consumer_seq`), as nats-py's message
metadata shows them. `reason` says why in a learner's words: which pattern matched, which
queue member was picked, which limit removed a message. `cause` on `JsRemoved` is a short
word for the UI (limits, max_age, per_subject, ack, interest, no_interest, purge,
consumer_deleted, stream_deleted). Kinds are prefixed (`nats_`, `js_`) where the AMQP
and Kafka vocabularies already use the plain word. Leaves out connection, slow-consumer
and cluster events.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from brokers.events import Event, _plain

_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True, kw_only=True)
class NatsEvent(Event):
    """Base of the NATS events (no kind of its own)."""

    broker = "nats"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with `kind` and `broker` added (field names cached per class;
        scalars copied as they are, only tuples, dicts and records converted)."""
        cls = type(self)
        names = cls.__dict__.get("_field_names")
        if names is None:  # static metadata of the class, computed once
            names = tuple(f.name for f in dataclasses.fields(self))
            cls._field_names = names  # type: ignore[attr-defined]
        data = {}
        values = self.__dict__
        for name in names:
            value = values[name]
            data[name] = value if type(value) in _SCALARS else _plain(value)
        data["kind"] = self.kind
        data["broker"] = "nats"
        return data


@dataclass(frozen=True)
class SubjectMatch:
    """One subscription whose pattern matched a published subject, and why in words."""

    sub: str
    pattern: str
    queue: str
    reason: str


# -- core NATS -----------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Subscribed(NatsEvent):
    kind = "nats_subscribed"
    sub: str
    subject: str
    queue: str = ""
    behaviour: str = "auto"
    worker: str | None = None


@dataclass(frozen=True, kw_only=True)
class Unsubscribed(NatsEvent):
    kind = "nats_unsubscribed"
    sub: str
    subject: str
    reason: str = "unsubscribe"


@dataclass(frozen=True, kw_only=True)
class NatsPublished(NatsEvent):
    kind = "nats_published"
    msg: str
    subject: str
    size: int
    publisher: str = ""
    jetstream: bool = False  # js_publish (expects a PubAck)
    request: bool = False  # has a reply inbox


@dataclass(frozen=True, kw_only=True)
class NatsRouted(NatsEvent):
    """Which subscriptions' patterns matched; one member per queue group is then picked."""

    kind = "nats_routed"
    msg: str
    subject: str
    matches: tuple[SubjectMatch, ...]


@dataclass(frozen=True, kw_only=True)
class NatsDelivered(NatsEvent):
    kind = "nats_delivered"
    msg: str
    sub: str
    subject: str
    queue: str = ""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class NatsDropped(NatsEvent):
    """Nobody was listening: core NATS is at-most-once, the message is gone."""

    kind = "nats_dropped"
    msg: str
    subject: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Replied(NatsEvent):
    kind = "nats_replied"
    msg: str  # the request
    reply_msg: str
    sub: str


@dataclass(frozen=True, kw_only=True)
class ReplyReceived(NatsEvent):
    kind = "nats_reply_received"
    msg: str  # the request
    reply_msg: str
    sub: str
    elapsed: float


@dataclass(frozen=True, kw_only=True)
class NoResponders(NatsEvent):
    kind = "nats_no_responders"
    msg: str
    subject: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class RequestTimedOut(NatsEvent):
    kind = "nats_request_timed_out"
    msg: str
    subject: str
    timeout: float
    reason: str


# -- streams -------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class StreamCreated(NatsEvent):
    kind = "stream_created"
    stream: str
    config: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class StreamUpdated(NatsEvent):
    kind = "stream_updated"
    stream: str
    config: dict[str, Any]
    changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class StreamDeleted(NatsEvent):
    kind = "stream_deleted"
    stream: str
    messages: int


@dataclass(frozen=True, kw_only=True)
class StreamPurged(NatsEvent):
    kind = "stream_purged"
    stream: str
    messages: int
    subject: str | None = None


@dataclass(frozen=True, kw_only=True)
class JsStored(NatsEvent):
    kind = "js_stored"
    msg: str
    stream: str
    stream_seq: int
    subject: str
    size: int
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class JsPubAcked(NatsEvent):
    kind = "js_pub_acked"
    msg: str
    stream: str
    stream_seq: int
    duplicate: bool = False


@dataclass(frozen=True, kw_only=True)
class JsDuplicate(NatsEvent):
    kind = "js_duplicate"
    msg: str
    stream: str
    stream_seq: int  # the sequence of the message first stored with this id
    msg_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class JsRefused(NatsEvent):
    """A JetStream publish the server answered with an error instead of a PubAck."""

    kind = "js_refused"
    msg: str
    stream: str | None
    code: int
    err_code: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class JsRemoved(NatsEvent):
    kind = "js_removed"
    msg: str
    stream: str
    stream_seq: int
    cause: str
    reason: str


# -- consumers and workers ------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class ConsumerCreated(NatsEvent):
    kind = "consumer_created"
    stream: str
    consumer: str
    config: dict[str, Any]
    durable: bool
    push: bool


@dataclass(frozen=True, kw_only=True)
class ConsumerDeleted(NatsEvent):
    kind = "consumer_deleted"
    stream: str
    consumer: str
    reason: str = "deleted"


@dataclass(frozen=True, kw_only=True)
class WorkerStarted(NatsEvent):
    kind = "js_worker_started"
    worker: str
    stream: str
    consumer: str
    push: bool
    behaviour: str


@dataclass(frozen=True, kw_only=True)
class WorkerStopped(NatsEvent):
    kind = "js_worker_stopped"
    worker: str
    stream: str
    consumer: str
    holding: tuple[str, ...] = ()  # msg ids it had not acked
    reason: str = "stopped"


@dataclass(frozen=True, kw_only=True)
class PullRequested(NatsEvent):
    kind = "js_pull_requested"
    stream: str
    consumer: str
    worker: str
    batch: int


@dataclass(frozen=True, kw_only=True)
class JsDelivered(NatsEvent):
    kind = "js_delivered"
    msg: str
    stream: str
    consumer: str
    worker: str
    subject: str
    stream_seq: int
    consumer_seq: int
    num_delivered: int
    reason: str = ""

    @property
    def redelivered(self) -> bool:
        return self.num_delivered > 1


@dataclass(frozen=True, kw_only=True)
class _Settled(NatsEvent):
    msg: str
    stream: str
    consumer: str
    worker: str
    stream_seq: int
    consumer_seq: int
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class JsAcked(_Settled):
    kind = "js_acked"
    #: with ack policy all, the stream sequences this one ack settled (it included)
    covers: tuple[int, ...] = field(default=())


@dataclass(frozen=True, kw_only=True)
class JsNaked(_Settled):
    kind = "js_naked"
    delay: float = 0.0


@dataclass(frozen=True, kw_only=True)
class JsTermed(_Settled):
    kind = "js_termed"


@dataclass(frozen=True, kw_only=True)
class JsInProgress(_Settled):
    kind = "js_in_progress"


@dataclass(frozen=True, kw_only=True)
class JsNotAcked(_Settled):
    """A worker failed and sent nothing: only ack_wait will bring the message back."""

    kind = "js_not_acked"


@dataclass(frozen=True, kw_only=True)
class JsRedeliveryDue(NatsEvent):
    kind = "js_redelivery_due"
    msg: str
    stream: str
    consumer: str
    stream_seq: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class JsMaxDeliveries(NatsEvent):
    """The consumer gave up on a message (the server's MAX_DELIVERIES advisory)."""

    kind = "js_max_deliveries"
    msg: str
    stream: str
    consumer: str
    stream_seq: int
    deliveries: int
    reason: str
