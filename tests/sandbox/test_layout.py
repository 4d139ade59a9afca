"""The diagram's geometry: columns per broker, every entity drawn, labels escaped."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from sandbox.layout import AMQP_COLUMNS, KAFKA_COLUMNS, layout, short, tape_window

XSS = "<img src=x onerror=alert(1)>"


def partitions(n: int, end: int = 0) -> list[dict]:
    return [
        {"partition": i, "log_start": 0, "high_watermark": end, "log_end": end} for i in range(n)
    ]


STATE = {
    "amqp": {
        "exchanges": [
            {"name": "", "type": "direct"},
            {"name": "amq.topic", "type": "topic"},
            {"name": "orders", "type": "topic", "arguments": {"alternate-exchange": "lost"}},
            {"name": "lost", "type": "fanout"},
        ],
        "queues": [
            {"name": "eu", "ready": 2, "unacked": 1},
            {"name": "us", "arguments": {"x-dead-letter-exchange": "lost"}},
            {"name": "unrouted"},
        ],
        "bindings": [
            {
                "source": "orders",
                "destination": "eu",
                "destination_type": "queue",
                "routing_key": "eu.#",
            },
            {
                "source": "orders",
                "destination": "us",
                "destination_type": "queue",
                "routing_key": "us.#",
            },
            {
                "source": "lost",
                "destination": "unrouted",
                "destination_type": "queue",
                "routing_key": "",
            },
        ],
        "consumers": [{"tag": "c-eu", "queue": "eu"}, {"tag": "c-us", "queue": "us"}],
    },
    "kafka": {
        "topics": [{"name": "clicks", "partitions": partitions(3, 5)}],
        "groups": [
            {"group_id": "billing", "members": [{"member": "b-1", "assignment": [["clicks", 0]]}]},
            {"group_id": "audit", "members": []},
        ],
    },
    "producers": [
        {"name": "shop", "broker": "amqp", "target": "orders", "routing_key": "eu.x"},
        {"name": "tracker", "broker": "kafka", "target": "clicks"},
    ],
    "groups": {"audit": {"topics": ["clicks"]}},
}


def test_every_entity_becomes_a_node_with_its_protocol_id():
    ids = {n.id for n in layout(STATE).nodes}
    assert ids == {
        "p:shop", "x:orders", "x:lost", "q:eu", "q:us", "q:unrouted", "c:c-eu", "c:c-us",
        "p:tracker", "t:clicks", "tp:clicks:0", "tp:clicks:1", "tp:clicks:2",
        "g:billing", "g:audit", "m:b-1",
    }  # fmt: skip


def test_predefined_exchanges_are_drawn_only_when_used():
    state = {
        **STATE,
        "producers": [{"name": "p", "broker": "amqp", "target": "", "routing_key": "eu"}],
    }
    ids = {n.id for n in layout(state).nodes}
    assert "x:" in ids and "x:amq.topic" not in ids


@pytest.mark.parametrize(
    ("kind", "x"),
    [
        ("producer", AMQP_COLUMNS["producer"][0]),
        ("exchange", AMQP_COLUMNS["exchange"][0]),
        ("queue", AMQP_COLUMNS["queue"][0]),
        ("consumer", AMQP_COLUMNS["consumer"][0]),
        ("topic", KAFKA_COLUMNS["topic"][0]),
        ("group", KAFKA_COLUMNS["group"][0]),
        ("member", KAFKA_COLUMNS["member"][0]),
    ],
)
def test_each_kind_sits_in_its_column(kind, x):
    nodes = [n for n in layout(STATE).nodes if n.kind == kind]
    assert nodes and all(n.x == x for n in nodes)


def test_columns_run_left_to_right_and_the_kafka_band_sits_below():
    d = layout(STATE)
    node = {n.id: n for n in d.nodes}
    assert node["p:shop"].x < node["x:orders"].x < node["q:eu"].x < node["c:c-eu"].x
    assert node["p:tracker"].x < node["t:clicks"].x < node["g:billing"].x < node["m:b-1"].x
    rabbit, kafka = d.bands
    assert all(n.y + n.h <= rabbit.y + rabbit.h for n in d.nodes if n.broker == "amqp")
    assert all(n.y >= kafka.y for n in d.nodes if n.broker == "kafka")


def test_nodes_in_a_column_do_not_overlap():
    nodes = layout(STATE).nodes
    for a in nodes:
        for b in nodes:
            if a is not b and a.x == b.x and a.kind == b.kind:
                assert a.y + a.h <= b.y or b.y + b.h <= a.y


def test_edges_join_existing_nodes_with_a_path():
    d = layout(STATE)
    ids = {n.id for n in d.nodes}
    kinds = {(e.source, e.target): e.kind for e in d.edges}
    assert all(e.source in ids and e.target in ids and e.d.startswith("M") for e in d.edges)
    assert kinds[("x:orders", "q:eu")] == "binding"
    assert kinds[("x:orders", "x:lost")] == "ae"
    assert kinds[("q:us", "x:lost")] == "dlx"
    assert kinds[("q:eu", "c:c-eu")] == "deliver"
    assert kinds[("p:tracker", "tp:clicks:2")] == "append"
    assert kinds[("tp:clicks:1", "g:audit")] == "subscribe"
    assert kinds[("g:billing", "m:b-1")] == "member"


def test_partitions_are_tapes_inside_their_topic():
    node = {n.id: n for n in layout(STATE).nodes}
    topic = node["t:clicks"]
    for p in range(3):
        tape = node[f"tp:clicks:{p}"]
        assert topic.y < tape.y and tape.y + tape.h <= topic.y + topic.h
        assert [c[2] for c in tape.extra["cells"]][:5] == ["record"] * 5
        assert {m["group"] for m in tape.extra["markers"]} == {"billing", "audit"}


@pytest.mark.parametrize(
    ("start", "hw", "end", "want"),
    [
        (0, 0, 0, ["empty"] * 16),
        (0, 2, 3, ["record", "record", "unreplicated"] + ["empty"] * 13),
        (18, 20, 20, ["gone"] * 14 + ["record"] * 2),
    ],
)
def test_a_tape_shows_the_last_offsets_up_to_the_log_end(start, hw, end, want):
    assert tape_window(start, hw, end) == want


def test_an_empty_sandbox_says_what_to_do():
    d = layout({})
    assert d.nodes == [] and all(b.hint for b in d.bands)


def test_long_names_are_shortened_but_kept_whole_in_the_title():
    name = "x" * 200
    d = layout({"amqp": {"queues": [{"name": name}]}})
    (q,) = d.nodes
    assert q.title == name and len(q.label) < 30 and q.label == short(name, len(q.label))


def test_labels_are_escaped_in_the_rendered_svg():
    binding = {"source": XSS, "destination": XSS, "destination_type": "queue", "routing_key": XSS}
    state = {
        "amqp": {
            "queues": [{"name": XSS}],
            "exchanges": [{"name": XSS, "type": "fanout"}],
            "bindings": [binding],
        },
        "kafka": {"topics": [{"name": XSS, "partitions": partitions(1)}]},
    }

    class Box:
        id = "abc"

    svg = render_to_string("partials/diagram.html", {"diagram": layout(state), "sandbox": Box()})
    assert "<img" not in svg
    assert "&lt;img src=x" in svg
