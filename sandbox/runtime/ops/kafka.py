"""Kafka commands: read the fields, call the backend, then record the change in the spec.

Group members get ids the runtime chooses (`<group>-<n>`), so a rebuild from the spec
starts the same members under the same names. A crashed member is dropped from the
spec: once its session times out the group has forgotten it too. A group starts with at
least one member, because Kafka knows a group only once a member joins (or offsets are
committed); its members may all leave later, and only then can its offsets be reset.
Resetting the offsets of a group the spec does not hold is allowed, as in Kafka (the
scenarios show a group that "committed long ago"): the spec then holds it as a group with
no members, like one whose members all left. Its offsets are engine state the spec never
keeps, like messages in flight; a rebuild brings such a group back with its offsets at
the start of each (fresh) log, so the runtime and the spec name the same groups. Two-step commands
(`group.add` with several members, `group.update`) undo their first steps when a later
one is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, get_args

import sandbox.runtime.spec as specs
from brokers.errors import BrokerError
from brokers.kafka.api import (
    AUTO_COMMIT_INTERVAL_MS,
    MAX_POLL_RECORDS,
    SESSION_TIMEOUT_MS,
    CommitPolicy,
    OffsetReset,
    ResetTo,
)
from brokers.kafka.assignors import ASSIGNORS
from brokers.kafka.topics import MAX_PARTITIONS, MAX_REPLICATION_FACTOR
from sandbox.protocol import MAX_GROUP_MEMBERS
from sandbox.runtime.commands import command
from sandbox.runtime.fields import CommandError, Fields

if TYPE_CHECKING:
    from sandbox.runtime.core import SandboxRuntime

COMMIT_POLICIES = get_args(CommitPolicy)
OFFSET_RESETS = get_args(OffsetReset)
RESET_TO = get_args(ResetTo)


@command("topic.create")
def topic_create(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    name = f.name("name")
    if name in rt.spec["topics"]:
        raise CommandError(f"A topic named {name!r} already exists.", "name")
    conf = {
        "partitions": f.integer("partitions", 1, 1, MAX_PARTITIONS),
        "replication_factor": f.integer("replication_factor", 1, 1, MAX_REPLICATION_FACTOR),
        "configs": f.mapping("configs"),
    }
    rt.need_room(conf["partitions"])
    rt.kafka.create_topic(
        name, conf["partitions"], conf["replication_factor"], conf["configs"] or None
    )
    rt.spec["topics"][name] = conf
    return {"name": name}


def _known_topic(rt: SandboxRuntime, f: Fields) -> tuple[str, dict[str, Any]]:
    name = f.name("name")
    if name not in rt.spec["topics"]:
        raise CommandError(f"No topic named {name!r}.", "name")
    return name, rt.spec["topics"][name]


@command("topic.alter")
def topic_alter(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    name, conf = _known_topic(rt, f)
    configs = f.mapping("configs")
    rt.kafka.alter_topic_configs(name, configs)
    conf["configs"] = {**conf["configs"], **configs}
    return {"name": name}


@command("topic.partitions")
def topic_partitions(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    name, conf = _known_topic(rt, f)
    total = f.integer("total", None, 1, MAX_PARTITIONS)
    rt.need_room(max(0, total - conf["partitions"]))
    rt.kafka.create_partitions(name, total)
    conf["partitions"] = total
    return {"name": name, "partitions": total}


@command("topic.delete")
def topic_delete(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    name, _ = _known_topic(rt, f)
    rt.kafka.delete_topic(name)
    del rt.spec["topics"][name]
    return {"name": name}


def _group_conf(f: Fields, base: dict[str, Any]) -> dict[str, Any]:
    readers = {
        "topics": lambda: f.names("topics"),
        "partition_assignment_strategy": lambda: f.choice(
            "partition_assignment_strategy", ASSIGNORS, "range"
        ),
        "commit_policy": lambda: f.choice("commit_policy", COMMIT_POLICIES, "auto"),
        "auto_commit_interval_ms": lambda: f.integer(
            "auto_commit_interval_ms", 5000, *AUTO_COMMIT_INTERVAL_MS
        ),
        "auto_offset_reset": lambda: f.choice("auto_offset_reset", OFFSET_RESETS, "latest"),
        "max_poll_records": lambda: f.integer("max_poll_records", 500, *MAX_POLL_RECORDS),
        "processing_time": lambda: f.number("processing_time", 0.0, 0.0, 3600.0),
        "session_timeout_ms": lambda: f.integer("session_timeout_ms", 45_000, *SESSION_TIMEOUT_MS),
    }
    return {
        key: read() if f.has(key) or key not in base else base[key] for key, read in readers.items()
    }


def _start_members(rt: SandboxRuntime, group_id: str, conf: dict[str, Any], ids: list[str]):
    """Start members `ids`; if one is refused, stop the ones just started and re-raise."""
    started: list[str] = []
    try:
        for member in ids:
            rt.kafka.add_member(
                group_id, conf["topics"], member=member, **specs.member_kwargs(conf)
            )
            started.append(member)
    except BrokerError:
        for member in reversed(started):
            rt.kafka.leave_member(member)
        raise


@command("group.add")
def group_add(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    group_id = f.name("group_id")
    known = rt.spec["groups"].get(group_id)
    if known is not None and known["members"]:
        raise CommandError(f"A group named {group_id!r} already exists.", "group_id")
    # an empty group (its members left, or only its offsets were reset) is joined again,
    # as consumers with that group.id would: they start from its committed offsets
    first = known["next"] if known else 1
    conf = _group_conf(f, {})
    count = f.integer("members", 1, 0, MAX_GROUP_MEMBERS)
    if count == 0:
        raise CommandError(
            "A Kafka group exists once a member joins: start it with at least one member "
            "(they can leave later, and an empty group's offsets can be reset).",
            "members",
        )
    rt.need_room(1 + count)
    ids = [f"{group_id}-{k}" for k in range(first, first + count)]
    _start_members(rt, group_id, conf, ids)
    rt.spec["groups"][group_id] = {**conf, "members": ids, "next": first + count}
    return {"group_id": group_id, "members": ids}


def _known_group(rt: SandboxRuntime, f: Fields) -> tuple[str, dict[str, Any]]:
    group_id = f.name("group_id")
    if group_id not in rt.spec["groups"]:
        raise CommandError(f"No group named {group_id!r}.", "group_id")
    return group_id, rt.spec["groups"][group_id]


@command("group.update")
def group_update(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    group_id, old = _known_group(rt, f)
    conf = _group_conf(f, old)
    for member in old["members"]:
        rt.kafka.leave_member(member)
    try:
        _start_members(rt, group_id, conf, old["members"])
    except BrokerError:
        _start_members(rt, group_id, old, old["members"])
        raise
    old.update(conf)
    return {"group_id": group_id}


@command("group.remove")
def group_remove(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    group_id, conf = _known_group(rt, f)
    for member in conf["members"]:
        rt.kafka.leave_member(member)
    del rt.spec["groups"][group_id]
    return {"group_id": group_id}


@command("member.add")
def member_add(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    group_id, conf = _known_group(rt, f)
    if len(conf["members"]) >= MAX_GROUP_MEMBERS:
        raise CommandError(f"A group has at most {MAX_GROUP_MEMBERS} members here.", "group_id")
    rt.need_room(1)
    member = f"{group_id}-{conf['next']}"
    _start_members(rt, group_id, conf, [member])
    conf["members"].append(member)
    conf["next"] += 1
    return {"member": member}


def _member_group(rt: SandboxRuntime, f: Fields) -> tuple[str, dict[str, Any]]:
    member = f.name("member")
    for conf in rt.spec["groups"].values():
        if member in conf["members"]:
            return member, conf
    raise CommandError(f"No running member named {member!r}.", "member")


@command("member.leave")
def member_leave(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    member, conf = _member_group(rt, f)
    rt.kafka.leave_member(member)
    conf["members"].remove(member)
    return {"member": member}


@command("member.crash")
def member_crash(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    member, conf = _member_group(rt, f)
    rt.kafka.crash_member(member)
    conf["members"].remove(member)
    return {"member": member}


@command("group.reset", changes_spec=False)
def group_reset(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    group_id = f.name("group_id")
    to = f.choice("to", RESET_TO)
    value = f.integer("value", None, 0, 2**62) if to in ("offset", "timestamp") else None
    topic = f.name("topic")
    offsets = rt.kafka.reset_offsets(group_id, topic, to, value)
    if group_id not in rt.spec["groups"]:  # Kafka knows it now: so does the spec
        conf = _group_conf(f, {"topics": [topic]})
        rt.spec["groups"][group_id] = {**conf, "members": [], "next": 1}
    return {"offsets": {str(p): o for p, o in offsets.items()}}


@command("broker.stop")
def broker_stop(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    broker_id = f.integer("id", None, 0, 1000)
    rt.kafka.stop_broker(broker_id)
    if broker_id not in rt.spec["brokers_down"]:
        rt.spec["brokers_down"].append(broker_id)
    return {"id": broker_id}


@command("broker.start")
def broker_start(rt: SandboxRuntime, f: Fields) -> dict[str, Any]:
    broker_id = f.integer("id", None, 0, 1000)
    rt.kafka.start_broker(broker_id)
    if broker_id in rt.spec["brokers_down"]:
        rt.spec["brokers_down"].remove(broker_id)
    return {"id": broker_id}


def send_conf(f: Fields) -> dict[str, Any]:
    """The record template of a `send` command or a Kafka producer."""
    return {
        "broker": "kafka",
        "target": f.name("topic") if f.has("topic") else f.name("target"),
        "routing_key": f.key("key", f.key("routing_key")),
        "key_pattern": f.key("key_pattern"),
        "payload": f.payload("value", f.payload("payload")),
        "headers": f.mapping("headers"),
        "partition": f.integer("partition", 0, 0, MAX_PARTITIONS - 1)
        if f.has("partition")
        else None,
    }
