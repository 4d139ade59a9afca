"""One partition's log: records in segments, retention by time and bytes, compaction.

Offsets grow by one per record and never change; the log start moves up when retention
deletes whole segments below the high watermark. The active (last) segment goes too once
it has expired and the high watermark has reached the log end: Kafka rolls a new empty
segment first (checked on Kafka 4.4), so the log start becomes the log end. Compaction
(the cleaner) keeps the latest record per key in the closed segments, leaving gaps in
offsets, and drops tombstones (null values) once `delete.retention.ms` has passed since
they were written. Plain data: no clock, no events; callers pass the time in ms.
Leaves out indexes, transactions and control records, `min.cleanable.dirty.ratio` and
`min.compaction.lag.ms` (the cleaner runs whenever a segment closes), segment jitter,
and merging small segments. Sizes are approximate (see `RECORD_OVERHEAD`).
"""

from __future__ import annotations

import bisect
from typing import Any, NamedTuple

RECORD_OVERHEAD = 20  # bytes per record beyond key, value and headers (approximate)


class Retained(NamedTuple):
    """What one retention pass did: deleted segments, why, whether it rolled or waited."""

    segments: list[Segment]
    reason: str
    rolled: bool  # every segment went, so a new empty active segment was rolled first
    blocked: bool  # an expired segment waits for the high watermark to reach its end


class Record:
    """One record in the log."""

    __slots__ = ("offset", "key", "value", "headers", "timestamp", "msg", "size")

    def __init__(
        self,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        timestamp: int,
        msg: str,
    ) -> None:
        self.offset = -1
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.msg = msg
        self.size = RECORD_OVERHEAD + len(key or b"") + len(value or b"")
        for name, data in headers:
            self.size += len(name) + len(data)

    def to_dict(self, topic: str, partition: int) -> dict[str, Any]:
        """The record as a consumer sees it."""
        return {
            "topic": topic,
            "partition": partition,
            "offset": self.offset,
            "key": self.key,
            "value": self.value,
            "headers": list(self.headers),
            "timestamp": self.timestamp,
            "msg": self.msg,
        }


class Segment:
    """A run of records; the last segment of a log is the active one."""

    __slots__ = ("base_offset", "offsets", "records", "size", "created", "max_timestamp")

    def __init__(self, base_offset: int, created: float) -> None:
        self.base_offset = base_offset
        self.offsets: list[int] = []
        self.records: list[Record] = []
        self.size = 0
        self.created = created
        self.max_timestamp = -1

    def add(self, record: Record) -> None:
        self.offsets.append(record.offset)
        self.records.append(record)
        self.size += record.size
        if record.timestamp > self.max_timestamp:
            self.max_timestamp = record.timestamp


