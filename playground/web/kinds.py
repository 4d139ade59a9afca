"""Every kind of thing the page builds or shows, declared once: one `Kind` per kind.

A `Kind` says how the page handles one kind of entity:

- `form`: its build form (the fields a person fills in; `to_command()`, the command it
  becomes; `initial_from()`, the form filled in from a described entity), or None for a
  kind the page shows but does not build (a partition, a member);
- `title`, `broker`: what the page calls it and whose it is ("both" for a producer);
- `delete_op`, `key`: the op that deletes one and the command field that names it;
- `plan_edit`, `check_edit`: how an edit becomes commands (with the commands that put the
  old entity back if one fails; `sandbox.editing`), and what an edit may not change;
- `node`, `details`: its prefix in the node-id scheme (`brokers.nodes`) and the reader
  that makes its details panel (settings, live counters, buttons) from the described
  state (`page_state.state`).

`KINDS` holds the kinds the page builds (their URL is `s/<id>/<kind>/`); `details(st,
node_id)` answers for any node. The diagram draws the nodes (`sandbox.layout`) and
`templates/partials/details.html` renders the panel. A new field is an edit of its form
(and of the runtime's handler); a new kind is one entry here, its form and its reader.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from brokers import nodes
from playground.web import forms
from playground.web.page_state import binding_key
from sandbox import editing

Plan = tuple[list[dict[str, Any]], list[dict[str, Any]]]  # (commands, restore)


# -- details panels ------------------------------------------------------------------------


def _find(items: list[dict], key: str, name: str) -> dict[str, Any] | None:
    return next((i for i in items if i.get(key) == name), None)


def _settings(item: dict[str, Any], skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    rows = []
    for key, value in item.items():
        if key in skip:
            continue
        if isinstance(value, dict | list):
            value = json.dumps(value, sort_keys=True) if value else "—"
        rows.append((key.replace("_", " "), str(value)))
    return rows


def exchange_details(st: dict, name: str) -> dict | None:

    e = _find(st["amqp"].get("exchanges", []), "name", name)
    if e is None and name == "":
        e = {"name": "", "type": "direct"}
    if e is None:
        return None
    predefined = name == "" or name.startswith("amq.")
    bindings = [
        {**b, "key": binding_key(b)} for b in st["amqp"].get("bindings", []) if b["source"] == name
    ]
    return {
        "kind": "exchange",
        "broker": "amqp",
        "title": name or "(default exchange)",
        "name": name,
        "settings": _settings(e, ("name",)),
        "counters": [],
        "bindings": bindings,
        "initial": None if predefined else forms.ExchangeForm.initial_from(e),
    }


def queue_details(st: dict, name: str) -> dict | None:

    q = _find(st["amqp"].get("queues", []), "name", name)
    if q is None:
        return None
    return {
        "kind": "queue",
        "broker": "amqp",
        "title": name,
        "name": name,
        "settings": _settings(q, ("name", "ready", "unacked", "consumers", "bytes")),
        "counters": [
            ("ready", "ready", q.get("ready", 0)),
            ("unacked", "unacked", q.get("unacked", 0)),
            ("consumers", "consumers", q.get("consumers", 0)),
        ],
        "actions": [("queue.purge", name, "Purge")],
        "initial": forms.QueueForm.initial_from(q),
    }


def consumer_details(st: dict, tag: str) -> dict | None:

    c = _find(st["amqp"].get("consumers", []), "tag", tag)
    if c is None:
        return None
    counters = ("delivered", "acked", "nacked", "unacked")
    return {
        "kind": "consumer",
        "broker": "amqp",
        "title": tag,
        "name": tag,
        "settings": _settings(c, ("tag", "state") + counters),
        "counters": [("state", "state", c.get("state", ""))]
        + [(k, k, c.get(k, 0)) for k in counters],
        "actions": [("consumer.crash", tag, "Crash"), ("consumer.restart", tag, "Restart")],
        "initial": forms.ConsumerForm.initial_from(c),
    }


def producer_details(st: dict, name: str) -> dict | None:

    p = _find(st["producers"], "name", name)
    if p is None:
        return None
    return {
        "kind": "producer",
        "broker": p.get("broker", "amqp"),
        "title": name,
        "name": name,
        "settings": _settings(p, ("name",)),
        "counters": [],
        "actions": [("producer.start", name, "Start"), ("producer.stop", name, "Stop")],
        "initial": forms.ProducerForm.initial_from(p),
    }


def topic_details(st: dict, name: str) -> dict | None:

    t = _find(st["kafka"].get("topics", []), "name", name)
    if t is None:
        return None
    return {
        "kind": "topic",
        "broker": "kafka",
        "title": name,
        "name": name,
        "settings": _settings(t, ("name", "partitions")),
        "partitions": t.get("partitions", []),
        "counters": [],
        "initial": forms.TopicForm.initial_from(t),
    }


def partition_details(st: dict, rest: str) -> dict | None:
    topic, _, number = rest.rpartition(":")
    t = _find(st["kafka"].get("topics", []), "name", topic)
    if t is None or not number.isdigit():
        return None
    p = _find(t.get("partitions", []), "partition", int(number))
    if p is None:
        return None
    fields = ("log_start", "high_watermark", "log_end")
    return {
        "kind": "partition",
        "broker": "kafka",
        "title": f"{topic} · partition {number}",
        "name": topic,
        "settings": _settings(p, fields),
        "counters": [(f.replace("_", " "), f, p.get(f, 0)) for f in fields],
        "topic_node": "t:" + topic,
        "initial": None,
    }


def group_details(st: dict, group_id: str) -> dict | None:

    g = _find(st["kafka"].get("groups", []), "group_id", group_id)
    if g is None:
        return None
    settings = st["groups"].get(group_id) or {}
    return {
        "kind": "group",
        "broker": "kafka",
        "title": group_id,
        "name": group_id,
        "settings": _settings(g, ("group_id", "members", "offsets", "lag")),
        "counters": [("lag", "lag", g.get("lag", 0)), ("state", "state", g.get("state", ""))],
        "offsets": g.get("offsets", []),
        "members": g.get("members", []),
        "actions": [("member.add", group_id, "Add member")],
        "initial": forms.GroupForm.initial_from(g, settings),
    }


def member_details(st: dict, member: str) -> dict | None:
    for g in st["kafka"].get("groups", []):
        m = _find(g.get("members", []), "member", member)
        if m is not None:
            return {
                "kind": "member",
                "broker": "kafka",
                "title": member,
                "name": member,
                "settings": _settings({"group": g["group_id"], **m}, ("member", "state")),
                "counters": [("state", "state", m.get("state", ""))],
                "actions": [("member.leave", member, "Leave"), ("member.crash", member, "Crash")],
                "initial": None,
            }
    return None


# -- edits ---------------------------------------------------------------------------------


def _topic(st: dict, name: str) -> dict | None:
    return next((t for t in st.get("kafka", {}).get("topics", []) if t["name"] == name), None)


def _plan_exchange(st: dict, original: str, command: dict) -> Plan:
    return editing.plan_exchange(st.get("amqp", {}), original, command)


def _plan_queue(st: dict, original: str, command: dict) -> Plan:
    return editing.plan_queue(st.get("amqp", {}), original, command)


def _plan_topic(st: dict, original: str, command: dict) -> Plan:
    return editing.plan_topic(_topic(st, original), command)


def _update(op: str, key: str, drop: tuple[str, ...] = ()) -> Callable[[dict, str, dict], Plan]:
    """An edit in place: the kind's update op on the entity named `original`."""

    def plan(st: dict, original: str, command: dict) -> Plan:
        updated = {**command, "op": op, key: original}
        for field in drop:
            updated.pop(field, None)
        return [updated], []

    return plan


