"""The kafka-python adapter against a real Kafka: each KafkaApi operation does what Kafka does."""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest
from kafka import KafkaAdminClient, KafkaConsumer

from brokers.errors import Disconnected, NotFound, ResourceLocked, ValidationError
from brokers.kafka.partitioner import partition_for_key
from brokers.real.backend import make_backend, probe
from brokers.real.kafka.join_fix import complete_joins_across_polls

pytestmark = pytest.mark.real
FAST = {"session_timeout_ms": 6000, "auto_offset_reset": "earliest"}


@pytest.fixture
def backend(kafka_bootstrap):
    b = make_backend("kafka", url=kafka_bootstrap, prefix=f"bp.t{uuid.uuid4().hex[:8]}.")
    assert b.status()["state"] == "connected", b.status()
    yield b
    b.destroy()


def collect(backend, pred, timeout=20.0):
    events = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backend.advance(0.05)
        events.extend(backend.drain())
        if pred(events):
            return events
        time.sleep(0.05)
    raise AssertionError(f"timed out; saw {[e.kind for e in events]}")


def kinds(events, kind):
    return [e for e in events if e.kind == kind]


def processed(events, group=None):
    return sorted(
        (m for e in kinds(events, "processed") if group in (None, e.group) for m in e.msgs),
        key=lambda m: int(m[1:]),
    )


def test_it_creates_topics_with_configs_and_the_sandbox_prefix(backend, kafka_bootstrap):
    api = backend.kafka
    api.create_topic("orders", 3, configs={"retention.ms": 60000})
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        assert backend.prefix + "orders" in admin.list_topics()
    finally:
        admin.close()
    topic = backend.describe()["kafka"]["topics"][0]
    assert (topic["name"], len(topic["partitions"])) == ("orders", 3)
    api.alter_topic_configs("orders", {"retention.ms": 1000})
    api.create_partitions("orders", 4)
    events = backend.drain()
    assert [e.kind for e in events] == [
        "topic_created",
        "topic_config_changed",
        "partitions_created",
    ]
    with pytest.raises(ValidationError, match="already exists"):
        api.create_topic("orders", 1)
    with pytest.raises(NotFound):
        api.send("missing", "v")


def test_keyed_records_land_on_the_partition_the_simulator_s_partitioner_computes(backend):
    api = backend.kafka
    api.create_topic("t", 5)
    keys = [f"user-{i}" for i in range(20)]
    msgs = {api.send("t", "v", key=k): k for k in keys}
    # one Appended per kafka-python batch, as the simulator reports its batches
    events = collect(backend, lambda ev: sum(len(e.msgs) for e in kinds(ev, "appended")) == 20)
    for e in kinds(events, "appended"):
        for msg, reason in zip(e.msgs, e.reasons, strict=True):
            key = msgs[msg]
            assert e.partition == partition_for_key(key, 5)[0], key
            assert reason == partition_for_key(key, 5)[1]
    offsets = {}
    for e in kinds(events, "appended"):
        assert e.last_offset == e.offset + len(e.msgs) - 1
        offsets.setdefault(e.partition, []).extend(range(e.offset, e.last_offset + 1))
    assert all(sorted(o) == list(range(len(o))) for o in offsets.values())


def test_a_group_splits_partitions_and_rebalances_when_members_join_and_leave(backend):
    api = backend.kafka
    api.create_topic("t", 4)
    api.add_member("g", ["t"], member="a", **FAST)
    api.add_member("g", ["t"], member="b", **FAST)
    events = collect(backend, lambda ev: any(len(e.members) == 2 for e in kinds(ev, "rebalanced")))
    last = kinds(events, "rebalanced")[-1]
    assert last.assignment == {"a": [["t", 0], ["t", 1]], "b": [["t", 2], ["t", 3]]}
    api.leave_member("b")
    events = collect(backend, lambda ev: any(len(e.members) == 1 for e in kinds(ev, "rebalanced")))
    assert kinds(events, "rebalanced")[-1].assignment == {"a": [["t", p] for p in range(4)]}


