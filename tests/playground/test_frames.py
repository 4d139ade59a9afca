"""Frames sample moves evenly, slice the log, and fit a byte budget whatever they carry."""

from __future__ import annotations

import random

from brokers.amqp.events import Delivered, Published, Routed
from playground import frames


def published(i: int) -> Published:
    return Published(t=i, msg=f"m{i}", exchange="x", routing_key="k", size=1, publisher="p")


def test_moves_map_events_to_diagram_edges():
    events = [
        published(1),
        Routed(t=1, msg="m1", exchange="x", routing_key="k", queues=("a", "b"), matches=()),
        Delivered(
            t=1,
            msg="m1",
            queue="a",
            consumer_tag="c1",
            delivery_tag=1,
            redelivered=False,
            delivery_count=0,
        ),  # fmt: skip
    ]
    assert frames.moves(events, 10) == [
        {"msg": "m1", "kind": "published", "from": "p:p", "to": "x:x"},
        {"msg": "m1", "kind": "routed", "from": "x:x", "to": "q:a"},
        {"msg": "m1", "kind": "routed", "from": "x:x", "to": "q:b"},
        {"msg": "m1", "kind": "delivered", "from": "q:a", "to": "c:c1"},
    ]


def test_moves_are_an_even_bounded_sample():
    events = [published(i) for i in range(10_000)]
    sample = frames.moves(events, 64)
    assert len(sample) == 64
    ids = [int(m["msg"][1:]) for m in sample]
    assert ids == sorted(ids) and ids[0] < 200 and ids[-1] > 9_700
    assert frames.moves(events, 64) == sample


def test_a_sample_never_shows_one_movement_twice():
    for n in (65, 80, 100, 127, 129, 160, 1_000):  # strides just over 1 once picked twice
        events = [published(i) for i in range(n)]
        ids = [m["msg"] for m in frames.moves(events, 64, random.Random(n))]
        assert len(ids) == 64 and len(set(ids)) == 64, n


def test_the_log_keeps_the_newest_and_counts_the_rest():
    items, more = frames.log_slice([published(i) for i in range(120)], 50)
    assert len(items) == 50 and more == 70 and items[-1]["msg"] == "m119"


def test_fit_trims_log_then_moves_then_the_longest_lists():
    frame = {
        "log": [{"kind": "x", "pad": "y" * 500}] * 50,
        "more": 0,
        "moves": [{"msg": "m", "pad": "z" * 100}] * 64,
        "amqp": {"queues": [{"name": f"q{i}", "pad": "q" * 200} for i in range(500)]},
        "kafka": {"topics": []},
    }
    text = frames.fit(frame, 16 * 1024)
    assert len(text) <= 16 * 1024
    assert frame["log"] == [] and frame["more"] == 50
    assert "amqp.queues" in frame["truncated"]