def _check_topic_edit(st: dict, original: str, form: forms.CommandForm) -> None:
    have = len((_topic(st, original) or {}).get("partitions") or [])
    if form.cleaned_data["partitions"] < have:
        form.add_error("partitions", f"Kafka never shrinks a topic: it has {have} partitions.")
    if form.cleaned_data["name"] != original:
        form.add_error("name", "Kafka topics cannot be renamed.")


# -- the kinds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How one kind of entity is created, edited, deleted and detailed from the page."""

    form_class: type[forms.CommandForm] | None
    title: str
    broker: str
    delete_op: str = ""
    key: str = "name"
    plan_edit: Callable[[dict, str, dict], Plan] | None = None
    check_edit: Callable[[dict, str, forms.CommandForm], None] | None = None
    node: str = ""
    details: Callable[[dict, str], dict | None] | None = None


ALL: dict[str, Kind] = {
    "exchange": Kind(forms.ExchangeForm, "Exchange", "amqp", "exchange.delete",
                     plan_edit=_plan_exchange, node=nodes.EXCHANGE, details=exchange_details),
    "queue": Kind(forms.QueueForm, "Queue", "amqp", "queue.delete",
                  plan_edit=_plan_queue, node=nodes.QUEUE, details=queue_details),
    "binding": Kind(forms.BindingForm, "Binding", "amqp", "unbind"),  # edited by its key
    "consumer": Kind(forms.ConsumerForm, "Consumer", "amqp", "consumer.remove", "tag",
                     plan_edit=_update("consumer.update", "tag"),
                     node=nodes.CONSUMER, details=consumer_details),
    "producer": Kind(forms.ProducerForm, "Producer", "both", "producer.remove",
                     plan_edit=_update("producer.update", "name"),
                     node=nodes.PRODUCER, details=producer_details),
    "publish": Kind(forms.PublishForm, "Publish to an exchange", "amqp"),
    "topic": Kind(forms.TopicForm, "Topic", "kafka", "topic.delete",
                  plan_edit=_plan_topic, check_edit=_check_topic_edit,
                  node=nodes.TOPIC, details=topic_details),
    "partition": Kind(None, "Partition", "kafka", node=nodes.PARTITION,
                      details=partition_details),
    "group": Kind(forms.GroupForm, "Consumer group", "kafka", "group.remove", "group_id",
                  plan_edit=_update("group.update", "group_id", drop=("members",)),
                  node=nodes.GROUP, details=group_details),
    "member": Kind(None, "Member", "kafka", node=nodes.MEMBER, details=member_details),
    "send": Kind(forms.SendForm, "Send to a topic", "kafka"),
}  # fmt: skip

#: the kinds the page builds, each with its form (the URL s/<id>/<kind>/)
KINDS: dict[str, Kind] = {name: k for name, k in ALL.items() if k.form_class is not None}
_BY_NODE: dict[str, Kind] = {k.node: k for k in ALL.values() if k.node}


def details(st: dict[str, Any], node_id: str) -> dict[str, Any] | None:
    """What the details panel shows for one diagram node, or None if it is gone."""
    prefix, _, name = node_id.partition(":")
    kind = _BY_NODE.get(prefix)
    found = kind.details(st, name) if kind and kind.details else None
    kept = (st.get("kept") or {}).get(found["broker"]) if found else None
    if kept:  # shown, not driven: its commands would be refused
        found.update(kept=kept, actions=[], initial=None)
    return found
