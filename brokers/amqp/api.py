"""The RabbitMQ operations every backend offers: the simulator and the pika adapter.

Names and arguments follow pika's `BlockingChannel` where the operation is the same.
The playground above never knows which implementation it talks to. Consumers here are
*simulated agents*: given a processing time and a failure rate they ack or nack on
their own (or wait for explicit `basic_ack` calls when `behaviour="manual"`), which is
what a playground needs and what the real adapter reproduces with real pika consumers.
Every method validates first and raises `brokers.errors.BrokerError` subclasses before
changing anything.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal

ExchangeType = Literal["direct", "fanout", "topic", "headers"]
QueueType = Literal["classic", "quorum", "stream"]
Behaviour = Literal["auto", "manual"]


@dataclass(frozen=True)
class Properties:
    """Basic properties of a published message (pika's `BasicProperties` subset)."""

    headers: dict[str, Any] = field(default_factory=dict)
    priority: int | None = None
    expiration: str | None = None  # milliseconds as a string, as in AMQP
    message_id: str | None = None
    correlation_id: str | None = None
    timestamp: int | None = None
    delivery_mode: int | None = None  # 1 transient, 2 persistent
    content_type: str | None = None


@dataclass(frozen=True)
class GetResult:
    """What `basic_get` hands back: pika's (method, properties, body) folded in one."""

    msg: str
    delivery_tag: int
    redelivered: bool
    exchange: str
    routing_key: str
    properties: Properties
    body: bytes
    message_count: int


class AmqpApi(ABC):
    """RabbitMQ operations; one instance is one virtual host of one sandbox."""

    # -- exchanges ---------------------------------------------------------------
    @abstractmethod
    def exchange_declare(
        self,
        exchange: str,
        exchange_type: ExchangeType = "direct",
        durable: bool = True,
        auto_delete: bool = False,
        internal: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> None:
        """Declare an exchange (`alternate-exchange` in arguments); redeclare must match."""

    @abstractmethod
    def exchange_delete(self, exchange: str, if_unused: bool = False) -> None:
        """Delete an exchange and every binding to or from it."""

    @abstractmethod
    def exchange_bind(
        self, destination: str, source: str, routing_key: str = "", arguments: dict | None = None
    ) -> None:
        """Bind exchange `destination` to exchange `source`."""

    @abstractmethod
    def exchange_unbind(
        self, destination: str, source: str, routing_key: str = "", arguments: dict | None = None
    ) -> None:
        """Remove an exchange-to-exchange binding."""

    # -- queues ------------------------------------------------------------------
    @abstractmethod
    def queue_declare(
        self,
        queue: str,
        durable: bool = True,
        exclusive: bool = False,
        auto_delete: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> str:
        """Declare a queue (`x-queue-type`, TTL, length, DLX... in arguments); returns its name."""

    @abstractmethod
    def queue_delete(self, queue: str) -> int:
        """Delete a queue; returns how many messages it held."""

    @abstractmethod
    def queue_purge(self, queue: str) -> int:
        """Drop every ready message; returns how many."""

    @abstractmethod
    def queue_bind(
        self,
        queue: str,
        exchange: str,
        routing_key: str | None = None,
        arguments: dict | None = None,
    ) -> None:
        """Bind a queue to an exchange (routing key defaults to the queue name, as in pika)."""

    @abstractmethod
    def queue_unbind(
        self,
        queue: str,
        exchange: str,
        routing_key: str | None = None,
        arguments: dict | None = None,
    ) -> None:
        """Remove a queue binding."""

    # -- publishing ----------------------------------------------------------------
    @abstractmethod
    def basic_publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes | str,
        properties: Properties | None = None,
        mandatory: bool = False,
        publisher: str = "",
        confirm: bool = True,
    ) -> str:
        """Publish one message; returns its id. Confirms and returns arrive as events.

        `confirm` says the publishing channel is in confirm mode (pika's
        `confirm_delivery()`): only then does a `Confirmed` event follow.
        """

    # -- consumers -----------------------------------------------------------------
    @abstractmethod
    def basic_consume(
        self,
        queue: str,
        consumer_tag: str | None = None,
        auto_ack: bool = False,
        prefetch_count: int = 0,
        processing_time: float = 0.0,
        failure_rate: float = 0.0,
        requeue_on_failure: bool = True,
        behaviour: Behaviour = "auto",
        arguments: dict[str, Any] | None = None,
    ) -> str:
        """Start a simulated consumer on its own channel; returns its consumer tag.

        `arguments` carries `x-stream-offset` for stream queues and `x-priority`.
        With `behaviour="auto"` the consumer processes each delivery for
        `processing_time` seconds, then acks, or with probability `failure_rate` nacks
        (requeue per `requeue_on_failure`). With `"manual"` it holds deliveries until
        `basic_ack`/`basic_nack`/`basic_reject` is called.
        """

    @abstractmethod
    def basic_cancel(self, consumer_tag: str) -> None:
        """Cancel a consumer cleanly (its unacked messages are requeued)."""

    @abstractmethod
    def crash_consumer(self, consumer_tag: str) -> None:
        """Close the consumer's channel abruptly.

        Unacked messages come back redelivered; auto-ack messages in flight are lost.
        """

    @abstractmethod
    def restart_consumer(self, consumer_tag: str) -> None:
        """Start a crashed or cancelled consumer again with the same settings."""

    @abstractmethod
    def basic_ack(self, consumer_tag: str, delivery_tag: int, multiple: bool = False) -> None:
        """Acknowledge on the consumer's channel."""

    @abstractmethod
    def basic_nack(
        self, consumer_tag: str, delivery_tag: int, multiple: bool = False, requeue: bool = True
    ) -> None:
        """Negatively acknowledge on the consumer's channel."""

    @abstractmethod
    def basic_reject(self, consumer_tag: str, delivery_tag: int, requeue: bool = True) -> None:
        """Reject one delivery on the consumer's channel."""

    @abstractmethod
    def basic_get(
        self, queue: str, auto_ack: bool = False, getter: str = "get"
    ) -> GetResult | None:
        """Pull one message (AMQP basic.get); None when the queue is empty."""

    # -- state ---------------------------------------------------------------------
    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Everything the live view draws, as plain data:

        {"exchanges": [{"name", "type", "internal", "durable", "auto_delete", "arguments"}],
         "queues": [{"name", "type", "ready", "unacked", "consumers", "arguments",
                     "exclusive", "auto_delete", "bytes"}],
         "bindings": [{"source", "destination", "destination_type", "routing_key", "arguments"}],
         "consumers": [{"tag", "queue", "state", "prefetch", "auto_ack", "unacked",
                        "delivered", "acked", "nacked", "processing_time", "failure_rate"}]}
        """
