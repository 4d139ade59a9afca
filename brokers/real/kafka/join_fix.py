"""A group join that finishes between two polls is completed, not thrown away (kafka-python 3.0.12).

kafka-python drives JoinGroup -> SyncGroup as a task on its IO thread, but completes the
join (state, heartbeat, `on_partitions_assigned`) only inside `poll()`. When a poll's
timeout ends while the task is in flight and the task finishes before the next poll,
`join_group_async` sees a finished task and sends a fresh JoinGroup instead of using its
answer. A leader's JoinGroup starts a new generation, so with short polls under load the
group churns through generations; and when the rejoin was asked for by a metadata change
(the assignment snapshot differed from the metadata snapshot, `rejoin_needed` stayed
False) the leader's own assignment makes the snapshots equal, `need_rejoin()` turns False,
and the join is never completed: the member sits in REBALANCING with no partitions and
no heartbeat. Seen as a member that got its partition in generation 1 and never
finished generation 2.

`complete_joins_across_polls` patches one consumer's coordinator: a join in progress
keeps `rejoin_needed` set until it completes, and a join task that already succeeded
is completed with its own answer. Both run on the IO thread, inside
`join_group_async`, so no task can finish between the check and its use.
"""

from __future__ import annotations

from typing import Any

from kafka import KafkaConsumer
from kafka.coordinator.base import MemberState


def complete_joins_across_polls(consumer: KafkaConsumer) -> None:
    """Patch `consumer`'s coordinator so no finished JoinGroup/SyncGroup is lost."""
    coordinator = consumer._coordinator
    join_group_async = coordinator.join_group_async  # the library's bound method

    async def join_finished_or_pending(timeout_ms: Any = None) -> bool:
        task = coordinator._join_task
        if task is not None and task.is_done and task.succeeded():
            coordinator._join_task = None
            with coordinator._lock:  # what join_group_async does with a fresh answer
                coordinator.rejoining = False
                coordinator.rejoin_needed = False
                coordinator.state = MemberState.STABLE
                coordinator._enable_heartbeat()
            generation = coordinator._generation
            await coordinator._on_join_complete_async(
                generation.generation_id, generation.member_id, generation.protocol, task.value
            )
            return True
        if task is not None or coordinator.need_rejoin():
            coordinator.rejoin_needed = True  # stays set until this join completes
        return await join_group_async(timeout_ms=timeout_ms)

    coordinator.join_group_async = join_finished_or_pending
