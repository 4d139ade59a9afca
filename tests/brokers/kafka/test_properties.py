"""Whole-run properties: determinism, and no loss / exactly-once with commit after processing."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from brokers.kafka.api import SESSION_TIMEOUT_MS
from tests.brokers.kafka.conftest import Sim


def scenario(seed: int) -> list[dict]:
    """A busy run: replication, null keys, two groups, a crash, a broker failure."""
    sim = Sim(seed=seed)
    k = sim.kafka
    k.create_topic("t", 4, 3, {"min.insync.replicas": 2, "segment.bytes": 400})
    k.add_producer("p", linger_ms=5)
    a = k.add_member("g1", ["t"], auto_offset_reset="earliest", processing_time=0.01)
    k.add_member("g1", ["t"], partition_assignment_strategy="range", commit_policy="after")
    k.add_member("g2", ["t"], partition_assignment_strategy="cooperative-sticky")
    for i in range(40):
        k.send("t", f"v{i}", key=None if i % 3 else f"k{i % 5}", producer="p")
        sim.run(0.02)
        if i == 10:
            k.crash_member(a)
        if i == 20:
            k.stop_broker(2)
        if i == 30:
            k.start_broker(2)
    sim.run(60)
    return [e.to_dict() for e in sim.log.drain()]


def test_the_same_seed_and_commands_give_identical_events():
    """Determinism: two runs with one seed produce equal event dicts."""
    first, second = scenario(7), scenario(7)
    assert first == second
    assert len(first) > 100


POLICY_RUN = st.fixed_dictionaries(
    {
        "partitions": st.integers(1, 6),
        "groups": st.integers(1, 2),
        "members": st.integers(1, 3),
        "assignor": st.sampled_from(["range", "roundrobin", "cooperative-sticky"]),
        "records": st.integers(1, 60),
        "processing_time": st.sampled_from([0.0, 0.01, 0.05]),
        "max_poll_records": st.integers(1, 20),
        "crashes": st.lists(st.tuples(st.integers(0, 2), st.floats(0, 2)), max_size=3),
        "joins": st.lists(st.floats(0, 2), max_size=2),
    }
)


def run_policy(params, crash: bool) -> tuple[Sim, list[str]]:
    sim = Sim(seed=3)
    k = sim.kafka
    k.create_topic("t", params["partitions"])
    settings_ = dict(
        partition_assignment_strategy=params["assignor"],
        commit_policy="after",
        auto_offset_reset="earliest",
        processing_time=params["processing_time"],
        max_poll_records=params["max_poll_records"],
        session_timeout_ms=SESSION_TIMEOUT_MS[0],  # the shortest session the engine takes
    )
    members = {}
    for g in range(params["groups"]):
        members[g] = [k.add_member(f"g{g}", ["t"], **settings_) for _ in range(params["members"])]
    msgs = [k.send("t", f"v{i}", key=f"key{i % 11}") for i in range(params["records"])]
    timeline = [(t, "join", None) for t in params["joins"]]
    if crash:
        timeline += [(t, "crash", i) for i, t in params["crashes"]]
    for at, what, index in sorted(timeline, key=lambda x: (x[0], x[1])):
        sim.clock.run(until=at)
        for g in members:
            if what == "join":
                members[g].append(k.add_member(f"g{g}", ["t"], **settings_))
            else:
                live = [m for m in members[g] if m in k.members]
                if live:
                    k.crash_member(live[index % len(live)])
                    members[g].append(k.add_member(f"g{g}", ["t"], **settings_))
    sim.run(200)
    return sim, msgs


@settings(max_examples=60, deadline=None)
@given(POLICY_RUN)
def test_commit_after_processing_with_crashes_never_loses_a_record(params):
    """At-least-once: with crashes, every group still processes every record."""
    sim, msgs = run_policy(params, crash=True)
    for g in range(params["groups"]):
        assert set(m for *_, m in sim.processed(f"g{g}")) == set(msgs)


@settings(max_examples=60, deadline=None)
@given(POLICY_RUN)
def test_commit_after_processing_without_crashes_processes_each_record_exactly_once(params):
    """No crash: each group processes each record exactly once, rebalances included."""
    sim, msgs = run_policy(params, crash=False)
    for g in range(params["groups"]):
        counts = Counter(m for *_, m in sim.processed(f"g{g}"))
        assert counts == Counter(msgs)


def test_a_different_seed_gives_a_different_run():
    """The RNG (replica placement, sticky partitions) really drives the run."""
    assert scenario(7) != scenario(8)
