"""A JetStream stream: numbered messages, limits, the duplicate window, and removal.

Every stored message gets the next stream sequence (1, 2, ...; a sequence is never
reused, even when interest retention drops a message at once). Limits — `max_msgs`,
`max_bytes`, `max_msgs_per_subject`, `max_age` — remove the oldest messages with discard
old, or refuse the publish with discard new ("maximum messages exceeded", JetStream error
10077; the per-subject limit always drops the oldest on that subject, as without
`discard_new_per_subject`). A `Nats-Msg-Id` seen within `duplicate_window` is answered
with the first copy's sequence and `duplicate: true`, and not stored. Sizes are counted
as a file store counts them (`validation.stored_size`). Which messages retention
policies remove on ack is decided by `brokers.nats.jetstream`; this class only stores,
finds and removes, and emits `JsRemoved` with the reason. Leaves out blocks and
compaction, sealed streams, rollups, mirrors, sources and direct get.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from brokers.clock import Clock, Timer
from brokers.events import Emit
from brokers.nats import events as ev
from brokers.nats import subjects as subj
from brokers.nats.validation import StreamConfig


class StreamHost(Protocol):
    """What a stream uses of its server (`NatsServer` satisfies it): the clock and the log."""

    clock: Clock
    emit: Emit


#: how many of the newest messages `describe()` lists per stream
DESCRIBE_MESSAGES = 50


@dataclass(eq=False, slots=True)
class StoredMsg:
    seq: int
    subject: str
    data: bytes
    headers: dict[str, str]
    time: float
    msg: str
    size: int


class Refused(Exception):
    """A publish the stream will not take (discard new, or a message too large)."""

    def __init__(self, reason: str, err_code: int = 10077, code: int = 503) -> None:
        super().__init__(reason)
        self.reason, self.err_code, self.code = reason, err_code, code


class Stream:
    """One stream's messages and state."""

    def __init__(self, server: StreamHost, config: StreamConfig) -> None:
        self.server = server
        self.config = config
        self.msgs: dict[int, StoredMsg] = {}
        self.by_subject: dict[str, list[int]] = {}
        self.first_seq = 1
        self.last_seq = 0
        self.bytes = 0
        # name -> brokers.nats.consumer.Consumer; the server adds and removes them
        self.consumers: dict[str, Any] = {}
        #: sequences between first_seq and last_seq that hold no message, sorted
        self._holes: list[int] = []
        self._dedup: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._age_timer: Timer | None = None

    @property
    def name(self) -> str:
        return self.config.name

    def captures(self, subject: str) -> str | None:
        """The stream subject pattern matching `subject`, or None."""
        for pattern in self.config.subjects:
            if subj.matches(pattern, subject):
                return pattern
        return None

    # -- storing ---------------------------------------------------------------------
    def duplicate_of(self, msg_id: str) -> tuple[int, float] | None:
        """(seq, age) of a message stored with `msg_id` inside the window, else None."""
        now = self.server.clock.now
        window = self.config.duplicate_window
        dedup = self._dedup
        while dedup:  # forget ids that left the window, oldest first
            oldest, (_, stored) = next(iter(dedup.items()))
            if now - stored < window:
                break
            del dedup[oldest]
        hit = dedup.get(msg_id)
        return None if hit is None else (hit[0], now - hit[1])

    def check_room(self, payload: int) -> None:
        """Raise `Refused` when discard new forbids another message whose data and headers
        take `payload` bytes. nats-server 2.9 compares the payload, not the stored size,
        and refuses from the limit itself on (`>=`); a message it lets in can still take
        the stream past max_bytes, and then the oldest goes as with discard old."""
        cfg = self.config
        if 0 < cfg.max_msg_size < payload:
            raise Refused(
                f"message size {payload} exceeds max_msg_size {cfg.max_msg_size}", 10054, 400
            )
        if cfg.discard != "new":
            return
        if cfg.max_msgs > 0 and len(self.msgs) >= cfg.max_msgs:
            raise Refused(
                f"maximum messages exceeded: the stream holds max_msgs={cfg.max_msgs} and "
                "discard is new, so the publish is refused and nothing is removed"
            )
        if cfg.max_bytes > 0 and self.bytes + payload >= cfg.max_bytes:
            raise Refused(
                f"maximum bytes exceeded: {self.bytes} stored + {payload} new bytes reach "
                f"max_bytes={cfg.max_bytes} and discard is new, so the publish is refused"
            )

    def append(
        self, subject: str, data: bytes, headers: dict[str, str], msg: str, size: int
    ) -> StoredMsg:
        """Store a message under the next sequence (the caller checked room and dedup)."""
        now = self.server.clock.now
        self.last_seq += 1
        seq = self.last_seq
        stored = StoredMsg(seq, subject, data, headers, now, msg, size)
        if not self.msgs:
            self.first_seq = seq
        self.msgs[seq] = stored
        self.bytes += size
        seqs = self.by_subject.get(subject)
        if seqs is None:
            self.by_subject[subject] = [seq]
        else:
            seqs.append(seq)
        msg_id = headers.get("Nats-Msg-Id") if headers else None
        if msg_id:
            self._dedup[msg_id] = (seq, now)
            self._dedup.move_to_end(msg_id)
        if self.config.max_age and self._age_timer is None:
            self._arm_age(stored.time)
        return stored

    def skip(self) -> int:
        """Use up a sequence without storing (interest retention with no one interested)."""
        self.last_seq += 1
        if not self.msgs:
            self.first_seq = self.last_seq + 1
        else:
            self._holes.append(self.last_seq)
        return self.last_seq

    def enforce_limits(self, subject: str | None = None) -> None:
        """Drop the oldest messages until every limit holds again (with discard new only
        max_bytes can be passed, by the message that was let in)."""
        cfg = self.config
        if cfg.max_msgs_per_subject > 0:
            for s in [subject] if subject is not None else list(self.by_subject):
                seqs = self.by_subject.get(s)
                while seqs and len(seqs) > cfg.max_msgs_per_subject:
                    self.remove(
                        seqs[0],
                        "per_subject",
                        f"max_msgs_per_subject={cfg.max_msgs_per_subject}: {s!r} keeps only "
                        "its newest messages",
                    )
        old = "discard old" if cfg.discard == "old" else "discard new let the last one in"
        while cfg.max_msgs > 0 and len(self.msgs) > cfg.max_msgs:
            self.remove(
                self.first_seq,
                "limits",
                f"max_msgs={cfg.max_msgs} with {old}: the oldest message makes room",
            )
        while cfg.max_bytes > 0 and self.bytes > cfg.max_bytes:
            self.remove(
                self.first_seq,
                "limits",
                f"max_bytes={cfg.max_bytes} with {old}: the oldest message makes room",
            )

    # -- removing --------------------------------------------------------------------
    def remove(self, seq: int, cause: str, reason: str) -> StoredMsg | None:
        """Remove message `seq` and say why; None when it is not stored."""
        stored = self.msgs.pop(seq, None)
        if stored is None:
            return None
        self.bytes -= stored.size
        seqs = self.by_subject[stored.subject]
        if seqs[0] == seq:
            del seqs[0]
        else:
            del seqs[bisect.bisect_left(seqs, seq)]
        if not seqs:
            del self.by_subject[stored.subject]
        if seq == self.first_seq:
            self._advance_first()
        else:
            bisect.insort(self._holes, seq)
        self.server.emit(
            ev.JsRemoved(
                t=self.server.clock.now,
                msg=stored.msg,
                stream=self.name,
                stream_seq=seq,
                cause=cause,
                reason=reason,
            )
        )
        return stored

    def _advance_first(self) -> None:
        if not self.msgs:
            self.first_seq = self.last_seq + 1
            self._holes.clear()
            return
        first, msgs = self.first_seq + 1, self.msgs
        if len(msgs) * 4 < self.last_seq - first:  # a wide gap: the dict's order is quicker
            first = next(iter(msgs))
        else:
            while first not in msgs:
                first += 1
        self.first_seq = first
        holes = self._holes
        if holes and holes[0] < first:
            del holes[: bisect.bisect_left(holes, first)]

    def purge(self, subject: str | None, reason: str) -> int:
        seqs = list(self.msgs) if subject is None else list(self.by_subject.get(subject, ()))
        for seq in seqs:
            self.remove(seq, "purge", reason)
        return len(seqs)

    def _arm_age(self, oldest: float) -> None:
        clock = self.server.clock
        self._age_timer = clock.at(oldest + self.config.max_age, self._expire)

    def _expire(self) -> None:
        self._age_timer = None
        max_age = self.config.max_age
        if not max_age:
            return
        now = self.server.clock.now
        while self.msgs:
            first = self.msgs[self.first_seq]
            # first.time + max_age, not now - first.time: the timer is set on that sum, and
            # (0.4 + 1.0) - 0.4 < 1.0 would re-arm it at the same instant for ever
            if first.time + max_age > now:
                self._arm_age(first.time)
                return
            self.remove(first.seq, "max_age", f"older than max_age {max_age:g}s")

    def config_changed(self, old: StreamConfig) -> None:
        if self._age_timer is not None:
            self._age_timer.cancel()
            self._age_timer = None
        if self.config.max_age and self.msgs:
            self._arm_age(self.msgs[self.first_seq].time)
        self.enforce_limits()

    def cancel_timers(self) -> None:
        if self._age_timer is not None:
            self._age_timer.cancel()
            self._age_timer = None

    # -- finding ---------------------------------------------------------------------
    def next_seq(self, start: int, filter_subject: str | None) -> int | None:
        """The first stored sequence >= `start` on the filter, or None."""
        if start > self.last_seq:
            return None
        if filter_subject is None:
            seq = max(start, self.first_seq)
            msgs = self.msgs
            while seq <= self.last_seq:
                if seq in msgs:
                    return seq
                seq += 1
            return None
        best = None
        for s, seqs in self.by_subject.items():
            if subj.matches(filter_subject, s):
                i = bisect.bisect_left(seqs, start)
                if i < len(seqs) and (best is None or seqs[i] < best):
                    best = seqs[i]
        return best

    def count_from(self, start: int, filter_subject: str | None) -> int:
        """How many stored messages have sequence >= `start` on the filter."""
        if start > self.last_seq:
            return 0
        if filter_subject is None:
            if start <= self.first_seq:
                return len(self.msgs)
            # every sequence from first_seq up is a message or a hole
            below = start - self.first_seq - bisect.bisect_left(self._holes, start)
            return len(self.msgs) - below
        return sum(
            len(seqs) - bisect.bisect_left(seqs, start)
            for s, seqs in self.by_subject.items()
            if subj.matches(filter_subject, s)
        )

    def last_seq_on(self, filter_subject: str | None) -> int | None:
        if filter_subject is None:
            return next(reversed(self.msgs)) if self.msgs else None
        found = [seqs[-1] for s, seqs in self.by_subject.items() if subj.matches(filter_subject, s)]
        return max(found) if found else None

    def last_per_subject(self, filter_subject: str) -> list[int]:
        return sorted(
            seqs[-1] for s, seqs in self.by_subject.items() if subj.matches(filter_subject, s)
        )

    def first_at_or_after(self, time: float) -> int | None:
        for seq, stored in self.msgs.items():
            if stored.time >= time:
                return seq
        return None

    # -- state -----------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "messages": len(self.msgs),
            "bytes": self.bytes,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "num_subjects": len(self.by_subject),
            "consumer_count": len(self.consumers),
        }

    def info(self) -> dict[str, Any]:
        return {"config": self.config.to_dict(), "state": self.state()}

    def describe(self) -> dict[str, Any]:
        newest = []
        for seq in reversed(self.msgs):
            stored = self.msgs[seq]
            newest.append(
                {"seq": seq, "subject": stored.subject, "msg": stored.msg, "size": stored.size}
            )
            if len(newest) == DESCRIBE_MESSAGES:
                break
        newest.reverse()
        return {**self.info(), "name": self.name, "messages": newest}
