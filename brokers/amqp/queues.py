"""Queues and the messages in them: classic FIFO, classic priority, quorum and stream.

A `Message` is what a publisher sent (shared by every queue it reached); an `Entry` is
one queue's copy with its own position, expiry and delivery count. Storage rules:

- classic: FIFO; a requeued message goes back to its original position (the entry keeps
  its sequence number and sits in a small heap that merges with the FIFO);
- priority (classic with `x-max-priority`): one classic FIFO per priority, highest first,
  priorities above the maximum count as the maximum, no priority counts as 0;
- quorum: FIFO, but returned messages wait in a `returns` queue served before any new
  message, in the order they came back (RabbitMQ's `rabbit_fifo`); each return adds one
  to the delivery count. Without `x-delivery-limit` a nack or reject with requeue
  enqueues the message again at the back instead (RabbitMQ 3.10, checked); a closed
  channel's messages still go to the returns queue;
- stream: an append-only log with offsets, in chunks (the messages written at one
  instant); nothing is removed by consuming.

Expiry is at the head only (the next message to deliver), as in RabbitMQ, so a long-TTL
message blocks shorter ones behind it. Leaves out lazy mode, paging to disk, `x-expires`
(queue TTL) and segment files (stream retention drops whole messages).
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Any

from brokers.amqp.api import Properties
from brokers.amqp.events import Match


class Message:
    """A published message (or a dead-lettered copy of one)."""

    __slots__ = ("id", "exchange", "routing_key", "body", "properties", "headers", "size", "time")

    def __init__(
        self,
        id: str,
        exchange: str,
        routing_key: str,
        body: bytes,
        properties: Properties,
        headers: dict[str, Any],
        time: float,
    ) -> None:
        self.id = id
        self.exchange = exchange
        self.routing_key = routing_key
        self.body = body
        self.properties = properties
        self.headers = headers
        self.size = len(body)
        self.time = time


class Entry:
    """One queue's copy of a message."""

    __slots__ = (
        "message",
        "seq",
        "expires_at",
        "ttl_ms",
        "priority",
        "returns",
        "redelivered",
        "offset",
    )

    def __init__(
        self, message: Message, seq: int, expires_at: float | None, ttl_ms: int | None
    ) -> None:
        self.message = message
        self.seq = seq
        self.expires_at = expires_at
        self.ttl_ms = ttl_ms
        self.priority = 0
        self.returns = 0  # times it came back to the queue (x-delivery-count in quorum)
        self.redelivered = False
        self.offset: int | None = None


class Fifo:
    """Classic FIFO storage with requeue at the original position."""

    __slots__ = ("fresh", "back")

    def __init__(self) -> None:
        self.fresh: deque[Entry] = deque()
        self.back: list[tuple[int, Entry]] = []

    def __len__(self) -> int:
        return len(self.fresh) + len(self.back)

    def push(self, entry: Entry) -> int:
        """Append a new message; returns the depth."""
        fresh = self.fresh
        fresh.append(entry)
        return len(fresh) + len(self.back)

    def peek(self) -> Entry | None:
        fresh, back = self.fresh, self.back
        if back and (not fresh or back[0][0] < fresh[0].seq):
            return back[0][1]
        return fresh[0] if fresh else None

    def pop(self) -> Entry | None:
        fresh, back = self.fresh, self.back
        if back and (not fresh or back[0][0] < fresh[0].seq):
            return heapq.heappop(back)[1]
        return fresh.popleft() if fresh else None

    def requeue(self, entry: Entry) -> int:
        """Put back by sequence number; returns the position from the head."""
        heapq.heappush(self.back, (entry.seq, entry))
        return sum(1 for e in self.fresh if e.seq < entry.seq) + sum(
            1 for s, _ in self.back if s < entry.seq
        )

    def entries(self) -> list[Entry]:
        """Every entry in delivery order (for purge, delete and inspection)."""
        return sorted([*self.fresh, *(e for _, e in self.back)], key=lambda e: e.seq)

    def clear(self) -> None:
        self.fresh.clear()
        self.back.clear()


class ClassicStore(Fifo):
    """Ready messages of a classic queue: one FIFO (a subclass, so no call is relayed)."""

    __slots__ = ()

    def heads(self) -> list[Entry]:
        """Entries that may expire now: the head of each sub-queue."""
        head = self.peek()
        return [head] if head else []


