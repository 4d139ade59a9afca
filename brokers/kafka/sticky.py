"""The sticky assignment algorithm (KIP-54), as kafka-python 3.0.12's `StickyAssignmentExecutor`.

Goal one: as balanced as possible (counts differ by at most one, or no move can improve
it). Goal two: keep every partition with its current owner where goal one allows. This
is a step-for-step port so the same inputs give the same assignment; the cooperative
variant (`assignors.cooperative_sticky_assign`) builds on it. Two simplifications: every
member reports the same generation, so there is no "previous owner" history; and where
kafka-python takes an arbitrary element of a set (hash order, which changes between
processes) this takes the smallest, so runs are reproducible.
"""

from __future__ import annotations

import copy

TopicPartition = tuple[str, int]


def sticky_assign(
    subscriptions: dict[str, list[str]],
    partitions: dict[str, int],
    owned: dict[str, list[TopicPartition]],
) -> dict[str, list[TopicPartition]]:
    """Balanced assignment that keeps owned partitions where it can.

    Three members on t0..t3 with 2 partitions each start as round robin would; when c1
    leaves, c0 and c2 keep everything they had and split c1's partitions.

    >>> subs = {c: ["t0", "t1", "t2", "t3"] for c in ("c0", "c2")}
    >>> parts = {"t0": 2, "t1": 2, "t2": 2, "t3": 2}
    >>> owned = {"c0": [("t0", 0), ("t1", 1), ("t3", 0)], "c2": [("t1", 0), ("t2", 1)]}
    >>> result = sticky_assign(subs, parts, owned)
    >>> result["c0"]
    [('t0', 0), ('t1', 1), ('t2', 0), ('t3', 0)]
    >>> result["c2"]
    [('t0', 1), ('t1', 0), ('t2', 1), ('t3', 1)]
    """
    executor = _Executor(subscriptions, partitions, owned)
    executor.perform_initial_assignment()
    executor.balance()
    return {m: sorted(executor.current_assignment.get(m, [])) for m in subscriptions}


