"""The RabbitMQ operations of `AmqpApi` on a real broker, through pika.

This module holds the connection, names and ids, polled queue depths, `describe()` and
shutdown (`close()` disconnects and leaves queues and messages on the broker, `destroy()`
deletes everything with the sandbox prefix); the operations live by job in
`topology` (exchanges, queues, bindings), `messages` (publish, consume,
ack, get) and `settle` (what a nack or a closed channel leads to). A control
connection (its own thread, see `PikaLoop`) declares and deletes topology, publishes
with publisher confirms and `mandatory`, and answers `basic.get`; each consumer is a real
pika consumer with its own thread and connection (`brokers.real.rabbitmq.consumer`).
Every queue and exchange is named with the sandbox prefix on the broker; events and
`describe()` use the user's names. Each published message carries its engine-style id
in the `x-bp-msg` header so deliveries link back.

What the broker does not report to a client is said from what the client saw: requeues
and dead-lettering follow from the ack/nack the consumer sent and the queue's
arguments (x-dead-letter-exchange, x-delivery-limit), and queue depths are polled. Leaves
out routing events (the broker does not tell a publisher which queues matched; the
firehose tracer would, at a cost) and TTL/max-length expiry events (only the depth shows).
"""

from __future__ import annotations

import collections
import threading
import time
import urllib.parse
from typing import Any

import pika
import pika.exceptions as pe

from brokers.amqp.api import AmqpApi
from brokers.errors import Disconnected, NotFound
from brokers.real.common import EventSink, Names
from brokers.real.rabbitmq.connection import PikaLoop, broker_error, explain
from brokers.real.rabbitmq.consumer import Consumer, Delivery
from brokers.real.rabbitmq.management import management_get
from brokers.real.rabbitmq.messages import MSG_HEADER, MessageOps
from brokers.real.rabbitmq.publish_window import PublishWindow
from brokers.real.rabbitmq.settle import SettleOps
from brokers.real.rabbitmq.topology import TopologyOps

DEPTH_INTERVAL = 0.25  # seconds between queue depth polls
MAX_IN_FLIGHT = 1000  # publishes queued for the control thread before basic_publish waits
RESUME_AT = 500  # a waiting basic_publish goes on once this few are left unconfirmed