class PriorityStore:
    """Ready messages of a classic priority queue: highest priority first, FIFO within one."""

    def __init__(self, max_priority: int) -> None:
        self.max_priority = max_priority
        self.levels: dict[int, Fifo] = {}
        self.order: list[int] = []  # priorities present, highest first
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def _level(self, priority: int) -> Fifo:
        fifo = self.levels.get(priority)
        if fifo is None:
            fifo = self.levels[priority] = Fifo()
            self.order = sorted(self.levels, reverse=True)
        return fifo

    def push(self, entry: Entry) -> int:
        self._level(entry.priority).push(entry)
        self.count += 1
        return self.count

    def peek(self) -> Entry | None:
        for p in self.order:
            head = self.levels[p].peek()
            if head is not None:
                return head
        return None

    def pop(self) -> Entry | None:
        for p in self.order:
            fifo = self.levels[p]
            if fifo:
                self.count -= 1
                return fifo.pop()
        return None

    def requeue(self, entry: Entry) -> int:
        self.count += 1
        ahead = sum(len(self.levels[p]) for p in self.order if p > entry.priority)
        return ahead + self._level(entry.priority).requeue(entry)

    def heads(self) -> list[Entry]:
        return [h for p in self.order if (h := self.levels[p].peek()) is not None]

    def entries(self) -> list[Entry]:
        return [e for p in self.order for e in self.levels[p].entries()]

    def clear(self) -> None:
        self.levels.clear()
        self.order = []
        self.count = 0


class QuorumStore:
    """Ready messages of a quorum queue: returned messages first, in return order."""

    def __init__(self) -> None:
        self.returns: deque[Entry] = deque()
        self.fresh: deque[Entry] = deque()

    def __len__(self) -> int:
        return len(self.returns) + len(self.fresh)

    def push(self, entry: Entry) -> int:
        self.fresh.append(entry)
        return len(self.returns) + len(self.fresh)

    def peek(self) -> Entry | None:
        if self.returns:
            return self.returns[0]
        return self.fresh[0] if self.fresh else None

    def pop(self) -> Entry | None:
        if self.returns:
            return self.returns.popleft()
        return self.fresh.popleft() if self.fresh else None

    def requeue(self, entry: Entry) -> int:
        self.returns.append(entry)
        return len(self.returns) - 1

    def requeue_at_back(self, entry: Entry) -> int:
        """Enqueue a returned message again behind every ready one (RabbitMQ 3.10's
        `rabbit_fifo` does this for a nack or reject when no `x-delivery-limit` is set)."""
        self.fresh.append(entry)
        return len(self) - 1

    def heads(self) -> list[Entry]:
        head = self.peek()
        return [head] if head else []

    def entries(self) -> list[Entry]:
        return [*self.returns, *self.fresh]

    def clear(self) -> None:
        self.returns.clear()
        self.fresh.clear()


class StreamLog:
    """An append-only log; offsets start at 0 and survive retention.

    Messages written together form one chunk, as in RabbitMQ's osiris, whose writer puts
    every message waiting for it in one chunk: here, the messages appended at the same
    virtual instant, except that a publish in confirm mode is a chunk of its own (its
    publisher waits for the confirm, so nothing of it waits with the message).
    `x-stream-offset=last` starts at the first message of the last chunk.
    """

    def __init__(self) -> None:
        self.log: list[Entry] = []
        self.first_offset = 0
        self.chunk_starts: list[int] = []  # offset of each chunk's first message
        self._chunk_time: float | None = None
        self._chunk_closed = True

    def __len__(self) -> int:
        return len(self.log)

    @property
    def end(self) -> int:
        """The offset the next appended message will get."""
        return self.first_offset + len(self.log)

    def append(self, entry: Entry, now: float, alone: bool = False) -> int:
        """Append at `now`: a new chunk unless the last one was written at the same instant
        and is open; `alone` (a confirmed publish) makes a chunk of one message."""
        entry.offset = offset = self.end
        if alone or self._chunk_closed or now != self._chunk_time or not self.log:
            self.chunk_starts.append(offset)
        self._chunk_time = now
        self._chunk_closed = alone
        self.log.append(entry)
        return offset

    def last_chunk(self) -> int:
        """Offset of the first message of the last chunk (the end when empty)."""
        if not self.log:
            return self.end
        return max(self.chunk_starts[-1], self.first_offset)

    def at(self, offset: int) -> Entry:
        return self.log[offset - self.first_offset]

    def trim(self, count: int) -> list[Entry]:
        """Drop the `count` oldest messages (retention)."""
        gone, self.log = self.log[:count], self.log[count:]
        self.first_offset += len(gone)
        starts = self.chunk_starts
        while len(starts) > 1 and starts[1] <= self.first_offset:
            starts.pop(0)
        return gone

    def first_at_or_after(self, time: float) -> int:
        """Offset of the first message published at or after `time` (else the end)."""
        for entry in self.log:
            if entry.message.time >= time:
                return entry.offset  # type: ignore[return-value]
        return self.end

    def entries(self) -> list[Entry]:
        return list(self.log)

    def clear(self) -> None:
        self.log.clear()
        self.chunk_starts.clear()
        self._chunk_time = None
        self._chunk_closed = True


