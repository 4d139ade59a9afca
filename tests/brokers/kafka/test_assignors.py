"""Assignors agree with kafka-python 3.0.12's range, roundrobin and cooperative-sticky.

kafka-python 3.0.12 ships `CooperativeStickyAssignor` (KIP-429), so cooperative-sticky is
compared with it directly, first round included. Its sticky executor picks "any" element
of a set in one place (hash order); ours takes the smallest, and the reference is patched
the same way so both are deterministic. Its roundrobin raises KeyError when members'
subscriptions differ (it assigns a (group_instance_id, member_id) tuple to member_id), so
that case is checked against the example in its own docstring instead.
"""

from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.coordinator.assignors.sticky.partition_movements import PartitionMovements
from kafka.protocol.consumer.metadata import ConsumerProtocolSubscription

from brokers.kafka.assignors import (
    cooperative_sticky_assign,
    range_assign,
    roundrobin_assign,
)

STATELESS_FIXTURE = HealthCheck.function_scoped_fixture  # the patch holds no state


class Cluster:
    """The two ClusterMetadata calls the assignors make."""

    def __init__(self, partitions: dict[str, int]) -> None:
        self.parts = partitions

    def topics(self):
        return set(self.parts)

    def partitions_for_topic(self, topic):
        return set(range(self.parts[topic])) if topic in self.parts else None


def members(subscriptions, owned=None):
    """JoinGroup members as kafka-python's leader sees them (subscription v1)."""
    sub_tp = ConsumerProtocolSubscription.TopicPartition
    out = []
    for member, topics in subscriptions.items():
        by_topic: dict[str, list[int]] = {}
        for topic, p in sorted((owned or {}).get(member, [])):
            by_topic.setdefault(topic, []).append(p)
        metadata = ConsumerProtocolSubscription(
            version=1,
            topics=sorted(topics),
            user_data=b"",
            owned_partitions=[sub_tp(topic=t, partitions=ps) for t, ps in by_topic.items()],
        )
        out.append(SimpleNamespace(member_id=member, group_instance_id=None, metadata=metadata))
    return out


def plain(result):
    return {
        m: sorted((t, p) for t, ps in a.assigned_partitions for p in ps) for m, a in result.items()
    }


@st.composite
def groups(draw, identical: bool = False):
    """Members m0..m9 subscribed to some of t0..t2, each with 1..12 partitions."""
    topics = [f"t{i}" for i in range(draw(st.integers(1, 3)))]
    names = draw(
        st.lists(st.sampled_from([f"m{i}" for i in range(12)]), min_size=1, max_size=7, unique=True)
    )
    if identical:
        subs = dict.fromkeys(names, topics)
    else:
        subs = {m: sorted(draw(st.sets(st.sampled_from(topics), min_size=1))) for m in names}
    wanted = sorted({t for ts in subs.values() for t in ts})
    partitions = {t: draw(st.integers(1, 12)) for t in wanted}
    return subs, partitions


@st.composite
def groups_with_owners(draw):
    """A group where each partition may already be owned by some member (last generation)."""
    subs, partitions = draw(groups())
    names = list(subs)
    owned: dict[str, list] = {}
    for topic, count in partitions.items():
        for p in range(count):
            owner = draw(st.sampled_from([None, *names]))
            if owner is not None:
                owned.setdefault(owner, []).append((topic, p))
    return subs, partitions, {m: owned[m] for m in names if m in owned}


@settings(max_examples=300, deadline=None)
@given(groups())
def test_range_agrees_with_kafka_python(group):
    """range: contiguous per-topic ranges over sorted members, like kafka-python."""
    subs, partitions = group
    expected = plain(RangePartitionAssignor.assign(Cluster(partitions), members(subs)))
    assert range_assign(subs, partitions) == expected


