"""Plumbing shared by the real adapters: the thread-safe event sink and sandbox names.

Adapter threads (pika consumers, kafka-python members, producer callbacks) emit events
into one `EventSink`; the backend's `drain()` empties it on the runtime's thread. Every
broker resource carries the sandbox prefix; users only ever see unprefixed names.
"""

from __future__ import annotations

import collections
import time
from typing import Any

from brokers.events import Event


class EventSink:
    """Collects events from any thread, stamped with wall seconds since the sink started.

    No lock: `deque.append` and `deque.popleft` are atomic, and `drain()` takes only the
    events queued when it started, so an event emitted meanwhile waits for the next one.
    """

    def __init__(self) -> None:
        self.started = time.monotonic()
        self._events: collections.deque[Event] = collections.deque()

    def now(self) -> float:
        """Seconds since start, rounded to the millisecond as the UI shows them."""
        return round(time.monotonic() - self.started, 6)

    def emit(self, cls: type[Event], **fields: Any) -> None:
        """Build an event of `cls` stamped now and queue it."""
        self._events.append(cls(t=self.now(), **fields))

    def put(self, event: Event) -> None:
        """Queue an event already stamped with `now()` (the per-message paths build their own)."""
        self._events.append(event)

    def drain(self) -> list[Event]:
        """Every event queued so far, oldest first."""
        events, pop = self._events, self._events.popleft
        return [pop() for _ in range(len(events))]


class Names:
    """Maps user-visible names to prefixed broker names and back."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def real(self, name: str) -> str:
        """The broker's name for a user's queue, exchange, topic or group."""
        if name == "" or name.startswith("amq."):
            return name  # the default and predeclared exchanges are shared by the vhost
        return self.prefix + name

    def queue(self, name: str) -> str:
        """The broker's name for a user's queue (always prefixed)."""
        return self.prefix + name

    def user(self, name: str) -> str:
        """The user's name for a broker name (unchanged when it is not ours)."""
        return name[len(self.prefix) :] if name.startswith(self.prefix) else name

    def ours(self, name: str) -> bool:
        """Whether a broker resource belongs to this sandbox."""
        return name.startswith(self.prefix)

    def scrub(self, text: str) -> str:
        """A broker error message with our prefix taken out, for the user to read."""
        return text.replace(self.prefix, "")
