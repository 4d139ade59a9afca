"""Frames sample moves evenly, slice the log, and fit a byte budget whatever they carry."""

from __future__ import annotations

import random

from brokers.amqp.events import Delivered, Published, Routed
from sandbox import frames


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


def test_a_group_still_reading_partitions_it_never_committed_charts_a_lag_above_zero():
    """The broker's own lag leaves an uncommitted partition out, which charted 'caught up'
    while the business service of the first scenario was still reading."""
    offsets = [
        {"partition": 0, "committed": None, "log_start": 0, "log_end": 2, "lag": None},
        {"partition": 1, "committed": 1, "log_start": 0, "log_end": 3, "lag": 2},
    ]
    group = {"group_id": "slow", "lag": 2, "offsets": offsets}
    assert frames.group_lag(group) == 4
    assert frames.series({"kafka": {"groups": [group]}}, 1.0)["lag"] == {"slow": 4}
    assert frames.group_lag({"group_id": "new", "lag": 0, "offsets": []}) == 0


def test_rebalances_and_members_coming_and_going_move_dots():
    from brokers.kafka.events import MemberJoined, Rebalanced

    joined = MemberJoined(t=0, group="g", member="g-2", topics=["t"], assignor="range")
    rebalanced = Rebalanced(
        t=0, group="g", generation=2, assignor="range", members=["g-1", "g-2"],
        assignment={"g-1": [["t", 0]], "g-2": []}, revoked={}, inputs={}, reason="join",
    )  # fmt: skip
    moves = frames.moves([joined, rebalanced], 10)
    assert [(m["kind"], m["from"], m["to"]) for m in moves] == [
        ("joined", "m:g-2", "g:g"),
        ("assigned", "g:g", "m:g-1"),  # g-2 got nothing: no dot for it
    ]