class _Executor:
    """One run of the algorithm; mirrors kafka-python's executor field by field."""

    def __init__(self, subscriptions, partitions, owned) -> None:
        self.members = subscriptions
        self.current_assignment: dict[str, list[TopicPartition]] = {}
        self.current_partition_consumer: dict[TopicPartition, str] = {}
        self.partition_to_all_potential_consumers: dict[TopicPartition, list[str]] = {}
        self.consumer_to_all_potential_partitions: dict[str, list[TopicPartition]] = {}
        self.counts: dict[str, int] = {}  # the sorted set of (count, member)
        self.sorted_partitions: list[TopicPartition] = []
        self.unassigned_partitions: list[TopicPartition] = []
        self.revocation_required = False
        self.movements: dict[TopicPartition, tuple[str, str]] = {}
        self.movements_by_topic: dict[str, dict[tuple[str, str], list[TopicPartition]]] = {}
        for member, tps in owned.items():
            for tp in tps:
                if tp not in self.current_partition_consumer:
                    self.current_assignment.setdefault(member, []).append(tp)
                    self.current_partition_consumer[tp] = member
        self.is_fresh_assignment = not self.current_assignment
        for topic, count in partitions.items():
            for p in range(count):
                self.partition_to_all_potential_consumers[(topic, p)] = []
        for member, topics in subscriptions.items():
            potential = self.consumer_to_all_potential_partitions[member] = []
            for topic in topics:
                for p in range(partitions.get(topic, 0)):
                    potential.append((topic, p))
                    self.partition_to_all_potential_consumers[(topic, p)].append(member)
            self.current_assignment.setdefault(member, [])

    # -- the two phases ----------------------------------------------------------------
    def perform_initial_assignment(self) -> None:
        self._populate_sorted_partitions()
        self._populate_partitions_to_reassign()

    def balance(self) -> None:
        self.counts = {m: len(tps) for m, tps in self.current_assignment.items()}
        initializing = self.current_assignment[self._most()] == []
        for tp in self.unassigned_partitions:
            if self.partition_to_all_potential_consumers[tp]:
                self._assign_partition(tp)
        fixed = [tp for tp, cs in self.partition_to_all_potential_consumers.items() if len(cs) < 2]
        for tp in fixed:
            _remove(self.sorted_partitions, tp)
            _remove(self.unassigned_partitions, tp)
        fixed_assignments = {}
        for member in self.consumer_to_all_potential_partitions:
            if not self._can_consumer_participate(member):
                del self.counts[member]
                fixed_assignments[member] = self.current_assignment.pop(member)
        before = copy.deepcopy(self.current_assignment)
        before_owner = dict(self.current_partition_consumer)
        if not self.revocation_required:
            self._perform_reassignments(self.unassigned_partitions)
        moved = self._perform_reassignments(self.sorted_partitions)
        if not initializing and moved and _score(self.current_assignment) >= _score(before):
            self.current_assignment = before
            self.current_partition_consumer = before_owner
        for member, tps in fixed_assignments.items():
            self.current_assignment[member] = tps
            self.counts[member] = len(tps)

    # -- initial assignment ------------------------------------------------------------
    def _populate_sorted_partitions(self) -> None:
        by_potential = sorted(
            self.partition_to_all_potential_consumers.items(),
            key=lambda item: (len(item[1]), item[0][0], item[0][1]),
        )
        self.sorted_partitions = []
        if not self.is_fresh_assignment and self._subscriptions_identical():
            assignments = {
                m: [tp for tp in tps if tp in self.partition_to_all_potential_consumers]
                for m, tps in self.current_assignment.items()
            }
            pending = dict.fromkeys(assignments)
            while pending:
                member = max(pending, key=lambda m: (len(assignments[m]), m))
                del pending[member]
                if assignments[member]:
                    self.sorted_partitions.append(assignments[member].pop())
                    pending[member] = None
        for tp, _ in by_potential:
            if tp not in self.sorted_partitions:
                self.sorted_partitions.append(tp)

    def _populate_partitions_to_reassign(self) -> None:
        self.unassigned_partitions = list(self.sorted_partitions)
        for member, tps in list(self.current_assignment.items()):
            if member not in self.members:
                for tp in tps:
                    del self.current_partition_consumer[tp]
                del self.current_assignment[member]
                continue
            gone = []
            for tp in tps:
                if tp not in self.partition_to_all_potential_consumers:
                    gone.append(tp)
                elif tp[0] not in self.members[member]:
                    gone.append(tp)
                    self.revocation_required = True
                else:
                    self.unassigned_partitions.remove(tp)
            for tp in gone:
                tps.remove(tp)
                del self.current_partition_consumer[tp]

    def _subscriptions_identical(self) -> bool:
        return _all_equal(list(self.partition_to_all_potential_consumers.values())) and (
            _all_equal(list(self.consumer_to_all_potential_partitions.values()))
        )

    # -- the sorted set of members by how many partitions they hold ---------------------
    def _ordered(self) -> list[str]:
        return sorted(self.counts, key=lambda m: (self.counts[m], m))

    def _least(self) -> str:
        return min(self.counts, key=lambda m: (self.counts[m], m))

    def _most(self) -> str:
        return max(self.counts, key=lambda m: (self.counts[m], m))

    def _is_balanced(self) -> bool:
        assigned = self.current_assignment
        if len(assigned[self._least()]) >= len(assigned[self._most()]) - 1:
            return True
        owner = {tp: m for m, tps in assigned.items() for tp in tps}
        for member in self._ordered():
            count = len(assigned[member])
            potential = self.consumer_to_all_potential_partitions[member]
            if count == len(potential):
                continue
            for tp in potential:
                if tp not in assigned[member] and count < len(assigned[owner[tp]]):
                    return False
        return True

    # -- moving partitions -------------------------------------------------------------
    def _assign_partition(self, tp: TopicPartition) -> None:
        for member in self._ordered():
            if tp in self.consumer_to_all_potential_partitions[member]:
                self.current_assignment[member].append(tp)
                self.current_partition_consumer[tp] = member
                self.counts[member] += 1
                return

    def _can_consumer_participate(self, member: str) -> bool:
        current = self.current_assignment[member]
        if len(current) < len(self.consumer_to_all_potential_partitions[member]):
            return True
        return any(len(self.partition_to_all_potential_consumers[tp]) >= 2 for tp in current)

    def _perform_reassignments(self, reassignable: list[TopicPartition]) -> bool:
        performed = False
        while True:
            modified = False
            for tp in reassignable:
                if self._is_balanced():
                    break
                member = self.current_partition_consumer.get(tp)
                for other in self.partition_to_all_potential_consumers[tp]:
                    if (
                        len(self.current_assignment[member])
                        > len(self.current_assignment[other]) + 1
                    ):
                        self._reassign_partition(tp)
                        performed = modified = True
                        break
            if not modified:
                return performed

    def _reassign_partition(self, tp: TopicPartition) -> None:
        new = next(m for m in self._ordered() if tp in self.consumer_to_all_potential_partitions[m])
        old = self.current_partition_consumer[tp]
        to_move = self._partition_to_be_moved(tp, old, new)
        substitute_owner = self.current_partition_consumer[to_move]
        if substitute_owner != old:
            self._move_partition(tp, substitute_owner)
        self._move_partition(to_move, new)

    def _partition_to_be_moved(self, tp: TopicPartition, old: str, new: str) -> TopicPartition:
        by_pair = self.movements_by_topic.get(tp[0])
        if by_pair is None:
            return tp
        if tp in self.movements:
            old = self.movements[tp][0]
        reverse = by_pair.get((new, old))
        return min(reverse) if reverse else tp

    def _move_partition(self, tp: TopicPartition, new: str) -> None:
        old = self.current_partition_consumer[tp]
        self._record_movement(tp, old, new)
        self.current_assignment[old].remove(tp)
        self.current_assignment[new].append(tp)
        self.current_partition_consumer[tp] = new
        self.counts[old] -= 1
        self.counts[new] += 1

    def _record_movement(self, tp: TopicPartition, old: str, new: str) -> None:
        pair = (old, new)
        if tp in self.movements:
            src, _ = self._forget_movement(tp)
            if src == new:
                return  # moved back to where it started
            pair = (src, new)
        self.movements[tp] = pair
        self.movements_by_topic.setdefault(tp[0], {}).setdefault(pair, []).append(tp)

    def _forget_movement(self, tp: TopicPartition) -> tuple[str, str]:
        pair = self.movements.pop(tp)
        by_pair = self.movements_by_topic[tp[0]]
        by_pair[pair].remove(tp)
        if not by_pair[pair]:
            del by_pair[pair]
        if not by_pair:
            del self.movements_by_topic[tp[0]]
        return pair


def _remove(items: list, item) -> None:
    if item in items:
        items.remove(item)


def _all_equal(lists: list[list]) -> bool:
    return all(lists[i] == lists[i - 1] for i in range(1, len(lists)))


def _score(assignment: dict[str, list[TopicPartition]]) -> int:
    """Sum over member pairs of the difference in partition counts (0 is perfect)."""
    counts = [len(tps) for tps in assignment.values()]
    return sum(abs(a - b) for i, a in enumerate(counts) for b in counts[i + 1 :])
