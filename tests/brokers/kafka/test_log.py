"""Retention deletes whole closed segments and moves the log start; compaction keeps the latest."""

import pytest


def fill(sim, topic, n, key=None, every=0.0, value="x" * 80):
    msgs = []
    for i in range(n):
        msgs.append(sim.kafka.send(topic, value, key=key(i) if key else None, partition=0))
        sim.run(every)
    return msgs


def test_segments_roll_on_segment_bytes(sim):
    """A batch that would overflow segment.bytes starts a new segment."""
    sim.kafka.create_topic("t", 1, 1, {"segment.bytes": 250})
    fill(sim, "t", 6)
    p = sim.partition("t", 0)
    assert [s.base_offset for s in p.log.segments] == [0, 2, 4]
    assert len(sim.events("segment_rolled")) == 2


def test_retention_bytes_deletes_oldest_closed_segments_and_moves_the_log_start(sim):
    """retention.bytes: whole segments go, oldest first, the log start moves to the next one."""
    sim.kafka.create_topic("t", 1, 1, {"segment.bytes": 250, "retention.bytes": 250})
    fill(sim, "t", 7)
    p = sim.partition("t", 0)
    assert p.log.log_start == 4
    deleted = sim.events("retention_deleted")
    assert [e.segments for e in deleted] == [[0], [2]]
    assert deleted[-1].log_start == 4


def test_retention_ms_deletes_expired_segments_the_active_one_included(sim):
    """retention.ms: every segment whose newest record expired goes, the active one too."""
    sim.kafka.create_topic("t", 1, 1, {"segment.bytes": 250, "retention.ms": 10_000})
    fill(sim, "t", 5, every=1.0)
    sim.run(60)
    p = sim.partition("t", 0)
    assert [s.base_offset for s in p.log.segments] == [5] and p.log.record_count() == 0
    assert (p.log.log_start, p.log.log_end) == (5, 5)
    assert [e.segments for e in sim.events("retention_deleted")] == [[0], [2], [4]]
    assert sim.events("retention_deleted")[-1].reason.startswith("retention.ms=10000")


def test_an_expired_active_segment_is_rolled_then_deleted_on_time(sim):
    """Kafka 4.4 (checked): the only, active segment expires; a new one is rolled at the end."""
    sim.kafka.create_topic("t", 1, 1, {"retention.ms": 10_000})
    fill(sim, "t", 3, every=1.0)
    p = sim.partition("t", 0)
    sim.clock.run(until=12.0)
    assert p.log.log_start == 0 and sim.events("retention_deleted") == []
    sim.clock.run(until=12.1)
    assert (p.log.log_start, p.log.log_end, p.log.record_count()) == (3, 3, 0)
    rolled = sim.events("segment_rolled")[-1]
    assert (rolled.base_offset, rolled.t) == (3, sim.events("retention_deleted")[0].t)
    assert "active segment" in rolled.reason
    sim.kafka.send("t", "x", partition=0)
    assert [(r.offset, r.msg) for r in p.log.active.records] == [(3, "k4")]


def test_an_expired_active_segment_waits_until_the_high_watermark_reaches_the_log_end(sim):
    """Kafka deletes only below the high watermark: followers must fetch the record first."""
    sim.kafka.create_topic("t", 1, 3, {"retention.ms": 1000})
    sim.kafka.add_producer("p", acks=1, enable_idempotence=False)
    sim.run(5)
    sim.kafka.send("t", "old", producer="p", timestamp_ms=0)
    p = sim.partition("t", 0)
    assert (p.hw, p.log.log_end, p.log.log_start) == (0, 1, 0)
    sim.run(0.005)
    assert p.log.log_start == 0
    sim.run(0.01)
    assert (p.hw, p.log.log_start) == (1, 1)
    assert sim.events("retention_deleted")[0].t == pytest.approx(5.01)


