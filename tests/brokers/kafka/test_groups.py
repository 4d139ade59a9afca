"""Consumer groups: order, fan-out to groups, rebalances, idle members, commit policies."""

import itertools

import pytest

from brokers.errors import NotFound, ResourceLocked, ValidationError


def produce(sim, n, topic="t", key=lambda i: f"key{i % 7}"):
    return [sim.kafka.send(topic, f"v{i}", key=key(i)) for i in range(n)]


def test_each_partition_is_read_in_offset_order(sim):
    """Per-partition order: a member sees each partition's offsets ascending."""
    sim.kafka.create_topic("t", 4)
    sim.kafka.add_member("g", ["t"], auto_offset_reset="earliest", max_poll_records=3)
    produce(sim, 60)
    sim.run(2)
    for p in range(4):
        offsets = [off for _, part, off, _ in sim.processed("g") if part == p]
        assert offsets == list(range(sim.partition("t", p).log.log_end))


def test_every_group_sees_every_record_while_members_of_one_group_split_them(sim):
    """Two groups each get all records; inside a group each record goes to one member."""
    sim.kafka.create_topic("t", 6)
    for group in ("g1", "g2"):
        for _ in range(3):
            sim.kafka.add_member(group, ["t"], auto_offset_reset="earliest")
    msgs = produce(sim, 90)
    sim.run(2)
    for group in ("g1", "g2"):
        seen = sim.processed(group)
        assert sorted(m for *_, m in seen) == sorted(msgs)
        assert len({member for member, *_ in seen}) == 3


def test_more_members_than_partitions_leaves_members_idle(sim):
    """With 3 members on 2 partitions one member gets nothing."""
    sim.kafka.create_topic("t", 2)
    for _ in range(3):
        sim.kafka.add_member("g", ["t"])
    sim.run(1)
    last = sim.events("rebalanced")[-1]
    assert sorted(len(a) for a in last.assignment.values()) == [0, 1, 1]


@pytest.mark.parametrize(
    ("assignor", "expected"),
    [
        ("range", {"c1": [["t", 0], ["t", 1]], "c2": [["t", 2]]}),
        ("roundrobin", {"c1": [["t", 0], ["t", 2]], "c2": [["t", 1]]}),
        ("cooperative-sticky", {"c1": [["t", 0], ["t", 1]], "c2": [["t", 2]]}),
    ],
)
def test_a_join_rebalances_with_the_groups_assignor(sim, assignor, expected):
    """A second member triggers a new generation whose assignment the assignor decides."""
    sim.kafka.create_topic("t", 3)
    sim.kafka.add_member("g", ["t"], partition_assignment_strategy=assignor)
    sim.kafka.add_member("g", ["t"], partition_assignment_strategy=assignor)
    sim.run(1)
    last = sim.events("rebalanced")[-1]
    assert last.assignment == expected
    assert last.inputs["partitions"] == {"t": 3}


def test_cooperative_sticky_hands_over_in_two_rounds_and_keeps_owned_partitions(sim):
    """cooperative-sticky: round one withholds moving partitions, round two assigns them."""
    sim.kafka.create_topic("t", 4)
    sim.kafka.add_member("g", ["t"], partition_assignment_strategy="cooperative-sticky")
    sim.run(1)
    sim.kafka.add_member("g", ["t"], partition_assignment_strategy="cooperative-sticky")
    sim.run(1)
    first, second = sim.events("rebalanced")[-2:]
    assert first.assignment["c2"] == [] and len(first.assignment["c1"]) == 2
    assert "cooperative round 1" in first.reason
    assert len(second.assignment["c2"]) == 2
    assert set(map(tuple, second.assignment["c1"])) <= {
        (t, p) for t, p in first.revoked.get("c1", [])
    } | set(map(tuple, first.assignment["c1"]))
    assert second.generation == first.generation + 1


def test_a_rebalance_generations_sequence_join_leave_and_session_timeout(sim):
    """Joins during a rebalance share a generation; a leave and a timed-out crash add one each."""
    sim.kafka.create_topic("t", 3)
    a = sim.kafka.add_member("g", ["t"], session_timeout_ms=10000)
    b = sim.kafka.add_member("g", ["t"], session_timeout_ms=10000)
    c = sim.kafka.add_member("g", ["t"], session_timeout_ms=10000)
    sim.run(1)
    sim.kafka.leave_member(a)
    sim.run(1)
    sim.kafka.crash_member(b)
    sim.run(5)
    assert [e.members for e in sim.events("rebalanced")] == [[a], [a, b, c], [b, c]]
    sim.run(6)
    rebalances = sim.events("rebalanced")
    assert [e.generation for e in rebalances] == [1, 2, 3, 4]
    assert rebalances[-1].assignment == {c: [["t", 0], ["t", 1], ["t", 2]]}
    left = sim.events("member_left")
    assert [e.reason for e in left] == [
        "leave group",
        "session timeout (10000 ms without a heartbeat)",
    ]


