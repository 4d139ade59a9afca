"""One entry per kind: every node the engine names has a details panel, every kind the
page builds has a form, and every kind that can be deleted can be edited."""

from __future__ import annotations

from brokers import nodes
from playground.web import kinds
from sandbox import protocol


def test_every_node_prefix_of_the_engine_has_exactly_one_kind_with_a_details_panel():
    by_prefix = [k.node for k in kinds.ALL.values() if k.node]
    assert sorted(by_prefix) == sorted(nodes.PREFIXES)
    assert all(k.details for k in kinds.ALL.values() if k.node)


def test_the_page_builds_exactly_the_kinds_with_a_form():
    assert set(kinds.KINDS) == {name for name, k in kinds.ALL.items() if k.form_class}
    assert {"partition", "member"} & set(kinds.KINDS) == set()


def test_every_kind_that_can_be_deleted_can_be_edited_with_real_ops():
    for name, kind in kinds.KINDS.items():
        if not kind.delete_op:
            continue
        assert kind.delete_op in protocol.ALL_OPS, name
        assert kind.plan_edit or name == "binding", name  # a binding is edited by its key


def test_an_edit_in_place_names_the_entity_it_edits():
    plan, restore = kinds.KINDS["group"].plan_edit({}, "billing", {"op": "group.add", "members": 3})
    assert plan == [{"op": "group.update", "group_id": "billing"}] and restore == []


def test_a_node_the_state_does_not_hold_has_no_details():
    st = {"amqp": {}, "kafka": {}, "producers": [], "groups": {}}
    assert kinds.details(st, "q:gone") is None and kinds.details(st, "zz:what") is None