def test_commit_after_processing_leaves_no_lag_and_a_stopped_group_lags(backend):
    api = backend.kafka
    api.create_topic("t", 2)
    api.add_member("done", ["t"], member="a", commit_policy="after", **FAST)
    api.add_member("stopped", ["t"], member="s", commit_policy="after", **FAST)
    first = [api.send("t", f"v{i}", key=str(i)) for i in range(6)]
    collect(
        backend, lambda ev: len(processed(ev, "stopped")) == 6 and len(processed(ev, "done")) == 6
    )
    api.leave_member("s")
    [api.send("t", f"w{i}", key=str(i)) for i in range(4)]
    events = collect(backend, lambda ev: len(processed(ev, "done")) == 4)
    assert processed(events, "done")[0] not in first
    assert backend.kafka.lag("stopped", "t") == 4
    assert backend.kafka.lag("done", "t") == 0


def test_reset_offsets_needs_an_empty_group_then_replays_everything(backend):
    api = backend.kafka
    api.create_topic("t", 2)
    msgs = [api.send("t", f"v{i}", key=str(i)) for i in range(5)]
    api.add_member("g", ["t"], member="a", commit_policy="after", **FAST)
    collect(backend, lambda ev: len(processed(ev)) == 5)
    with pytest.raises(ResourceLocked, match="inactive"):
        api.reset_offsets("g", "t", "earliest")
    api.leave_member("a")
    assert api.reset_offsets("g", "t", "earliest") == {0: 0, 1: 0}
    api.add_member("g", ["t"], member="a2", commit_policy="after", **FAST)
    events = collect(backend, lambda ev: len(processed(ev)) == 5)
    assert processed(events) == msgs


def test_seek_moves_a_member_back(backend):
    api = backend.kafka
    api.create_topic("t", 1)
    msgs = [api.send("t", f"v{i}") for i in range(3)]
    api.add_member("g", ["t"], member="a", **FAST)
    collect(backend, lambda ev: len(processed(ev)) == 3)
    api.seek("a", "t", 0, 1)
    events = collect(backend, lambda ev: len(processed(ev)) == 2)
    assert processed(events) == msgs[1:]
    assert kinds(events, "processed")[0].duplicates == msgs[1:]


def test_manual_members_fetch_only_when_polled(backend):
    api = backend.kafka
    api.create_topic("t", 1)
    msgs = [api.send("t", f"v{i}") for i in range(3)]
    backend.kafka.flush()
    api.add_member("g", ["t"], member="m", behaviour="manual", **FAST)
    time.sleep(1.0)
    assert not kinds(backend.drain(), "fetched")
    records = []
    deadline = time.monotonic() + 30  # joining the group first can take a while under load
    while len(records) < 3 and time.monotonic() < deadline:
        records += api.poll("m")
    assert [r["msg"] for r in records] == msgs
    api.commit("m")
    assert kinds(backend.drain(), "committed")[-1].offset == 3


def test_a_join_that_finishes_between_two_polls_is_completed_not_resent(backend, kafka_bootstrap):
    # Polls far shorter than a join: unpatched kafka-python 3.0.12 resends JoinGroup
    # after every one and never settles (seen: 90 generations in 20 s, nothing read).
    backend.kafka.create_topic("t", 1)
    for i in range(3):
        backend.kafka.send("t", f"v{i}")
    backend.kafka.flush()
    consumer = KafkaConsumer(
        bootstrap_servers=kafka_bootstrap,
        group_id=backend.prefix + "g",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
    )
    try:
        complete_joins_across_polls(consumer)
        consumer.subscribe([backend.prefix + "t"])
        read = []
        deadline = time.monotonic() + 20
        while len(read) < 3 and time.monotonic() < deadline:
            read += [r for rs in consumer.poll(timeout_ms=1).values() for r in rs]
            time.sleep(0.1)  # the join's answer arrives while nobody polls
        assert len(read) == 3
        assert consumer._coordinator._generation.generation_id <= 2
    finally:
        consumer.close()


