"""At-least-once bookkeeping for the fault tests: which numbered message got where.

A fault test publishes messages 0..N-1 as an application would, each carrying its number;
the playground gives every publish its own id (`m17`, `k42`), and a message published
again after a failure gets a new one. `Ledger` maps ids back to numbers and counts, per
number, how often the broker took it (confirmed, appended) and how often a consumer
finished it (acked, processed). `missing()` and `duplicates()` are what the tests assert
and report: at-least-once means nothing missing; duplicates are allowed and counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any


class Ledger:
    """Numbers published, taken by the broker, and finished by consumers."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.number: dict[str, int] = {}  # playground message id -> the application's number
        self.taken: Counter[int] = Counter()  # confirmed by RabbitMQ / appended by Kafka
        self.refused: set[int] = set()  # publishes the broker did not confirm: to resend
        self.done: Counter[int] = Counter()  # acked / processed
        self.kinds: Counter[str] = Counter()  # every event kind seen, for the report

    def sent(self, msg: str, n: int) -> None:
        self.number[msg] = n

    def see(self, events: Iterable[Any]) -> None:
        """Take in drained events (RabbitMQ's or Kafka's)."""
        for e in events:
            self.kinds[e.kind] += 1
            if e.kind == "confirmed":
                self._taken([e.msg], e.ack)
            elif e.kind == "appended":
                self._taken(e.msgs, True)
            elif e.kind == "produce_failed":
                self._taken(e.msgs, False)
            elif e.kind == "acked":
                self._done([e.msg])
            elif e.kind == "processed":
                self._done(e.msgs)

    def _taken(self, msgs: list[str], ok: bool) -> None:
        for msg in msgs:
            n = self.number.get(msg)
            if n is None:
                continue
            if ok:
                self.taken[n] += 1
                self.refused.discard(n)
            elif not self.taken[n]:
                self.refused.add(n)

    def _done(self, msgs: list[str]) -> None:
        for msg in msgs:
            n = self.number.get(msg)
            if n is not None:
                self.done[n] += 1

    def to_resend(self) -> list[int]:
        """Numbers the broker refused or lost before confirming, not taken since."""
        out = sorted(self.refused)
        self.refused.clear()
        return out

    def missing(self) -> list[int]:
        """Numbers no consumer finished yet."""
        return [n for n in range(self.total) if not self.done[n]]

    def duplicates(self) -> int:
        """How many finishes beyond the first (redeliveries, reprocessing)."""
        return sum(c - 1 for c in self.done.values() if c > 1)

    def report(self, what: str) -> str:
        resent = len(self.number) - self.total
        return (
            f"{what}: {self.total} published ({resent} published again after a failure), "
            f"{sum(1 for n in range(self.total) if self.taken[n])} taken by the broker, "
            f"{self.total - len(self.missing())} finished at least once, "
            f"{self.duplicates()} duplicates"
        )