class PartitionLog:
    """Segments of records with a log start offset and a log end offset."""

    def __init__(self, now: float = 0.0) -> None:
        self.segments: list[Segment] = [Segment(0, now)]
        self.log_start = 0
        self.log_end = 0  # the offset the next record gets
        self.size = 0

    @property
    def active(self) -> Segment:
        return self.segments[-1]

    def append(
        self, records: list[Record], now: float, segment_bytes: int, segment_ms: int
    ) -> str | None:
        """Give the records offsets and add them; returns why a segment rolled, if it did."""
        active, rolled = self.active, None
        batch = sum(r.size for r in records)
        if active.records:
            if active.size + batch > segment_bytes:
                rolled = f"segment.bytes={segment_bytes} reached"
            elif max(r.timestamp for r in records) - active.records[0].timestamp > segment_ms:
                # Kafka's timeWaitedForRoll: record timestamps, not the wall clock
                rolled = f"segment.ms={segment_ms} elapsed"
            if rolled:
                active = Segment(self.log_end, now)
                self.segments.append(active)
        elif not active.offsets:
            active.created = now
            active.base_offset = self.log_end
        for record in records:
            record.offset = self.log_end
            self.log_end += 1
            active.add(record)
        self.size += batch
        return rolled

    def read(self, offset: int, max_records: int, upto: int) -> list[Record]:
        """Records with offset >= `offset` and < `upto`, at most `max_records`."""
        out: list[Record] = []
        bases = [s.base_offset for s in self.segments]
        i = max(0, bisect.bisect_right(bases, offset) - 1)
        for segment in self.segments[i:]:
            j = bisect.bisect_left(segment.offsets, offset)
            for record in segment.records[j:]:
                if record.offset >= upto or len(out) >= max_records:
                    return out
                out.append(record)
        return out

    def offset_for_timestamp(self, timestamp: int) -> int:
        """The first offset whose timestamp is >= `timestamp`, else the log end."""
        for segment in self.segments:
            if segment.max_timestamp < timestamp:
                continue
            for record in segment.records:
                if record.timestamp >= timestamp:
                    return record.offset
        return self.log_end

    def truncate(self, offset: int) -> list[Record]:
        """Drop every record at or above `offset` (an unclean or diverged leader)."""
        lost: list[Record] = []
        while self.segments:
            segment = self.active
            j = bisect.bisect_left(segment.offsets, offset)
            lost[:0] = segment.records[j:]
            del segment.records[j:], segment.offsets[j:]
            segment.size = sum(r.size for r in segment.records)
            if segment.records or len(self.segments) == 1 or segment.base_offset < offset:
                break
            self.segments.pop()
        self.log_end = max(min(self.log_end, offset), self.log_start)
        self.size = sum(s.size for s in self.segments)
        return lost

    def delete_retained(
        self, now_ms: float, retention_ms: int, retention_bytes: int, hw: int
    ) -> Retained:
        """Delete the oldest segments past retention, as Kafka's `deletableSegments` does.

        Segments go oldest first while the predicate holds and every offset in them is
        below the high watermark. The active segment counts too (unless empty): when it
        is deleted, Kafka first rolls a new empty one, so the log start becomes the log end.
        """
        doomed: list[Segment] = []
        blocked = False
        reason = ""

        def take(predicate: Any, why: str) -> None:
            nonlocal blocked, reason
            for i in range(len(doomed), len(self.segments)):
                segment = self.segments[i]
                last = i == len(self.segments) - 1
                if last and not segment.records or not predicate(segment):
                    return
                if hw < (self.log_end if last else self.segments[i + 1].base_offset):
                    blocked = True
                    return
                doomed.append(segment)
                reason = reason or why

        if retention_ms >= 0:
            take(
                lambda seg: now_ms - seg.max_timestamp > retention_ms,
                f"retention.ms={retention_ms}: newest record older than that",
            )
        if retention_bytes >= 0:
            excess = self.size - sum(s.size for s in doomed) - retention_bytes

            def too_big(seg: Segment) -> bool:
                nonlocal excess
                if excess - seg.size < 0:
                    return False
                excess -= seg.size
                return True

            take(too_big, f"retention.bytes={retention_bytes}: log too large")
        rolled = bool(doomed) and len(doomed) == len(self.segments)
        if rolled:
            self.segments.append(Segment(self.log_end, now_ms / 1000))
        if doomed:
            del self.segments[: len(doomed)]
            self.size -= sum(s.size for s in doomed)
            self.log_start = max(self.log_start, self.segments[0].base_offset)
        return Retained(doomed, reason, rolled, blocked)

    def compact(self, now_ms: float, delete_retention_ms: int) -> tuple[list[Record], int]:
        """Clean closed segments: keep the latest record per key; return (removed, tombstones)."""
        closed = self.segments[:-1]
        latest: dict[bytes, int] = {}
        for segment in closed:
            for record in segment.records:
                if record.key is not None:
                    latest[record.key] = record.offset
        removed: list[Record] = []
        tombstones = 0
        for segment in closed:
            keep = []
            for record in segment.records:
                if record.key is None:
                    keep.append(record)
                elif latest[record.key] != record.offset:
                    removed.append(record)
                elif record.value is None and now_ms - record.timestamp > delete_retention_ms:
                    removed.append(record)
                    tombstones += 1
                else:
                    keep.append(record)
            if len(keep) != len(segment.records):
                segment.records = keep
                segment.offsets = [r.offset for r in keep]
                segment.size = sum(r.size for r in keep)
        self.segments = [s for s in closed if s.records] + [self.active]
        self.size = sum(s.size for s in self.segments)
        return removed, tombstones

    def oldest_timestamp(self) -> int | None:
        """The max timestamp of the oldest segment (when it may expire), if it has records."""
        return self.segments[0].max_timestamp if self.segments[0].records else None

    def record_count(self) -> int:
        return sum(len(s.records) for s in self.segments)
