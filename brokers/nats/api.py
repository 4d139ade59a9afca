"""The NATS operations every backend offers: the simulator and the nats-py adapter.

Core NATS: `subscribe` (optionally in a queue group), `publish`, `request`. JetStream:
streams and consumers configured with nats-py's `StreamConfig`/`ConsumerConfig` field
names (`retention`, `discard`, `max_msgs`, `max_bytes`, `max_age` and `duplicate_window`
in seconds, `durable_name`, `deliver_subject`, `deliver_group`, `deliver_policy`,
`opt_start_seq`, `opt_start_time`, `ack_policy`, `ack_wait`, `max_deliver`,
`max_ack_pending`, `filter_subject`), `js_publish` with an optional `Nats-Msg-Id`, and
`stream_info`/`consumer_info` with the numbers `nats stream info` and `nats consumer
info` show. Subscribers and workers are *simulated agents*, as AMQP consumers are: a
worker bound to a consumer processes each message for `processing_time` seconds, then
acks, or with probability `failure_rate` does what `on_failure` says (nak, term, or
nothing so that ack_wait brings it back); `behaviour="manual"` holds deliveries until
`ack`/`nak`/`term`/`in_progress` is called with the delivery's consumer sequence.
Every method validates first and raises `brokers.errors.BrokerError` subclasses before
changing anything. Names are the user's: the real adapter adds the sandbox prefix.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal

Retention = Literal["limits", "interest", "workqueue"]
Discard = Literal["old", "new"]
DeliverPolicy = Literal[
    "all", "last", "new", "by_start_sequence", "by_start_time", "last_per_subject"
]
AckPolicy = Literal["none", "all", "explicit"]
SubscriberBehaviour = Literal["auto", "reply"]
WorkerBehaviour = Literal["auto", "manual"]
OnFailure = Literal["nak", "term", "ignore"]

RETENTIONS = ("limits", "interest", "workqueue")
DISCARDS = ("old", "new")
DELIVER_POLICIES = ("all", "last", "new", "by_start_sequence", "by_start_time", "last_per_subject")
ACK_POLICIES = ("none", "all", "explicit")
ON_FAILURE = ("nak", "term", "ignore")
MSG_ID_HEADER = "Nats-Msg-Id"


@dataclass(frozen=True)
class JsMessage:
    """One JetStream delivery as a worker sees it (nats-py's `Msg` with its `metadata`)."""

    msg: str
    stream: str
    consumer: str
    subject: str
    data: bytes
    headers: dict[str, str] = field(default_factory=dict)
    stream_seq: int = 0
    consumer_seq: int = 0
    num_delivered: int = 1
    num_pending: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "msg": self.msg,
            "stream": self.stream,
            "consumer": self.consumer,
            "subject": self.subject,
            "data": self.data.decode("utf-8", "replace"),
            "headers": dict(self.headers),
            "stream_seq": self.stream_seq,
            "consumer_seq": self.consumer_seq,
            "num_delivered": self.num_delivered,
            "num_pending": self.num_pending,
        }


