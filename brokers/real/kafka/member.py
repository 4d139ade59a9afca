"""A playground group member as a real `KafkaConsumer` in its own thread.

kafka-python's consumer is not thread-safe, so the thread owns it: it polls, reports
each fetched batch (`Fetched`), processes records for `processing_time` seconds each
(`Processed`, with duplicates the group had processed before), and commits per policy:
`auto` every `auto_commit_interval_ms` (done here rather than inside kafka-python so the
commit is visible as an event), `after` processing each poll's records, `before`
processing them. Other threads reach it through a command queue (poll, commit, seek,
leave, crash). A `ConsumerRebalanceListener` records each assignment; the adapter turns
the members' reports into one `Rebalanced` per generation.

A broker that goes away does not end a member: kafka-python reconnects on its own (within
RECONNECT_BACKOFF_MAX_MS of the broker's return), and a commit the policy makes while the
coordinator is away fails without ending the thread; the next commit covers its offsets
(or, after a rebalance, the partition's new owner reads from the last committed offset
and the records processed twice show as `duplicates`). A commit the user asked for
reports the failure. Leaves out static membership.
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import threading
import time
from typing import Any, Protocol

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from brokers.errors import BrokerError, Disconnected, ValidationError
from brokers.kafka import events as ev
from brokers.real.common import EventSink, Names
from brokers.real.kafka.join_fix import complete_joins_across_polls

ASSIGNORS = {
    "range": RangePartitionAssignor,
    "roundrobin": RoundRobinPartitionAssignor,
    "cooperative-sticky": CooperativeStickyAssignor,
}
MSG_HEADER = "x-bp-msg"
# Every kafka-python client here gives up on an unreachable cluster after this long
# (kafka-python waits 30 s to bootstrap, and a producer 60 s for metadata); a live
# broker answers in milliseconds even on a loaded machine.
BOOTSTRAP_TIMEOUT_MS = 5000
JOIN_GRACE = 10.0  # seconds past the session timeout a manual member may take to join
# kafka-python backs off reconnecting up to 30 s by default: a broker back after a restart
# would wait that long to be noticed. Every client here retries at least once a second.
RECONNECT_BACKOFF_MAX_MS = 1000
COMMIT_TIMEOUT_MS = 5000  # a commit while the coordinator is away gives up after this
RETRY_PAUSE = 0.2  # seconds a member waits after a retriable error before polling again

log = logging.getLogger(__name__)


class _Listener(ConsumerRebalanceListener):
    def __init__(self, member: Member) -> None:
        self.member = member

    def on_partitions_revoked(self, revoked: Any) -> None:
        self.member.on_revoked(revoked)

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.member.on_assigned(assigned)


class MemberOwner(Protocol):
    """What a member asks of the adapter that made it (`KafkaAdapter` is one)."""

    bootstrap: str
    names: Names
    sink: EventSink
    topics: dict[str, dict[str, Any]]

    def mark_processed(
        self, group_id: str | None, tp: tuple[str, int], msgs: list[str]
    ) -> list[str]: ...

    def committed(
        self, group_id: str, member: str, topic: str, partition: int, offset: int, reason: str
    ) -> None: ...

    def member_assigned(self, member: Member) -> None: ...


class Member(threading.Thread):
    """One consumer-group member (or standalone reader when `group_id` is None)."""

    def __init__(self, adapter: MemberOwner, member: str, group_id: str | None, **settings: Any):
        super().__init__(name=f"{adapter.names.prefix}member.{member}", daemon=True)
        self.adapter = adapter
        self.member = member
        self.group_id = group_id
        self.settings = settings
        self.topics: list[str] = settings["topics"]
        self.state = "starting"
        self.assignment: list[tuple[str, int]] = []
        self.generation = -1
        self.fetched = self.processed = 0
        self.commands: queue.Queue = queue.Queue()
        self.ready = threading.Event()
        self.joined = threading.Event()  # set on the first assignment
        self.error: BaseException | None = None
        self.consumer: KafkaConsumer | None = None
        self._last_auto_commit = time.monotonic()

    # -- life ------------------------------------------------------------------------
    def start_and_wait(self, timeout: float = 15.0) -> None:
        """Start the thread and wait until the consumer is subscribed."""
        self.start()
        if not self.ready.wait(timeout):
            raise Disconnected(f"Kafka did not answer within {timeout:.0f}s")
        if self.error is not None:
            raise self.error
        if self.group_id and self.settings["behaviour"] == "manual":
            # a manual member only fetches inside poll(): join now, so the first poll()
            # reads what it was assigned instead of spending its time on the join
            self.joined.wait(self.settings["session_timeout_ms"] / 1000 + JOIN_GRACE)

    def _make_consumer(self) -> KafkaConsumer:
        s = self.settings
        names = self.adapter.names
        session = s["session_timeout_ms"]
        consumer = KafkaConsumer(
            bootstrap_servers=self.adapter.bootstrap,
            client_id=names.real(self.member),
            group_id=names.real(self.group_id) if self.group_id else None,
            enable_auto_commit=False,
            auto_offset_reset=s["auto_offset_reset"],
            max_poll_records=s["max_poll_records"],
            session_timeout_ms=session,
            heartbeat_interval_ms=max(100, min(3000, session // 3)),
            partition_assignment_strategy=[ASSIGNORS[s["partition_assignment_strategy"]]],
            request_timeout_ms=max(30000, session + 5000),
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
            reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
        )
        real_topics = [names.real(t) for t in self.topics]
        if self.group_id:
            complete_joins_across_polls(consumer)
            consumer.subscribe(real_topics, listener=_Listener(self))
            # Fresh metadata after subscribing, so the coordinator's snapshot of the
            # subscribed topics' partitions is known before the first join: a leader that
            # joins without it must rejoin (a second generation) once the metadata arrives.
            consumer.topics()
        else:
            tps = [
                TopicPartition(names.real(t), p)
                for t in self.topics
                for p in range(self.adapter.topics[t]["partitions"])
            ]
            consumer.assign(tps)
            self.assignment = sorted((names.user(tp.topic), tp.partition) for tp in tps)
        return consumer

    def run(self) -> None:
        try:
            self.consumer = self._make_consumer()
        except BaseException as exc:  # noqa: BLE001 - reported to the waiting caller
            self.error = ValidationError(f"could not start consumer: {exc}")
            self.ready.set()
            return
        self.state = "active"
        self.ready.set()
        try:
            while self.state == "active":
                try:
                    self._once()
                except KafkaError as exc:
                    if not exc.retriable:
                        raise
                    # the broker is away or moving: kafka-python reconnects; poll again
                    log.info("member %s: %s; polling again", self.member, exc)
                    time.sleep(RETRY_PAUSE)
        except BaseException as exc:  # noqa: BLE001 - the member dies; the UI shows why
            self.state = "failed"
            self.error = exc
        self._finish()

    def _once(self) -> None:
        """One turn of the member's loop: commands, then a poll (and its processing)."""
        self._commands(0.0 if self.settings["behaviour"] == "auto" else 0.05)
        if self.state != "active":
            return
        if self.settings["behaviour"] == "auto":
            self._poll_and_process(self.settings["max_poll_records"], 100)
            self._maybe_auto_commit()
        else:  # manual: stay in the group, fetch only when asked
            self.consumer.pause(*self.consumer.assignment())
            for tp, records in self.consumer.poll(timeout_ms=50).items():
                self.consumer.seek(tp, records[0].offset)  # not asked for: unread

    def _finish(self) -> None:
        consumer = self.consumer
        if consumer is None:
            return
        if self.state == "crashed":
            _close_without_leaving(consumer)
        else:
            try:
                if self.settings["commit_policy"] == "auto" and self.state == "left":
                    self._commit_positions("auto-commit on close")
                consumer.close(autocommit=False)
            except Exception:  # noqa: BLE001, S110 - closing anyway
                pass
        self._fail_commands()

    # -- commands from other threads ------------------------------------------------------
    def call(self, name: str, *args: Any, timeout: float = 15.0) -> Any:
        """Run a command on the member's thread and wait for its result."""
        if not self.is_alive() or self.state != "active":
            raise ValidationError(f"member '{self.member}' is {self.state}")
        future: concurrent.futures.Future = concurrent.futures.Future()
        self.commands.put((name, args, future))
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise Disconnected(f"member '{self.member}' did not answer in {timeout:.0f}s") from None

    def _commands(self, wait: float) -> None:
        try:
            item = self.commands.get(timeout=wait) if wait else self.commands.get_nowait()
        except queue.Empty:
            return
        while item is not None:
            name, args, future = item
            try:
                future.set_result(getattr(self, f"_cmd_{name}")(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)
            try:
                item = self.commands.get_nowait()
            except queue.Empty:
                item = None

    def _fail_commands(self) -> None:
        while True:
            try:
                _, _, future = self.commands.get_nowait()
            except queue.Empty:
                return
            future.set_exception(ValidationError(f"member '{self.member}' is {self.state}"))

    def _cmd_poll(self, max_records: int | None) -> list[dict[str, Any]]:
        self.consumer.resume(*self.consumer.assignment())
        try:
            deadline = time.monotonic() + 2.0
            while True:
                out = self._poll_and_process(max_records or self.settings["max_poll_records"], 200)
                if out or time.monotonic() > deadline:
                    return out
        finally:
            self.consumer.pause(*self.consumer.assignment())

    def _cmd_commit(self, offsets: dict[tuple[str, int], int] | None) -> None:
        if offsets is None:
            self._commit_positions("commit", asked=True)
            return
        self._commit({tp: off for tp, off in offsets.items()}, "commit", asked=True)

    def _cmd_seek(self, topic: str, partition: int, offset: int) -> None:
        if (topic, partition) not in self.assignment:
            raise ValidationError(
                f"partition {topic}-{partition} is not assigned to member '{self.member}'"
            )
        self.consumer.seek(TopicPartition(self.adapter.names.real(topic), partition), offset)
        self.adapter.sink.emit(
            ev.OffsetReset,
            group=self.group_id,
            member=self.member,
            topic=topic,
            partition=partition,
            offset=offset,
            reason=f"seek to {offset}",
        )

    def _cmd_leave(self) -> None:
        self.state = "left"

    def _cmd_crash(self) -> None:
        self.state = "crashed"

    # -- the poll loop ----------------------------------------------------------------------
    def _poll_and_process(self, max_records: int, timeout_ms: int) -> list[dict[str, Any]]:
        batches = self.consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
        out: list[dict[str, Any]] = []
        if not batches:
            return out
        names = self.adapter.names
        fetched: list[tuple[tuple[str, int], list[Any]]] = []
        for tp, records in sorted(batches.items(), key=lambda kv: (kv[0].topic, kv[0].partition)):
            topic = names.user(tp.topic)
            msgs = [_msg_of(r) for r in records]
            self.fetched += len(records)
            self.adapter.sink.emit(
                ev.Fetched,
                group=self.group_id,
                member=self.member,
                topic=topic,
                partition=tp.partition,
                from_offset=records[0].offset,
                to_offset=records[-1].offset,
                msgs=msgs,
            )
            fetched.append(((topic, tp.partition), records))
            out.extend(_record_dict(topic, r) for r in records)
        policy = self.settings["commit_policy"]
        if self.settings["behaviour"] == "manual":
            return out
        if policy == "before":
            self._commit({tp: rs[-1].offset + 1 for tp, rs in fetched}, "commit before processing")
        for tp, records in fetched:
            self._process(tp, records)
            if self.state != "active":
                return out  # crashed or left while processing: no commit for the rest
        if policy == "after":
            self._commit({tp: rs[-1].offset + 1 for tp, rs in fetched}, "commit after processing")
        return out

    def _process(self, tp: tuple[str, int], records: list[Any]) -> None:
        pt = self.settings["processing_time"]
        groups = [records] if pt <= 0 else [[r] for r in records]
        for chunk in groups:
            if pt > 0:
                deadline = time.monotonic() + pt
                while time.monotonic() < deadline and self.state == "active":
                    self._commands(min(0.05, max(0.0, deadline - time.monotonic())))
                if self.state != "active":
                    return
            offsets = [r.offset for r in chunk]
            msgs = [_msg_of(r) for r in chunk]
            dups = self.adapter.mark_processed(self.group_id, tp, msgs)
            self.processed += len(chunk)
            self.adapter.sink.emit(
                ev.Processed,
                group=self.group_id,
                member=self.member,
                topic=tp[0],
                partition=tp[1],
                offsets=offsets,
                msgs=msgs,
                duplicates=dups,
            )

    def _maybe_auto_commit(self) -> None:
        if self.settings["commit_policy"] != "auto" or not self.group_id:
            return
        now = time.monotonic()
        if (now - self._last_auto_commit) * 1000 >= self.settings["auto_commit_interval_ms"]:
            self._last_auto_commit = now
            self._commit_positions("auto-commit")

    def _commit_positions(self, reason: str, asked: bool = False) -> None:
        if not self.group_id:
            return
        names = self.adapter.names
        positions = {}
        for topic, partition in self.assignment:
            tp = TopicPartition(names.real(topic), partition)
            try:
                positions[(topic, partition)] = self.consumer.position(tp, timeout_ms=2000)
            except Exception:  # noqa: BLE001 - no position yet: nothing to commit
                continue
        self._commit({k: p for k, p in positions.items() if p is not None}, reason, asked)

    def _commit(self, offsets: dict[tuple[str, int], int], reason: str, asked=False) -> None:
        """Commit `offsets`; a failed commit the policy made is skipped (see the module
        docstring), one the user `asked` for raises a BrokerError saying why."""
        if not self.group_id or not offsets:
            return
        names = self.adapter.names
        real = {
            TopicPartition(names.real(t), p): OffsetAndMetadata(off, "", -1)
            for (t, p), off in offsets.items()
        }
        try:
            self.consumer.commit(real, timeout_ms=COMMIT_TIMEOUT_MS)
        except KafkaError as exc:
            why = f"{type(exc).__name__}: {exc}"
            if asked:
                cls = Disconnected if exc.retriable else BrokerError
                raise cls(f"Kafka refused the commit of member '{self.member}' ({why})") from None
            log.info("member %s: %s failed (%s); the next one covers it", self.member, reason, why)
            return
        for (topic, partition), offset in sorted(offsets.items()):
            self.adapter.committed(self.group_id, self.member, topic, partition, offset, reason)

    # -- rebalance listener (runs inside poll, on this thread) -----------------------------
    def on_revoked(self, revoked: Any) -> None:
        if self.settings["commit_policy"] == "auto" and self.state == "active":
            try:
                self._commit_positions("auto-commit before rebalance")
            except Exception:  # noqa: BLE001, S110 - the group moved on; Kafka will tell
                pass

    def on_assigned(self, assigned: Any) -> None:
        names = self.adapter.names
        current = self.consumer.assignment()  # cooperative rebalances pass only the new ones
        self.assignment = sorted((names.user(tp.topic), tp.partition) for tp in current)
        if self.settings["behaviour"] == "manual":
            self.consumer.pause(*current)
        meta = self.consumer._coordinator.group_metadata()  # generation and member id
        self.generation = meta.generation_id
        self.adapter.member_assigned(self)
        self.joined.set()

    def describe(self) -> dict[str, Any]:
        """The member as the live view draws it."""
        return {
            "member": self.member,
            "state": self.state,
            "assignment": [list(tp) for tp in self.assignment],
            "fetched": self.fetched,
            "processed": self.processed,
        }


def _msg_of(record: Any) -> str:
    for key, value in record.headers or []:
        if key == MSG_HEADER:
            return value.decode() if isinstance(value, bytes) else str(value)
    return f"ext-{record.partition}-{record.offset}"


def _record_dict(topic: str, r: Any) -> dict[str, Any]:
    return {
        "msg": _msg_of(r),
        "topic": topic,
        "partition": r.partition,
        "offset": r.offset,
        "key": r.key,
        "value": r.value,
        "headers": [(k, v) for k, v in (r.headers or []) if k != MSG_HEADER],
        "timestamp": r.timestamp,
    }


def _close_without_leaving(consumer: KafkaConsumer) -> None:
    """Drop the connections as a killed process would: no commit, no LeaveGroup."""
    coordinator = consumer._coordinator
    try:
        coordinator._close_heartbeat()
    except Exception:  # noqa: BLE001, S110 - best effort, the process "died"
        pass
    try:
        consumer._closed = True
        consumer._client.close()
    except Exception:  # noqa: BLE001, S110
        pass