def test_a_rebalance_waits_for_a_busy_member_to_finish_its_batch(sim):
    """A member mid-batch rejoins only at its next poll, so the generation starts later."""
    sim.kafka.create_topic("t", 2)
    sim.kafka.add_member("g", ["t"], auto_offset_reset="earliest", processing_time=1.0)
    produce(sim, 4, key=lambda i: None)
    sim.run(0.5)
    sim.kafka.add_member("g", ["t"])
    sim.run(10)
    started, done = sim.events("rebalance_started")[-1], sim.events("rebalanced")[-1]
    assert done.t > started.t


def test_committing_after_processing_redoes_work_after_a_crash(sim):
    """commit after processing + crash mid-batch = duplicates, no loss."""
    sim.kafka.create_topic("t", 1)
    a = sim.kafka.add_member(
        "g",
        ["t"],
        commit_policy="after",
        processing_time=1.0,
        auto_offset_reset="earliest",
        session_timeout_ms=1000,
    )
    msgs = produce(sim, 5)
    sim.run(2.5)
    sim.kafka.crash_member(a)
    sim.kafka.add_member("g", ["t"], commit_policy="after", auto_offset_reset="earliest")
    sim.run(10)
    processed = [m for *_, m in sim.processed("g")]
    assert set(processed) == set(msgs)
    dups = [m for e in sim.events("processed") for m in e.duplicates]
    assert dups == msgs[:2]


def test_committing_before_processing_loses_work_after_a_crash(sim):
    """commit before processing + crash mid-batch = the rest of the batch is lost."""
    sim.kafka.create_topic("t", 1)
    a = sim.kafka.add_member(
        "g",
        ["t"],
        commit_policy="before",
        processing_time=1.0,
        auto_offset_reset="earliest",
        session_timeout_ms=1000,
    )
    msgs = produce(sim, 5)
    sim.run(2.5)
    sim.kafka.crash_member(a)
    sim.kafka.add_member("g", ["t"], commit_policy="before", auto_offset_reset="earliest")
    sim.run(10)
    processed = [m for *_, m in sim.processed("g")]
    assert processed == msgs[:2]
    assert sim.committed("g") == {("t", 0): 5}


def test_auto_commit_commits_on_the_interval_from_poll(sim):
    """auto-commit commits consumed positions at the next poll after the interval."""
    sim.kafka.create_topic("t", 1)
    sim.kafka.add_member("g", ["t"], auto_offset_reset="earliest", auto_commit_interval_ms=2000)
    produce(sim, 3)
    sim.run(1)
    assert sim.committed("g") == {}
    sim.run(1.5)
    assert sim.committed("g") == {("t", 0): 3}
    assert sim.events("committed")[-1].reason == "auto-commit"


@pytest.mark.parametrize(
    ("reset", "expected_offset", "reads"),
    [("earliest", 0, 5), ("latest", 5, 0), ("none", None, 0)],
)
def test_auto_offset_reset_applies_without_a_committed_offset(sim, reset, expected_offset, reads):
    """No commit: earliest reads from the log start, latest from the end, none reads nothing."""
    sim.kafka.create_topic("t", 1)
    produce(sim, 5)
    sim.kafka.add_member("g", ["t"], auto_offset_reset=reset)
    sim.run(1)
    resets = sim.events("offset_reset")
    assert [e.offset for e in resets] == [expected_offset]
    assert "no committed offset" in resets[0].reason
    assert len(sim.processed("g")) == reads


def test_a_committed_offset_is_where_a_new_member_starts(sim):
    """A committed offset wins over auto.offset.reset."""
    sim.kafka.create_topic("t", 1)
    produce(sim, 5)
    sim.kafka.reset_offsets("g", "t", "offset", 3)
    sim.kafka.add_member("g", ["t"], auto_offset_reset="earliest")
    sim.run(1)
    assert [off for _, _, off, _ in sim.processed("g")] == [3, 4]


@pytest.mark.parametrize(
    ("to", "value", "expected"),
    [
        ("earliest", None, 0),
        ("latest", None, 6),
        ("offset", 4, 4),
        ("offset", 99, 6),
        ("timestamp", 2500, 3),
    ],
)
def test_group_offsets_reset_to_earliest_latest_offset_or_timestamp(sim, to, value, expected):
    """reset_offsets sets every partition's committed offset (offsets clamp to the log)."""
    sim.kafka.create_topic("t", 1)
    for i in range(6):
        sim.kafka.send("t", "v", timestamp_ms=i * 1000)
    sim.run(1)
    assert sim.kafka.reset_offsets("g", "t", to, value) == {0: expected}
    assert sim.committed("g") == {("t", 0): expected}


