"""A virtual clock and event scheduler in the style of simpy.

One `Clock` owns `now` and a heap of `(time, seq, action)`. Ties break on a counter, so
the same schedule always runs in the same order. Nothing here reads wall time: the
sandbox runtime decides how fast virtual time moves. Leaves out processes, priorities
and interrupts; actions are plain callables.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(eq=False, slots=True)
class Timer:
    """A scheduled action; `cancel()` stops it from running."""

    time: float
    seq: int
    action: Callable[..., Any]
    args: tuple = ()
    cancelled: bool = False

    def cancel(self) -> None:
        """Keep the timer in the heap but skip it when its time comes."""
        self.cancelled = True


class Clock:
    """Virtual time: schedule actions, then step or run until a time."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = float(start)
        # (time, seq, timer): tuples compare in C, far cheaper than dataclass ordering
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()

    def schedule(self, delay: float, action: Callable[..., Any], *args: Any) -> Timer:
        """Run `action(*args)` `delay` virtual seconds from now."""
        if delay < 0 or math.isnan(delay):
            raise ValueError(f"delay must be >= 0, got {delay!r}")
        return self.at(self.now + delay, action, *args)

    def at(self, time: float, action: Callable[..., Any], *args: Any) -> Timer:
        """Run `action(*args)` at virtual `time` (not before now)."""
        timer = Timer(max(time, self.now), next(self._seq), action, args)
        heapq.heappush(self._heap, (timer.time, timer.seq, timer))
        return timer

    def peek(self) -> float:
        """Time of the next pending action, or infinity when idle."""
        self._drop_cancelled()
        return self._heap[0][0] if self._heap else math.inf

    @property
    def pending(self) -> int:
        """How many live actions wait in the heap."""
        return sum(1 for _, _, t in self._heap if not t.cancelled)

    def step(self) -> bool:
        """Run the next action; False when nothing is scheduled."""
        self._drop_cancelled()
        if not self._heap:
            return False
        _, _, timer = heapq.heappop(self._heap)
        self.now = timer.time
        timer.action(*timer.args)
        return True

    def run(self, until: float | None = None, max_steps: int | None = None) -> int:
        """Run actions due up to `until` (then set now to it); returns steps taken."""
        heap, pop = self._heap, heapq.heappop
        limit = math.inf if until is None else until
        budget = -1 if max_steps is None else max_steps  # steps never reach -1
        steps = 0
        # One look at the heap's head per action: this loop is the engine's hot path.
        while heap and steps != budget:
            time, _, timer = heap[0]
            if timer.cancelled:
                pop(heap)
                continue
            if time > limit:
                break
            pop(heap)
            self.now = time
            timer.action(*timer.args)
            steps += 1
        if until is not None and until > self.now and steps != budget:
            self.now = until
        return steps

    def _drop_cancelled(self) -> None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