class NatsApi(ABC):
    """NATS and JetStream operations; one instance is one account of one sandbox."""

    # -- core NATS -------------------------------------------------------------------
    @abstractmethod
    def subscribe(
        self,
        subject: str,
        queue: str = "",
        name: str | None = None,
        behaviour: SubscriberBehaviour = "auto",
        processing_time: float = 0.0,
        reply_data: bytes | str = b"ok",
    ) -> str:
        """Subscribe a simulated subscriber to `subject` (wildcards allowed), in queue group
        `queue` when given; returns its name. `behaviour="reply"` answers requests with
        `reply_data` after `processing_time` seconds."""

    @abstractmethod
    def unsubscribe(self, name: str) -> None:
        """Remove a subscriber (a worker's subscription too: its worker stops)."""

    @abstractmethod
    def publish(
        self,
        subject: str,
        data: bytes | str = b"",
        headers: dict[str, str] | None = None,
        publisher: str = "",
    ) -> str:
        """Core publish, fire and forget; returns the message id. A stream whose subjects
        match stores it too (without a PubAck)."""

    @abstractmethod
    def request(
        self,
        subject: str,
        data: bytes | str = b"",
        timeout: float = 1.0,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Publish with a reply inbox; the first reply, no responders or the timeout
        arrive as events. Returns the request's message id."""

    # -- streams ---------------------------------------------------------------------
    @abstractmethod
    def add_stream(
        self,
        name: str,
        subjects: list[str] | None = None,
        retention: Retention = "limits",
        discard: Discard = "old",
        max_msgs: int = -1,
        max_bytes: int = -1,
        max_age: float = 0.0,
        max_msgs_per_subject: int = -1,
        max_msg_size: int = -1,
        duplicate_window: float = 0.0,
    ) -> dict[str, Any]:
        """Create a stream (subjects default to its name); returns its info. Adding the
        same config again is a no-op, a different one is refused, as nats-server does."""

    @abstractmethod
    def update_stream(self, name: str, **config: Any) -> dict[str, Any]:
        """Change a stream's subjects or limits (not its retention); returns its info."""

    @abstractmethod
    def delete_stream(self, name: str) -> None:
        """Delete a stream, its messages and its consumers."""

    @abstractmethod
    def purge_stream(self, name: str, subject: str | None = None) -> int:
        """Remove every message (or those on `subject`); returns how many."""

    @abstractmethod
    def stream_info(self, name: str) -> dict[str, Any]:
        """{"config": {...}, "state": {"messages", "bytes", "first_seq", "last_seq",
        "num_subjects", "consumer_count"}} as the JetStream API reports it."""

    @abstractmethod
    def js_publish(
        self,
        subject: str,
        data: bytes | str = b"",
        msg_id: str | None = None,
        headers: dict[str, str] | None = None,
        publisher: str = "",
    ) -> str:
        """JetStream publish: the PubAck (stream, seq, duplicate) or the refusal arrives
        as an event. `msg_id` goes in the Nats-Msg-Id header for the duplicate window."""

    # -- consumers -------------------------------------------------------------------
    @abstractmethod
    def add_consumer(
        self,
        stream: str,
        durable_name: str | None = None,
        name: str | None = None,
        deliver_subject: str | None = None,
        deliver_group: str | None = None,
        deliver_policy: DeliverPolicy = "all",
        opt_start_seq: int | None = None,
        opt_start_time: float | None = None,
        ack_policy: AckPolicy = "explicit",
        ack_wait: float = 30.0,
        max_deliver: int = -1,
        max_ack_pending: int = 1000,
        filter_subject: str | None = None,
        inactive_threshold: float = 5.0,
    ) -> str:
        """Create a consumer: durable when `durable_name` is given, else ephemeral (named
        `name`, or one is made up) and deleted after `inactive_threshold` seconds without
        a worker. Push when `deliver_subject` is given, pull otherwise. `opt_start_time`
        is in the backend's clock (seconds). Returns the consumer's name."""

    @abstractmethod
    def delete_consumer(self, stream: str, consumer: str) -> None:
        """Delete a consumer; its workers stop."""

    @abstractmethod
    def consumer_info(self, stream: str, consumer: str) -> dict[str, Any]:
        """{"name", "stream_name", "config", "delivered": {"consumer_seq", "stream_seq"},
        "ack_floor": {...}, "num_ack_pending", "num_redelivered", "num_waiting",
        "num_pending"} as `nats consumer info` shows them."""

    @abstractmethod
    def consume(
        self,
        stream: str,
        consumer: str,
        worker: str | None = None,
        behaviour: WorkerBehaviour = "auto",
        processing_time: float = 0.0,
        failure_rate: float = 0.0,
        on_failure: OnFailure = "nak",
        nak_delay: float = 0.0,
        batch: int = 1,
    ) -> str:
        """Start a simulated worker on a consumer; returns its name. On a push consumer it
        subscribes to the deliver subject (in the deliver group); on a pull consumer it
        fetches `batch` messages at a time, processes them, and fetches again."""

    @abstractmethod
    def stop_worker(self, worker: str) -> None:
        """Stop a worker abruptly: what it holds unacked comes back after ack_wait."""

    @abstractmethod
    def fetch(
        self, stream: str, consumer: str, batch: int = 1, worker: str = "fetch"
    ) -> list[JsMessage]:
        """Pull up to `batch` messages now from a pull consumer (empty when none wait)."""

    @abstractmethod
    def ack(self, stream: str, consumer: str, consumer_seq: int) -> None:
        """Acknowledge a delivery (with ack policy all: it and every earlier one)."""

    @abstractmethod
    def nak(self, stream: str, consumer: str, consumer_seq: int, delay: float = 0.0) -> None:
        """Negative ack: redeliver now, or after `delay` seconds."""

    @abstractmethod
    def term(self, stream: str, consumer: str, consumer_seq: int) -> None:
        """Stop redelivering this message to this consumer."""

    @abstractmethod
    def in_progress(self, stream: str, consumer: str, consumer_seq: int) -> None:
        """Still working on it: the ack_wait clock starts again."""

    # -- state -----------------------------------------------------------------------
    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Everything the live view draws, as plain data:

        {"subscriptions": [{"name", "subject", "queue", "behaviour", "received",
                            "worker"}],
         "streams": [{"name", "config", "state", "messages": [{"seq", "subject", "msg",
                      "size"}, ...]}],
         "consumers": [consumer_info(...) + {"kind": "push"|"pull", "durable", "workers"}],
         "workers": [{"name", "stream", "consumer", "kind", "behaviour", "state",
                      "holding", "processed", "acked", "naked", "termed"}]}
        """