def test_group_offsets_reset_only_while_the_group_is_empty(sim):
    """Resetting a group with members (even a crashed one before its timeout) is refused."""
    sim.kafka.create_topic("t", 1)
    m = sim.kafka.add_member("g", ["t"], session_timeout_ms=5000)
    with pytest.raises(ResourceLocked):
        sim.kafka.reset_offsets("g", "t", "earliest")
    sim.kafka.crash_member(m)
    with pytest.raises(ResourceLocked):
        sim.kafka.reset_offsets("g", "t", "earliest")
    sim.run(6)
    assert sim.kafka.reset_offsets("g", "t", "earliest") == {0: 0}


def test_seek_moves_a_live_members_position(sim):
    """seek() replays from the given offset."""
    sim.kafka.create_topic("t", 1)
    m = sim.kafka.add_member("g", ["t"], auto_offset_reset="earliest")
    msgs = produce(sim, 4)
    sim.run(1)
    sim.kafka.seek(m, "t", 0, 1)
    sim.run(1)
    assert [x for *_, x in sim.processed("g")] == msgs + msgs[1:]
    assert [e.duplicates for e in sim.events("processed")][-1] == msgs[1:]


def test_seek_needs_an_assigned_partition_of_a_live_member(sim):
    """seek on an unassigned partition or an unknown member raises."""
    sim.kafka.create_topic("t", 2)
    m = sim.kafka.add_member("g", ["t"])
    sim.kafka.add_member("g", ["t"])
    sim.run(1)
    with pytest.raises(ValidationError):
        sim.kafka.seek(m, "t", 1, 0)
    with pytest.raises(NotFound):
        sim.kafka.seek("nobody", "t", 0, 0)


def test_consumers_without_a_group_read_everything_and_commit_nothing(sim):
    """group_id=None: all partitions, no rebalance, no commits."""
    sim.kafka.create_topic("t", 3)
    sim.kafka.add_member(None, ["t"], auto_offset_reset="earliest")
    sim.kafka.add_member(None, ["t"], auto_offset_reset="earliest")
    msgs = produce(sim, 10)
    sim.run(6)
    assert sorted(m for *_, m in sim.processed()) == sorted(msgs * 2)
    assert sim.events("rebalanced") == [] and sim.events("committed") == []


def test_manual_members_poll_and_commit_when_told(sim):
    """A manual member fetches only on poll() and commits only on commit()."""
    sim.kafka.create_topic("t", 1)
    m = sim.kafka.add_member(
        "g", ["t"], behaviour="manual", auto_offset_reset="earliest", commit_policy="after"
    )
    msgs = produce(sim, 3)
    sim.run(1)
    records = sim.kafka.poll(m, max_records=2)
    assert [r["msg"] for r in records] == msgs[:2]
    sim.kafka.commit(m)
    assert sim.committed("g") == {("t", 0): 2}


@pytest.mark.parametrize(
    ("committed", "log_end", "lag"),
    [(None, 5, None), (0, 5, 5), (3, 5, 2), (5, 5, 0)],
)
def test_lag_is_log_end_minus_committed(sim, committed, log_end, lag):
    """Lag per partition = log end - committed; no commit means no lag (the tool's "-")."""
    sim.kafka.create_topic("t", 1)
    produce(sim, log_end)
    sim.run(1)
    if committed is not None:
        sim.kafka.reset_offsets("g", "t", "offset", committed)
    else:
        sim.kafka.add_member("g", ["t"], behaviour="manual")
    rows = next(g for g in sim.kafka.describe()["groups"] if g["group_id"] == "g")
    assert rows["offsets"][0]["lag"] == lag
    assert rows["lag"] == (lag or 0)


def test_group_lag_adds_partitions_and_is_sampled_into_a_bounded_history(make_sim):
    """Group lag sums partitions; the history keeps one sample per interval, bounded."""
    sim = make_sim(lag_sample_interval=1.0, lag_history_size=3)
    sim.kafka.create_topic("t", 2)
    sim.kafka.reset_offsets("g", "t", "earliest")
    for second in range(6):
        sim.kafka.send("t", "v", partition=second % 2)
        sim.run(1)
    group = next(g for g in sim.kafka.describe()["groups"] if g["group_id"] == "g")
    assert group["lag"] == 6
    assert group["lag_history"] == [[3.0, 4], [4.0, 5], [5.0, 6]]


def test_the_poll_loop_takes_max_poll_records_and_processing_time_per_record(sim):
    """Each poll fetches at most max.poll.records; each record takes processing_time."""
    sim.kafka.create_topic("t", 1)
    msgs = produce(sim, 7)
    sim.run(1)
    sim.kafka.add_member(
        "g", ["t"], auto_offset_reset="earliest", max_poll_records=3, processing_time=0.5
    )
    sim.run(10)
    fetched = [(e.from_offset, e.to_offset) for e in sim.events("fetched")]
    assert fetched == [(0, 2), (3, 5), (6, 6)]
    done = [e.t for e in sim.events("processed")]
    assert [round(b - a, 6) for a, b in itertools.pairwise(done)] == [0.5] * 6
    assert [m for *_, m in sim.processed("g")] == msgs