class RabbitMQAdapter(TopologyOps, MessageOps, SettleOps, AmqpApi):
    """One sandbox's view of a real RabbitMQ virtual host."""

    def __init__(
        self,
        url: str,
        prefix: str,
        seed: int,
        sink: EventSink,
        management_url: str = "http://guest:guest@127.0.0.1:15672",
    ) -> None:
        self.url = url
        self.vhost = pika.URLParameters(url).virtual_host
        self.names = Names(prefix)
        self.seed = seed
        self.sink = sink
        self.management_url = management_url
        self.exchanges: dict[str, dict[str, Any]] = {}
        self.queues: dict[str, dict[str, Any]] = {}
        self.bindings: list[dict[str, Any]] = []
        self.consumers: dict[str, Consumer] = {}
        self.gets: dict[int, tuple[str, Delivery]] = {}
        self.depths: dict[str, tuple[int, int]] = {}
        self.control: PikaLoop | None = None
        self.channel: Any = None
        self.plain_channel: Any = None
        self._seq = 0
        self._ctag = 0
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._window = PublishWindow(MAX_IN_FLIGHT, RESUME_AT)
        self._outbox: collections.deque[tuple] = collections.deque()  # for the control thread
        self._outbox_posted = False  # a `_publish_outbox` is queued on the control thread
        self._last_depth_poll = 0.0

    # -- connection ------------------------------------------------------------------
    def connect(self) -> None:
        """Open the control connection (raises `Disconnected` with the reason)."""
        loop = PikaLoop(self.url, f"{self.names.prefix}control", setup=self._open_channel)
        try:
            loop.start_and_wait()
        except (pe.AMQPError, OSError) as exc:
            raise Disconnected(explain(exc, self.url)) from None
        self._drop_outbox()  # publishes the old loop never took
        self._window = PublishWindow(MAX_IN_FLIGHT, RESUME_AT)  # posts to a dead loop are gone
        self._outbox_posted = False
        self.control = loop

    def _open_channel(self, connection: Any) -> None:
        channel = connection.channel()
        channel.confirm_delivery()
        self.channel = channel
        # publishes with confirm=False: a channel not in confirm mode, nothing waited for
        plain = connection.channel()
        plain.add_on_return_callback(self._on_plain_return)
        self.plain_channel = plain

    @property
    def connected(self) -> bool:
        """Whether the control connection is up."""
        return self.control is not None and self.control.alive

    def _lost(self) -> str:
        """Why the control connection is down, or "" while it is up."""
        return "" if self.connected else self.lost_reason

    @property
    def lost_reason(self) -> str:
        """Why the control connection is down, in words."""
        if self.control is None:
            return "not connected"
        return self.control.lost or "connection closed"

    def _do(self, fn: Any) -> Any:
        """Run `fn(channel)` on the control thread; map channel errors to BrokerErrors."""
        if not self.connected:
            raise Disconnected(
                f"RabbitMQ is disconnected ({self.lost_reason}); retrying in the background"
            )
        control = self.control
        try:
            return control.submit(lambda: fn(self.channel))
        except pe.ChannelClosed as exc:
            self._gets_returned()
            try:
                control.submit(lambda: self._open_channel(control.connection))
            except Exception:  # noqa: BLE001 - the connection is going; poll() reconnects
                pass
            raise broker_error(exc, self.names.scrub) from None

    def _gets_returned(self) -> None:
        """The broker closed the control channel: it took back every basic.get delivery
        still unacked on it (and the next channel counts delivery tags from 1)."""
        held, self.gets = self.gets, {}
        for tag in sorted(held):
            _, d = held[tag]
            self.settle_return(d, d.queue, "channel closed by an error")

    def redeclare(self) -> None:
        """Declare again everything this sandbox had (after the broker came back)."""
        for x in self.exchanges.values():
            self._declare_exchange(x)
        for q in self.queues.values():
            self._declare_queue(q)
        for b in self.bindings:
            self._bind(b, unbind=False)
        for consumer in self.consumers.values():
            if consumer.state in ("active", "disconnected"):
                consumer.start()

    def poll(self) -> None:
        """Refresh queue depths (rate-limited); never raises."""
        now = time.monotonic()
        if not self.connected or now - self._last_depth_poll < DEPTH_INTERVAL:
            return
        self._last_depth_poll = now
        names = list(self.queues)
        try:
            self.depths.update(self._do(lambda ch: _passive_depths(ch, self.names, names)))
        except Exception:  # noqa: BLE001 - a queue deleted under us, or the broker went away
            pass

    # -- names and ids ---------------------------------------------------------------
    def msg_id(self, headers: dict[str, Any], method: Any) -> str:
        """The engine-style id a delivery carries (or one made up for foreign messages)."""
        msg = headers.get(MSG_HEADER)
        if isinstance(msg, bytes):
            msg = msg.decode()
        return msg if isinstance(msg, str) else f"ext-{method.delivery_tag}"

    def count_delivery(self, msg: str, queue: str, headers: dict[str, Any]) -> int:
        """How many times this message went back to `queue` before this delivery.

        Quorum queues say it themselves (`x-delivery-count`); for the others it is how
        many deliveries of it from this queue this sandbox saw before.
        """
        with self._lock:
            n = self._counts.get((msg, queue), 0)
            self._counts[(msg, queue)] = n + 1
        broker_count = headers.get("x-delivery-count")
        return int(broker_count) if isinstance(broker_count, int) else n

    def _exchange(self, name: str) -> str:
        return self.names.real(name)

    def _known_exchange(self, name: str) -> None:
        if name == "" or name.startswith("amq.") or name in self.exchanges:
            return
        raise NotFound(f"NOT_FOUND - no exchange '{name}' in vhost '{self.vhost}'")

    def _known_queue(self, name: str) -> dict[str, Any]:
        if name not in self.queues:
            raise NotFound(f"NOT_FOUND - no queue '{name}' in vhost '{self.vhost}'")
        return self.queues[name]

    # -- state ---------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        unacked: dict[str, int] = {}
        consumers: dict[str, int] = {}
        for c in self.consumers.values():
            if c.state == "active":
                consumers[c.spec.queue] = consumers.get(c.spec.queue, 0) + 1
                if not c.spec.auto_ack:
                    unacked[c.spec.queue] = unacked.get(c.spec.queue, 0) + len(c.held)
        for _, d in self.gets.values():
            unacked[d.queue] = unacked.get(d.queue, 0) + 1
        queues = []
        for name, q in self.queues.items():
            ready, _ = self.depths.get(name, (0, 0))
            queues.append(
                {
                    "name": name,
                    "type": q["type"],
                    "ready": ready,
                    "unacked": unacked.get(name, 0),
                    "consumers": consumers.get(name, 0),
                    "arguments": dict(q["arguments"]),
                    "exclusive": q["exclusive"],
                    "auto_delete": q["auto_delete"],
                    "bytes": None,
                }
            )
        return {
            "exchanges": [dict(x, arguments=dict(x["arguments"])) for x in self.exchanges.values()],
            "queues": queues,
            "bindings": [dict(b, arguments=dict(b["arguments"])) for b in self.bindings],
            "consumers": [c.describe() for c in self.consumers.values()],
        }

    # -- shutdown ------------------------------------------------------------------------
    def _stop_consumers(self) -> None:
        """End every consumer's connection (RabbitMQ requeues what they held unacked)."""
        for consumer in self.consumers.values():
            consumer.stop()
        self.consumers.clear()
        self.gets.clear()

    def destroy(self) -> bool:
        """Stop every consumer and delete every queue and exchange with this sandbox's
        prefix, also those an earlier adapter left (found through the management API);
        the control connection stays open. False when not connected (nothing deleted)."""
        self._stop_consumers()
        queues = {self.names.queue(q) for q in self.queues}
        exchanges = {self._exchange(x) for x in self.exchanges}
        found_q, found_x = self._leftovers()
        deleted = self.connected
        if deleted:
            for q in sorted(queues | found_q):
                self._quietly(lambda ch, q=q: ch.queue_delete(q))
            for x in sorted(exchanges | found_x):
                self._quietly(lambda ch, x=x: ch.exchange_delete(x))
        self.exchanges.clear()
        self.queues.clear()
        self.bindings.clear()
        self.depths.clear()
        return deleted

    def _quietly(self, fn: Any) -> None:
        try:
            self._do(fn)
        except Exception:  # noqa: BLE001 - already gone
            pass

    def _leftovers(self) -> tuple[set[str], set[str]]:
        """Queues and exchanges with our prefix the management API knows (older runs)."""
        vhost = urllib.parse.quote(self.vhost, safe="")
        try:
            queues = management_get(self.management_url, f"/api/queues/{vhost}?columns=name")
            exchanges = management_get(self.management_url, f"/api/exchanges/{vhost}?columns=name")
        except Exception:  # noqa: BLE001 - the management API is optional
            return set(), set()
        ours = self.names.ours
        return (
            {q["name"] for q in queues if ours(q["name"])},
            {x["name"] for x in exchanges if ours(x["name"])},
        )

    def close(self) -> None:
        """Close every connection; queues, exchanges, bindings and messages stay."""
        try:
            self._stop_consumers()
        finally:
            if self.control is not None:
                self.control.stop()
                self.control = None


def _passive_depths(channel: Any, names: Names, queues: list[str]) -> dict[str, tuple[int, int]]:
    depths = {}
    for q in queues:
        frame = channel.queue_declare(names.queue(q), passive=True)
        depths[q] = (frame.method.message_count, frame.method.consumer_count)
    return depths