def test_a_consumer_below_the_log_start_falls_back_on_auto_offset_reset(sim):
    """A committed offset deleted by retention is out of range: auto.offset.reset applies."""
    sim.kafka.create_topic("t", 1, 1, {"segment.bytes": 250, "retention.bytes": 250})
    sim.kafka.reset_offsets("g", "t", "earliest")
    fill(sim, "t", 7)
    sim.kafka.add_member("g", ["t"], auto_offset_reset="earliest")
    sim.run(1)
    reset = sim.events("offset_reset")[-1]
    assert reset.offset == 4 and "committed offset 0 is out of range [4, 7]" in reset.reason


def test_compaction_keeps_the_latest_value_per_key_and_leaves_offset_gaps(sim):
    """cleanup.policy=compact: older values of a key go from closed segments; offsets keep gaps."""
    sim.kafka.create_topic("t", 1, 1, {"cleanup.policy": "compact", "segment.bytes": 300})
    keys = ["a", "b", "a", "c", "a", "b", "d", "d"]
    fill(sim, "t", len(keys), key=lambda i: keys[i])
    p = sim.partition("t", 0)
    remaining = [(r.offset, r.key) for s in p.log.segments for r in s.records]
    assert remaining == [(3, b"c"), (4, b"a"), (5, b"b"), (6, b"d"), (7, b"d")]
    assert sim.events("compacted")


def test_compaction_never_touches_the_active_segment(sim):
    """Duplicates inside the active segment survive until it closes."""
    sim.kafka.create_topic("t", 1, 1, {"cleanup.policy": "compact"})
    fill(sim, "t", 4, key=lambda i: "same")
    assert sim.partition("t", 0).log.record_count() == 4
    assert sim.events("compacted") == []


def test_tombstones_delete_a_key_after_delete_retention_ms(sim):
    """A null value removes the key's older records, and goes itself after delete.retention.ms."""
    sim.kafka.create_topic(
        "t",
        1,
        1,
        {"cleanup.policy": "compact", "segment.bytes": 150, "delete.retention.ms": 1000},
    )
    sim.kafka.send("t", "v", key="k", partition=0)
    sim.kafka.send("t", None, key="k", partition=0)
    sim.run(5)
    for i in range(4):
        sim.kafka.send("t", "v", key=f"other{i}", partition=0)
    keys = [r.key for s in sim.partition("t", 0).log.segments for r in s.records]
    assert b"k" not in keys
    assert sum(e.tombstones_removed for e in sim.events("compacted")) == 1


@pytest.mark.parametrize("policy", ["delete", "compact"])
def test_a_compacted_topic_refuses_null_keys_only_when_compact(sim, policy):
    """Records on a compact-only topic need a key."""
    from brokers.errors import ValidationError

    sim.kafka.create_topic("t", 1, 1, {"cleanup.policy": policy})
    if policy == "compact":
        with pytest.raises(ValidationError):
            sim.kafka.send("t", "v")
    else:
        sim.kafka.send("t", "v")


def test_segments_roll_on_segment_ms_at_the_next_append(sim):
    """segment.ms: a write after the active segment's age passed it starts a new segment."""
    sim.kafka.create_topic("t", 1, 1, {"segment.ms": 5000})
    fill(sim, "t", 3, every=2.0)
    p = sim.partition("t", 0)
    assert [s.base_offset for s in p.log.segments] == [0]
    sim.kafka.send("t", "late", partition=0)
    assert [s.base_offset for s in p.log.segments] == [0, 3]
    assert sim.events("segment_rolled")[-1].reason == "segment.ms=5000 elapsed"


@pytest.mark.parametrize(("second_timestamp", "segments"), [(5000, [0]), (5001, [0, 1])])
def test_segment_ms_compares_record_timestamps_strictly(sim, second_timestamp, segments):
    """Kafka rolls when the new batch's timestamp is more than segment.ms past the first."""
    sim.kafka.create_topic("t", 1, 1, {"segment.ms": 5000})
    sim.kafka.send("t", "a", partition=0, timestamp_ms=0)
    sim.kafka.send("t", "b", partition=0, timestamp_ms=second_timestamp)
    assert [s.base_offset for s in sim.partition("t", 0).log.segments] == segments