def test_a_crashed_member_s_partitions_move_after_the_session_timeout(backend):
    api = backend.kafka
    api.create_topic("t", 2)
    api.add_member("g", ["t"], member="a", **FAST)
    api.add_member("g", ["t"], member="b", **FAST)
    collect(backend, lambda ev: any(len(e.members) == 2 for e in kinds(ev, "rebalanced")))
    started = time.monotonic()
    api.crash_member("b")
    events = collect(
        backend, lambda ev: any(e.members == ["a"] for e in kinds(ev, "rebalanced")), timeout=30
    )
    assert time.monotonic() - started > 3  # not at once: Kafka waits for the session timeout
    assert kinds(events, "member_crashed")[0].member == "b"
    assert kinds(events, "rebalanced")[-1].assignment == {"a": [["t", 0], ["t", 1]]}


def _prefixed_topics(kafka_bootstrap, prefix):
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        return {t for t in admin.list_topics() if t.startswith(prefix)}
    finally:
        admin.close()


def test_close_keeps_the_topic_and_a_new_backend_on_the_prefix_takes_it_back(kafka_bootstrap):
    prefix = f"bp.t{uuid.uuid4().hex[:8]}."
    b = make_backend("kafka", url=kafka_bootstrap, prefix=prefix)
    b.kafka.create_topic("kept", 2)
    for i in range(5):
        b.kafka.send("kept", f"v{i}", key=f"k{i}")
    b.kafka.flush()
    b.close()
    assert _prefixed_topics(kafka_bootstrap, prefix) == {prefix + "kept"}
    again = make_backend("kafka", url=kafka_bootstrap, prefix=prefix)
    try:
        again.kafka.create_topic("kept", 3)  # taken back and grown, not refused
        again.kafka._poll_offsets()
        topic = again.describe()["kafka"]["topics"][0]
        assert len(topic["partitions"]) == 3
        assert sum(p["log_end"] for p in topic["partitions"]) == 5
    finally:
        assert again.destroy()
    deadline = time.monotonic() + 10
    while _prefixed_topics(kafka_bootstrap, prefix):
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_destroy_deletes_the_sandbox_topics_and_groups(kafka_bootstrap):
    prefix = f"bp.t{uuid.uuid4().hex[:8]}."
    b = make_backend("kafka", url=kafka_bootstrap, prefix=prefix)
    b.kafka.create_topic("gone", 1)
    b.kafka.add_member("g", ["gone"], member="a", **FAST)
    collect(b, lambda ev: bool(kinds(ev, "rebalanced")))
    b.kafka.send("gone", "v")
    collect(b, lambda ev: bool(kinds(ev, "committed")), timeout=20)
    assert b.destroy()
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        deadline = time.monotonic() + 10
        while any(t.startswith(prefix) for t in admin.list_topics()) or any(
            g["group_id"].startswith(prefix) for g in admin.list_groups()
        ):
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        admin.close()


def test_an_unreachable_kafka_is_reported_and_commands_raise_disconnected():
    ok, reason = probe("kafka", "127.0.0.1:1")
    assert (ok, reason) == (False, "Kafka not reachable at 127.0.0.1:1: connection refused")
    b = make_backend("kafka", url="127.0.0.1:1", prefix="bp.down.")
    assert b.status() == {"state": "disconnected", "detail": reason}
    with pytest.raises(Disconnected):
        b.kafka.add_member("g", [])
    b.advance(0.1)
    b.close()


def test_a_kafka_that_accepts_but_never_answers_is_reported_within_seconds():
    server = socket.create_server(("127.0.0.1", 0))
    held = []
    accepting = threading.Thread(target=lambda: held.append(server.accept()), daemon=True)
    accepting.start()
    url = f"127.0.0.1:{server.getsockname()[1]}"
    started = time.monotonic()
    b = make_backend("kafka", url=url, prefix="bp.hung.")
    try:
        assert time.monotonic() - started < 10  # kafka-python alone waits 30 s
        assert b.status()["state"] == "disconnected"
        assert "Unable to bootstrap" in b.status()["detail"]
    finally:
        b.close()
        server.close()
