"""How many publishes the caller may hand the control thread before it waits for confirms.

`basic_publish` queues each message for the control thread and returns; the control
thread publishes it and waits for the broker's confirm (see `brokers.real.rabbitmq.adapter`).
`PublishWindow` bounds how far the caller may run ahead. The caller's thread takes a
place per publish and the control thread frees one per confirm, each writing only its
own counter, so the per-message path needs no lock. A caller that finds the window full
sleeps until it has drained to `low`: it is woken once per `size - low` confirms, not
once per confirm, so the two threads do not trade the GIL for every message. Leaves out
fairness between several calling threads (the adapter has one caller, the runtime).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from brokers.errors import Disconnected

WAIT_SLICE = 0.25  # seconds between checks that the connection is still there


class PublishWindow:
    """At most `size` publishes handed over and not yet confirmed.

    Worked example: size 4, low 1. Four `take()`s return at once; the fifth sleeps
    until three confirms (`settle()`) brought the count down to 1, then returns.
    """

    def __init__(self, size: int, low: int, stall: float = 30.0) -> None:
        if not 0 <= low < size:
            raise ValueError(f"need 0 <= low < size, got low={low} size={size}")
        self.size = size
        self.low = low
        self.stall = stall  # seconds without a confirm after which a full window gives up
        self.taken = 0  # written only by the caller's thread
        self.settled = 0  # written only by the control thread
        self._waiting = False
        self._room = threading.Event()

    @property
    def in_flight(self) -> int:
        """Publishes handed over and not yet confirmed."""
        return self.taken - self.settled

    @property
    def waiting(self) -> bool:
        """Whether a caller sleeps in `take()` for room (or did, and has not been woken)."""
        return self._waiting

    def take(self, lost: Callable[[], str]) -> None:
        """Claim a place for one publish; wait while the window is full.

        `lost()` says why the connection is gone ("" while it is up). Raises
        `Disconnected` when it is gone or nothing was confirmed for `stall` seconds.
        """
        if self.taken - self.settled >= self.size:
            self._wait(lost)
        self.taken += 1

    def settle(self) -> None:
        """One publish was confirmed, nacked or dropped (on the control thread)."""
        self.settled += 1
        if self._waiting and self.taken - self.settled <= self.low:
            self._waiting = False
            self._room.set()

    def _wait(self, lost: Callable[[], str]) -> None:
        last, progress = self.settled, time.monotonic()
        while self.taken - self.settled > self.low:
            self._room.clear()
            self._waiting = True  # set before looking again, so a settle() cannot be missed
            if self.taken - self.settled <= self.low:
                return
            if self._room.wait(WAIT_SLICE):
                continue  # woken at `low`, or late by an earlier wait's wake-up: look again
            reason = lost()
            if reason:
                raise Disconnected(f"RabbitMQ is disconnected ({reason})")
            if self.settled != last:
                last, progress = self.settled, time.monotonic()
            elif time.monotonic() - progress > self.stall:
                raise Disconnected(
                    f"RabbitMQ has not confirmed any of {self.in_flight} publishes "
                    f"for {self.stall:.0f}s"
                )
