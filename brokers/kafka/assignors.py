"""Partition assignors: which group member reads which partition.

Pure functions of the members' subscriptions and the topics' partition counts, written
to give the same assignment as kafka-python 3.0.12's `range`, `roundrobin` and
`cooperative-sticky` assignors (the sticky algorithm lives in `brokers.kafka.sticky`).
Members are plain ids, sorted as strings as Kafka sorts member ids. Leaves out static
membership (`group.instance.id`), rack awareness and custom assignors.

Types: `subscriptions` maps member -> topics; `partitions` maps topic -> partition count;
an assignment maps member -> sorted [(topic, partition), ...].
"""

from __future__ import annotations

import itertools

from brokers.kafka.sticky import sticky_assign

TopicPartition = tuple[str, int]
Assignment = dict[str, list[TopicPartition]]

ASSIGNORS = ("range", "roundrobin", "cooperative-sticky")


def range_assign(subscriptions: dict[str, list[str]], partitions: dict[str, int]) -> Assignment:
    """Per topic, split partitions in order into contiguous ranges over sorted members.

    Members c0, c1 on topics t0 and t1 with 3 partitions each: the first member gets
    one extra partition of each topic.

    >>> range_assign({"c1": ["t0", "t1"], "c0": ["t0", "t1"]}, {"t0": 3, "t1": 3})
    {'c1': [('t0', 2), ('t1', 2)], 'c0': [('t0', 0), ('t0', 1), ('t1', 0), ('t1', 1)]}
    """
    assignment: Assignment = {m: [] for m in subscriptions}
    for topic, count in sorted(partitions.items()):
        members = sorted(m for m, topics in subscriptions.items() if topic in topics)
        if not members:
            continue
        per_member, extra = divmod(count, len(members))
        for i, member in enumerate(members):
            start = per_member * i + min(i, extra)
            length = per_member + (1 if i < extra else 0)
            assignment[member].extend((topic, p) for p in range(start, start + length))
    return {m: sorted(tps) for m, tps in assignment.items()}


def roundrobin_assign(
    subscriptions: dict[str, list[str]], partitions: dict[str, int]
) -> Assignment:
    """Deal all sorted partitions to sorted members in turn, skipping unsubscribed ones.

    >>> roundrobin_assign({"c0": ["t0", "t1"], "c1": ["t0", "t1"]}, {"t0": 3, "t1": 3})
    {'c0': [('t0', 0), ('t0', 2), ('t1', 1)], 'c1': [('t0', 1), ('t1', 0), ('t1', 2)]}
    """
    assignment: Assignment = {m: [] for m in subscriptions}
    if not subscriptions:
        return assignment
    wanted = {t for topics in subscriptions.values() for t in topics if t in partitions}
    members = itertools.cycle(sorted(subscriptions))
    for topic in sorted(wanted):
        for p in range(partitions[topic]):
            member = next(members)
            while topic not in subscriptions[member]:
                member = next(members)
            assignment[member].append((topic, p))
    return assignment


def cooperative_sticky_assign(
    subscriptions: dict[str, list[str]],
    partitions: dict[str, int],
    owned: dict[str, list[TopicPartition]] | None = None,
) -> tuple[Assignment, Assignment]:
    """KIP-429: the sticky target, and the first-round assignment that withholds moving partitions.

    A partition whose target owner differs from its current owner is left out of the
    first round; its owner revokes it and a second round hands it over.

    >>> target, first = cooperative_sticky_assign(
    ...     {"a": ["t"], "b": ["t"]}, {"t": 2}, {"a": [("t", 0), ("t", 1)]})
    >>> target
    {'a': [('t', 0)], 'b': [('t', 1)]}
    >>> first
    {'a': [('t', 0)], 'b': []}
    """
    owned = owned or {}
    target = sticky_assign(subscriptions, partitions, owned)
    owner = {tp: m for m, tps in owned.items() if m in subscriptions for tp in tps}
    first = {m: [tp for tp in tps if owner.get(tp, m) == m] for m, tps in target.items()}
    return target, first


def assign(
    assignor: str,
    subscriptions: dict[str, list[str]],
    partitions: dict[str, int],
    owned: dict[str, list[TopicPartition]] | None = None,
) -> Assignment:
    """The final assignment of the named assignor (the cooperative target for sticky)."""
    if assignor == "range":
        return range_assign(subscriptions, partitions)
    if assignor == "roundrobin":
        return roundrobin_assign(subscriptions, partitions)
    if assignor == "cooperative-sticky":
        return sticky_assign(subscriptions, partitions, owned or {})
    raise ValueError(f"unknown assignor {assignor!r}")