@settings(max_examples=300, deadline=None)
@given(groups(identical=True))
def test_roundrobin_agrees_with_kafka_python(group):
    """roundrobin: sorted partitions dealt to sorted members, like kafka-python."""
    subs, partitions = group
    expected = plain(RoundRobinPartitionAssignor.assign(Cluster(partitions), members(subs)))
    assert roundrobin_assign(subs, partitions) == expected


def test_roundrobin_skips_members_not_subscribed_as_kafka_python_documents():
    """roundrobin with unequal subscriptions gives the docstring's C0/C1/C2 example."""
    subs = {"C0": ["t0"], "C1": ["t0", "t1"], "C2": ["t0", "t1", "t2"]}
    assert roundrobin_assign(subs, {"t0": 1, "t1": 2, "t2": 3}) == {
        "C0": [("t0", 0)],
        "C1": [("t1", 0)],
        "C2": [("t1", 1), ("t2", 0), ("t2", 1), ("t2", 2)],
    }


@pytest.fixture
def deterministic_reference(monkeypatch):
    """Make kafka-python's one arbitrary set pick take the smallest element, as ours does."""
    original = PartitionMovements.get_partition_to_be_moved

    def smallest(self, partition, old_consumer, new_consumer):
        chosen = original(self, partition, old_consumer, new_consumer)
        if chosen == partition:
            return chosen
        src = self.partition_movements.get(partition)
        old = src.src_member_id if src else old_consumer
        for pair, tps in self.partition_movements_by_topic[partition.topic].items():
            if (pair.src_member_id, pair.dst_member_id) == (new_consumer, old):
                return min(tps)
        return chosen

    monkeypatch.setattr(PartitionMovements, "get_partition_to_be_moved", smallest)


@settings(max_examples=400, deadline=None, suppress_health_check=[STATELESS_FIXTURE])
@given(group=groups_with_owners())
def test_cooperative_sticky_first_round_agrees_with_kafka_python(deterministic_reference, group):
    """cooperative-sticky: same first-round assignment as kafka-python, given owners."""
    subs, partitions, owned = group
    reference = CooperativeStickyAssignor().assign(Cluster(partitions), members(subs, owned))
    assert cooperative_sticky_assign(subs, partitions, owned)[1] == plain(reference)


@settings(max_examples=200, deadline=None, suppress_health_check=[STATELESS_FIXTURE])
@given(group=groups_with_owners())
def test_cooperative_sticky_second_round_agrees_with_kafka_python(deterministic_reference, group):
    """A second round, after owners revoked, agrees with kafka-python too."""
    subs, partitions, owned = group
    first = cooperative_sticky_assign(subs, partitions, owned)[1]
    reference = CooperativeStickyAssignor().assign(Cluster(partitions), members(subs, first))
    assert cooperative_sticky_assign(subs, partitions, first)[1] == plain(reference)


@pytest.mark.parametrize(
    ("assign", "subs", "partitions", "expected"),
    [
        (
            range_assign,
            {"a": ["t"], "b": ["t"], "c": ["t"]},
            {"t": 2},
            {"a": [("t", 0)], "b": [("t", 1)], "c": []},
        ),
        (
            roundrobin_assign,
            {"a": ["t"], "b": ["t"], "c": ["t"]},
            {"t": 2},
            {"a": [("t", 0)], "b": [("t", 1)], "c": []},
        ),
        (
            lambda s, p: cooperative_sticky_assign(s, p)[0],
            {"a": ["t"], "b": ["t"], "c": ["t"]},
            {"t": 2},
            {"a": [("t", 0)], "b": [("t", 1)], "c": []},
        ),
    ],
)
def test_members_beyond_the_partition_count_stay_idle(assign, subs, partitions, expected):
    """With more members than partitions, the extra members get nothing."""
    assert assign(subs, partitions) == expected


def test_range_sorts_member_ids_as_strings():
    """Member ids sort as text, so m10 comes before m2."""
    result = range_assign({"m2": ["t"], "m10": ["t"]}, {"t": 3})
    assert result == {"m2": [("t", 2)], "m10": [("t", 0), ("t", 1)]}
