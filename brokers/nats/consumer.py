"""A JetStream consumer: a cursor on a stream, pending acks, redelivery, pull requests.

Follows nats-server 2.9's consumer, checked number by number against the real server
(tests/real/test_nats_consumers.py):

- `sseq` is the next stream sequence to deliver for the first time; `dseq` counts every
  delivery, redeliveries included, so `delivered` is (last consumer seq, sseq - 1) and a
  redelivery does not move its stream half. The deliver policy picks the first `sseq`:
  all is the stream's first sequence (even with a filter), last and last_per_subject the
  newest on the filter, new the next one, by_start_sequence the given one (at most last
  + 1), by_start_time the first stored at or after that time.
- `pending` maps stream seq to [consumer seq of the first delivery, time, why]; a
  redelivery keeps the first consumer seq and restarts the clock. With ack policy
  explicit an ack removes one entry, and when it was the lowest the ack floor moves up to
  just below the next pending one; ack policy all settles everything up to the acked
  message; ack policy none moves the floor on delivery.
- Every `ack_wait` a check puts expired messages (in stream order) on the redelivery
  queue, which goes before new messages and ignores max_ack_pending. A message that would
  pass `max_deliver` is dropped from pending instead (the MAX_DELIVERIES advisory) and
  stays in the stream. `num_redelivered` counts messages redelivered and not yet acked —
  the server never forgets one that hit max_deliver, and neither does this.
- Pull requests wait in a queue and are served one message at a time in turn (a request
  with room left goes to the back), as the server's wait queue does.
- Looking for the next message moves `sseq` past everything the filter skips, up to the
  stream's last sequence, as the server's scan does; a consumer is only woken by
  messages its filter matches, so the jump happens when it next looks.

Leaves out backoff, flow control, heartbeats, rate limits, replay original, headers
only, max_waiting and request expiry (a waiting request lasts until filled or until its
worker stops).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from brokers.clock import Clock, Timer
from brokers.events import Emit
from brokers.nats import events as ev
from brokers.nats import subjects as subj
from brokers.nats.stream import StoredMsg, Stream
from brokers.nats.validation import ConsumerConfig


class ConsumerHost(Protocol):
    """What a consumer uses of its server (`NatsServer` satisfies it): the clock, the log,
    and a kick when a redelivery is due."""

    clock: Clock
    emit: Emit

    def kick(self, c: Consumer) -> None: ...


class Puller(Protocol):
    """The worker behind a pull request, as the request names it."""

    name: str


EPSILON = 1e-9


@dataclass(eq=False, slots=True)
class Delivery:
    """One delivery of a stored message to a consumer (what the worker holds)."""

    consumer: Consumer
    stored: StoredMsg
    consumer_seq: int
    num_delivered: int
    num_pending: int

    @property
    def stream_seq(self) -> int:
        return self.stored.seq


@dataclass(eq=False, slots=True)
class PullRequest:
    worker: Puller
    remaining: int


class Consumer:
    """One consumer on one stream; its owner (`NatsServer`) wires workers and retention."""

    def __init__(self, server: ConsumerHost, stream: Stream, config: ConsumerConfig) -> None:
        self.server = server
        self.stream = stream
        self.config = config
        self.created = server.clock.now
        self.dseq = 1
        self.sseq = 1
        self.adflr = 0
        self.asflr = 0
        self.pending: dict[int, list[Any]] = {}  # sseq -> [first dseq, time, why]
        self.rdc: dict[int, int] = {}  # sseq -> deliveries so far, once redelivered
        self.rdq: deque[int] = deque()
        self.rdq_set: set[int] = set()
        self.dmap: dict[int, int] = {}  # dseq -> sseq of unsettled deliveries
        self.dseqs: dict[int, list[int]] = {}  # sseq -> its unsettled deliveries' dseqs
        self.waiting: deque[PullRequest] = deque()
        # name -> brokers.nats.workers.Worker; the server starts and stops them
        self.workers: dict[str, Any] = {}
        self.lps: deque[int] = deque()
        self.timer: Timer | None = None
        self.idle_timer: Timer | None = None
        self._kicked = False
        self._filter_all = self._covers_stream()
        self._start()

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def filter(self) -> str | None:
        return None if self._filter_all else self.config.filter_subject

    def _covers_stream(self) -> bool:
        f = self.config.filter_subject
        return f is None or all(subj.subset(s, f) for s in self.stream.config.subjects)

    def reconfigured(self, config: ConsumerConfig) -> None:
        self.config = config
        self._filter_all = self._covers_stream()

    # -- where to start --------------------------------------------------------------
    def _start(self) -> None:
        cfg, stream = self.config, self.stream
        policy = cfg.deliver_policy
        last = stream.last_seq
        if policy == "all":
            seq: int | None = stream.first_seq
        elif policy == "new":
            seq = last + 1
        elif policy == "last":
            seq = stream.last_seq_on(self.filter)
        elif policy == "last_per_subject":
            self.lps.extend(stream.last_per_subject(cfg.filter_subject or ">"))
            seq = self.lps[0] if self.lps else None
        elif policy == "by_start_sequence":
            seq = min(cfg.opt_start_seq or 1, last + 1)
        else:
            seq = stream.first_at_or_after(cfg.opt_start_time or 0.0)
        self.sseq = last + 1 if seq is None else max(seq, 1)

    # -- what there is to deliver ----------------------------------------------------
    def num_pending(self) -> int:
        """Messages on the filter not delivered yet (`nats consumer info` "Unprocessed")."""
        if self.lps:
            live = [s for s in self.lps if s in self.stream.msgs]
            return len(live) + self.stream.count_from(self.lps[-1] + 1, self.filter)
        return self.stream.count_from(self.sseq, self.filter)

    def _next_new(self) -> StoredMsg | None:
        msgs = self.stream.msgs
        while self.lps:
            seq = self.lps.popleft()
            if seq in msgs:
                if not self.lps:
                    self.sseq = seq + 1
                else:
                    self.sseq = seq
                return msgs[seq]
        seq = self.stream.next_seq(self.sseq, self.filter)
        if seq is None:
            # the scan passed every stored message: the server's cursor moves past them
            self.sseq = max(self.sseq, self.stream.last_seq + 1)
            return None
        self.sseq = seq + 1
        return msgs[seq]

    def has_new(self) -> bool:
        if self.lps:
            return True
        return self.stream.next_seq(self.sseq, self.filter) is not None

    def take(self) -> tuple[StoredMsg, int, str] | None:
        """The next message to deliver with its delivery count and why, or None."""
        msgs, cfg = self.stream.msgs, self.config
        while self.rdq:
            seq = self.rdq.popleft()
            self.rdq_set.discard(seq)
            entry = self.pending.get(seq)
            if entry is None:
                continue
            stored = msgs.get(seq)
            if stored is None:
                self._forget(seq)
                continue
            count = self.rdc.get(seq, 1) + 1
            self.rdc[seq] = count
            if 0 < cfg.max_deliver < count:
                if count == cfg.max_deliver + 1:
                    self._max_deliveries(stored, count - 1)
                self._forget(seq, keep_rdc=True)
                continue
            return stored, count, f"redelivery #{count - 1}: {entry[2]}"
        if cfg.ack_policy != "none" and 0 < cfg.max_ack_pending <= len(self.pending):
            return None
        stored = self._next_new()
        if stored is None:
            return None
        return stored, 1, ""

    def deliverable(self) -> bool:
        if self.rdq:
            return True
        cfg = self.config
        if cfg.ack_policy != "none" and 0 < cfg.max_ack_pending <= len(self.pending):
            return False
        return self.has_new()

    def record(self, stored: StoredMsg, count: int, reason: str) -> Delivery:
        """Account for one delivery of `stored` (count 1 for the first time)."""
        dseq = self.dseq
        self.dseq += 1
        seq = stored.seq
        now = self.server.clock.now
        if self.config.ack_policy == "none":
            self.adflr, self.asflr = dseq, seq
        else:
            entry = self.pending.get(seq)
            if entry is None:
                self.pending[seq] = [dseq, now, f"no ack within ack_wait {self.config.ack_wait:g}s"]
            else:
                entry[1] = now
                entry[2] = f"no ack within ack_wait {self.config.ack_wait:g}s"
            self.dmap[dseq] = seq
            known = self.dseqs.get(seq)
            if known is None:
                self.dseqs[seq] = [dseq]
            else:
                known.append(dseq)
            if self.timer is None:
                self.timer = self.server.clock.schedule(self.config.ack_wait, self._check)
        return Delivery(self, stored, dseq, count, self.num_pending())

    def why(self, stored: StoredMsg, count: int, base: str) -> str:
        if count > 1:
            return base
        f = self.config.filter_subject
        where = (
            f"filter {subj.why_matches(f, stored.subject)}"
            if f is not None
            else f"no filter: every subject of stream {self.stream.name}"
        )
        return f"next message for {self.name} at stream seq {stored.seq} ({where})"

    # -- acks ------------------------------------------------------------------------
    def settle(self, seq: int, dseq: int, kind: str) -> tuple[int, ...]:
        """Apply an ack or term for the delivery (seq, dseq); returns the stream seqs it
        settled (empty when none was pending)."""
        if self.config.ack_policy == "all" and kind == "ack":
            return self._ack_all(seq, dseq)
        entry = self.pending.pop(seq, None)
        if entry is None:
            return ()
        first = entry[0]
        if not self.pending:
            self.adflr, self.asflr = self.dseq - 1, self.sseq - 1
        elif first == self.adflr + 1:
            self.adflr, self.asflr = first, seq
            for ss in range(seq + 1, self.sseq):
                nxt = self.pending.get(ss)
                if nxt is not None:
                    self.adflr, self.asflr = nxt[0] - 1, ss - 1
                    break
        self.rdc.pop(seq, None)
        self._drop_from_rdq(seq)
        self._drop_dmap(seq)
        return (seq,)

    def _ack_all(self, seq: int, dseq: int) -> tuple[int, ...]:
        if seq <= self.asflr:
            return ()
        covered = tuple(sorted(s for s in self.pending if s <= seq))
        for s in covered:
            del self.pending[s]
            self.rdc.pop(s, None)
            self._drop_from_rdq(s)
            self._drop_dmap(s)
        self.adflr, self.asflr = dseq, seq
        if not self.pending:
            self.adflr, self.asflr = self.dseq - 1, self.sseq - 1
        return covered

    def nak(self, seq: int, delay: float) -> bool:
        entry = self.pending.get(seq)
        if entry is None:
            return False
        if delay > 0:
            wait = self.config.ack_wait
            entry[1] = self.server.clock.now - wait + delay
            entry[2] = f"nak with delay {delay:g}s"
            self._arm_before(entry[1] + wait)
        elif seq not in self.rdq_set:
            entry[2] = "nak: redeliver now"
            self.rdq.append(seq)
            self.rdq_set.add(seq)
        return True

    def in_progress(self, seq: int) -> bool:
        entry = self.pending.get(seq)
        if entry is None:
            return False
        entry[1] = self.server.clock.now
        return True

    def needs(self, stored: StoredMsg) -> bool:
        """Whether this consumer still has to see or ack `stored` (interest retention)."""
        f = self.config.filter_subject
        if f is not None and not subj.matches(f, stored.subject):
            return False
        seq = stored.seq
        if seq <= self.asflr:
            return False
        return seq in self.pending or seq >= self.sseq or seq in self.lps

    def interested_in(self, subject: str) -> bool:
        f = self.config.filter_subject
        return f is None or subj.matches(f, subject)

    # -- redelivery ------------------------------------------------------------------
    def _check(self) -> None:
        """The ack_wait check: queue expired deliveries for redelivery, arm the next."""
        self.timer = None
        now, wait, msgs = self.server.clock.now, self.config.ack_wait, self.stream.msgs
        expired, gone = [], []
        for seq, entry in self.pending.items():
            if seq not in msgs:
                gone.append(seq)
            elif entry[1] + wait <= now + EPSILON and seq not in self.rdq_set:
                expired.append(seq)
        for seq in gone:
            self._forget(seq, keep_rdc=True)
        if expired:
            expired.sort()
            off = now - self.pending[expired[0]][1]
            for seq in expired:
                entry = self.pending[seq]
                entry[1] += off
                self.rdq.append(seq)
                self.rdq_set.add(seq)
                self.server.emit(
                    ev.JsRedeliveryDue(
                        t=now,
                        msg=msgs[seq].msg,
                        stream=self.stream.name,
                        consumer=self.name,
                        stream_seq=seq,
                        reason=entry[2],
                    )
                )
        if self.pending:
            # as the server does: the soonest deadline still to come, else one ack_wait on
            # (messages waiting on the redelivery queue are not due again)
            deadline = min(
                (e[1] + wait for s, e in self.pending.items() if s not in self.rdq_set),
                default=now + wait,
            )
            self.timer = self.server.clock.at(max(deadline, now + EPSILON), self._check)
        if expired:
            self.server.kick(self)

    def _arm_before(self, deadline: float) -> None:
        if self.timer is not None and self.timer.time <= deadline:
            return
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self.server.clock.at(deadline, self._check)

    def _max_deliveries(self, stored: StoredMsg, deliveries: int) -> None:
        self.server.emit(
            ev.JsMaxDeliveries(
                t=self.server.clock.now,
                msg=stored.msg,
                stream=self.stream.name,
                consumer=self.name,
                stream_seq=stored.seq,
                deliveries=deliveries,
                reason=f"delivered {deliveries} times = max_deliver: {self.name} stops trying; "
                "the message stays in the stream",
            )
        )

    def _forget(self, seq: int, keep_rdc: bool = False) -> None:
        self.pending.pop(seq, None)
        if not keep_rdc:
            self.rdc.pop(seq, None)
        self._drop_from_rdq(seq)
        self._drop_dmap(seq)

    def _drop_from_rdq(self, seq: int) -> None:
        if seq in self.rdq_set:
            self.rdq_set.discard(seq)
            self.rdq.remove(seq)

    def _drop_dmap(self, seq: int) -> None:
        for d in self.dseqs.pop(seq, ()):
            self.dmap.pop(d, None)

    def purged(self) -> None:
        """The stream dropped messages below its new first sequence: catch up."""
        first = self.stream.first_seq
        if self.sseq < first:
            self.sseq = first
        for seq in [s for s in self.pending if s < first]:
            self._forget(seq)
        if self.asflr < first - 1:
            self.asflr, self.adflr = first - 1, self.dseq - 1

    def cancel_timers(self) -> None:
        for timer in (self.timer, self.idle_timer):
            if timer is not None:
                timer.cancel()
        self.timer = self.idle_timer = None

    # -- state -----------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return {
            "stream_name": self.stream.name,
            "name": self.name,
            "config": self.config.to_dict(),
            "created": self.created,
            "delivered": {"consumer_seq": self.dseq - 1, "stream_seq": self.sseq - 1},
            "ack_floor": {"consumer_seq": self.adflr, "stream_seq": self.asflr},
            "num_ack_pending": len(self.pending),
            "num_redelivered": len(self.rdc),
            "num_waiting": len(self.waiting),
            "num_pending": self.num_pending(),
        }