class Queue:
    """A queue: its settings from arguments, its ready messages, and its consumers."""

    def __init__(
        self,
        name: str,
        qtype: str,
        *,
        durable: bool,
        exclusive: bool,
        auto_delete: bool,
        arguments: dict[str, Any],
    ) -> None:
        self.name = name
        self.type = qtype
        self.durable = durable
        self.exclusive = exclusive
        self.auto_delete = auto_delete
        self.arguments = dict(arguments)
        a = self.arguments
        self.ttl_ms: int | None = a.get("x-message-ttl")
        self.max_length: int | None = a.get("x-max-length")
        self.max_bytes: int | None = a.get("x-max-length-bytes")
        self.overflow: str = a.get("x-overflow", "drop-head")
        self.dlx: str | None = a.get("x-dead-letter-exchange")
        self.dlrk: str | None = a.get("x-dead-letter-routing-key")
        self.single_active: bool = bool(a.get("x-single-active-consumer", False))
        self.delivery_limit: int | None = a.get("x-delivery-limit")
        self.max_priority: int | None = a.get("x-max-priority")
        self.max_age: str | None = a.get("x-max-age")
        self.store: Any
        if qtype == "stream":
            self.store = StreamLog()
        elif qtype == "quorum":
            self.store = QuorumStore()
        elif self.max_priority:
            self.store = PriorityStore(self.max_priority)
        else:
            self.store = ClassicStore()
        self.is_stream = qtype == "stream"
        self.limited = self.max_length is not None or self.max_bytes is not None
        self.may_expire = self.ttl_ms is not None
        self.bytes = 0  # bytes of ready messages
        self.unacked = 0
        self.consumers: list[Any] = []  # round-robin order
        self.owner: str | None = None  # consumer tag holding an exclusive queue
        self.ever_consumed = False
        #: the route a default-exchange publish to this queue takes (immutable, shared)
        self.default_route = (
            (name,),
            (Match("", name, "queue", name, "default exchange: routing key names the queue"),),
        )
        self.dispatch_timer: Any = None
        self.expiry_timer: Any = None
        #: classic queues: (entry, why, consumer) nacked or rejected with requeue, not yet
        #: taken back; `returns_timer` takes them back once pending deliveries are made
        self.returning: list[tuple[Entry, str, Any]] = []
        self.returns_timer: Any = None

    @property
    def ready(self) -> int:
        """Messages waiting for delivery (for streams: messages in the log)."""
        return len(self.store)

    def full(self, extra_bytes: int = 0) -> bool:
        """Whether one more message (of `extra_bytes`) would break a length limit."""
        if self.max_length is not None and len(self.store) + 1 > self.max_length:
            return True
        return self.max_bytes is not None and self.bytes + extra_bytes > self.max_bytes

    def over(self) -> bool:
        """Whether the queue is past a length limit right now."""
        if self.max_length is not None and len(self.store) > self.max_length:
            return True
        return self.max_bytes is not None and self.bytes > self.max_bytes

    def describe(self) -> dict[str, Any]:
        """Plain data for the live view."""
        return {
            "name": self.name,
            "type": self.type,
            "ready": self.ready + len(self.returning),
            "unacked": self.unacked,
            "consumers": sum(1 for c in self.consumers if c.state in ("active", "waiting")),
            "arguments": dict(self.arguments),
            "durable": self.durable,
            "exclusive": self.exclusive,
            "auto_delete": self.auto_delete,
            "bytes": self.bytes,
        }
