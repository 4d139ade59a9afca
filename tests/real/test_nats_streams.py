"""Streams on nats_both: each retention policy, discard old and new, per-subject limits, max_age,
the duplicate window and the refusals — compared by stream state and what was removed."""

from __future__ import annotations

import re

import pytest

from brokers.errors import BrokerError
from tests.real.nats_helpers import count

pytestmark = pytest.mark.real
PREFIX = "bp.d12345678."  # the length of the prefixes `nats_both` gives the real server


def state(api, stream):
    s = api.stream_info(stream)["state"]
    return s["messages"], s["bytes"], s["first_seq"], s["last_seq"], s["num_subjects"]


def acks(r):
    return [(e.msg, e.stream_seq, e.duplicate) for e in r.of("js_pub_acked")]


def refused(r):
    return [(e.msg, e.code, e.err_code) for e in r.of("js_refused")]


def removed(r):
    return sorted((e.msg, e.stream_seq) for e in r.of("js_removed"))


@pytest.mark.parametrize(
    ("config", "publishes"),
    [
        ({"max_msgs": 3}, 5),
        ({"max_msgs": 3, "discard": "new"}, 5),
        ({"max_bytes": 200}, 4),
        ({"max_bytes": 160, "discard": "new"}, 3),
        ({"max_bytes": 188, "discard": "new"}, 3),
        ({"max_msgs_per_subject": 2}, 6),
    ],
)
def test_limits_and_discard_policies_keep_the_same_messages(nats_both, config, publishes):
    """The real server stores each subject with the sandbox prefix, which counts toward
    max_bytes; on the simulator the subjects get a first token of the same length, so nats_both
    hold messages of the same size and the byte limits can be compared exactly."""

    def script(api, wait):
        names = getattr(api, "names", None)
        pad = "" if names is not None else "p" * (len(PREFIX) - 1) + "."
        api.add_stream("S", [f"{pad}s.*"], **config)
        for i in range(publishes):
            api.js_publish(f"{pad}s.{'ab'[i % 2]}", b"1" * 60)
        wait(2, until=lambda ev: len(removed_or_refused(ev)) >= 1)
        wait(0.6)  # one more poll of the real stream's state
        messages, _, first, last, subjects = state(api, "S")
        return messages, first, last, subjects

    sim, real = nats_both(script)
    assert sim.result == real.result
    assert acks(sim) == acks(real) and refused(sim) == refused(real)
    assert removed(sim) == removed(real)


def removed_or_refused(events):
    return [e for e in events if e.kind in ("js_removed", "js_refused")]


def test_sizes_count_subject_data_and_headers_as_the_file_store_does(nats_both):
    def script(api, wait):
        api.add_stream("X1", ["x1.>"])
        api.js_publish("x1.a", b"")
        api.js_publish("x1.abc", b"hello", headers={"k": "v"})
        api.js_publish("x1.abc", b"hello", msg_id="id1")
        return state(api, "X1")

    sim, real = nats_both(script)
    assert sim.result == real.result == (3, 34 + 63 + 75, 1, 3, 2)


def test_the_duplicate_window_answers_the_first_sequence(nats_both):
    def script(api, wait):
        api.add_stream("D", ["d"], duplicate_window=1)
        api.js_publish("d", "a", msg_id="order-1")
        api.js_publish("d", "a again", msg_id="order-1")
        api.js_publish("d", "b", msg_id="order-2")
        wait(1.3)
        api.js_publish("d", "a after the window", msg_id="order-1")
        return state(api, "D")

    sim, real = nats_both(script)
    assert (
        acks(sim)
        == acks(real)
        == [
            ("n1", 1, False),
            ("n2", 1, True),
            ("n3", 2, False),
            ("n4", 3, False),
        ]
    )
    assert sim.result[0] == real.result[0] == 3


def test_max_age_removes_old_messages(nats_both):
    def script(api, wait):
        api.add_stream("A", ["a"], max_age=1)
        api.js_publish("a", "old")
        wait(3, until=count("js_removed", 1))
        api.js_publish("a", "new")
        return state(api, "A")

    sim, real = nats_both(script)
    assert sim.result[:1] + sim.result[2:] == real.result[:1] + real.result[2:] == (1, 2, 2, 1)
    assert removed(sim) == removed(real) == [("n1", 1)]


def test_workqueue_removes_on_ack_and_interest_once_everyone_acked(nats_both):
    def script(api, wait):
        api.add_stream("Q", ["q.*"], retention="workqueue")
        api.add_stream("I", ["i.*"], retention="interest")
        api.js_publish("i.a", "nobody wants me")  # interest: not kept
        api.add_consumer("Q", durable_name="w")
        api.add_consumer("I", durable_name="all")
        api.add_consumer("I", durable_name="only_b", filter_subject="i.b")
        for subject in ("q.a", "q.b", "i.a", "i.b"):
            api.js_publish(subject, "x")
        before = state(api, "Q"), state(api, "I")
        for m in api.fetch("Q", "w", 5):
            api.ack("Q", "w", m.consumer_seq)
        for m in api.fetch("I", "all", 5):
            api.ack("I", "all", m.consumer_seq)
        middle = state(api, "I")
        for m in api.fetch("I", "only_b", 5):
            api.ack("I", "only_b", m.consumer_seq)
        return before, middle, state(api, "Q"), state(api, "I")

    sim, real = nats_both(script)
    assert sim.result == real.result
    before, middle, q_after, i_after = real.result
    assert before[0][0] == 2 and before[1][0] == 2
    assert (middle[0], q_after[0], i_after[0]) == (1, 0, 0)
    assert removed(sim) == removed(real)


def test_limits_keeps_acked_messages_and_replays_them_from_a_sequence(nats_both):
    def script(api, wait):
        api.add_stream("L", ["l.*"])
        for i in range(5):
            api.js_publish(f"l.{'ab'[i % 2]}", str(i))
        api.add_consumer("L", durable_name="first")
        for m in api.fetch("L", "first", 5):
            api.ack("L", "first", m.consumer_seq)
        wait(0.6)  # one more poll of the real stream's state
        after_acks = state(api, "L")
        api.add_consumer(
            "L", durable_name="again", deliver_policy="by_start_sequence", opt_start_seq=3
        )
        again = [(m.stream_seq, m.consumer_seq, m.data) for m in api.fetch("L", "again", 5)]
        return after_acks[0], after_acks[2:4], again

    sim, real = nats_both(script)
    assert sim.result == real.result == (5, (1, 5), [(3, 1, b"2"), (4, 2, b"3"), (5, 3, b"4")])
    assert removed(sim) == removed(real) == []


@pytest.mark.parametrize(
    "step",
    [
        lambda api: api.add_stream("Z2", ["z.*.x"]),  # overlaps Z1
        lambda api: api.add_stream("Z1", ["z.a.*"]),  # same name, other config
        lambda api: api.update_stream("Z1", retention="workqueue"),
        lambda api: api.add_consumer("Z1", durable_name="c", filter_subject="z.*.q"),
        lambda api: api.add_consumer("Z1", durable_name="c", filter_subject="zz"),
        lambda api: api.add_stream("Z3", ["y"], max_age=1, duplicate_window=5),
        lambda api: api.add_consumer("Nope", durable_name="c"),
    ],
)
def test_what_the_server_refuses_the_simulator_refuses(nats_both, step):
    def script(api, wait):
        api.add_stream("Z1", ["z.a.*", "z.b.>"])
        api.add_consumer("Z1", durable_name="ok_wide", filter_subject="z.>")
        try:
            step(api)
        except BrokerError as exc:
            return type(exc).__name__
        return "accepted"

    sim, real = nats_both(script)
    assert sim.result == real.result != "accepted"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"durable_name": "w1"}, {"durable_name": "w2"}),
        ({"durable_name": "w1"}, {"durable_name": "w2", "filter_subject": "x3.a"}),
        (
            {"durable_name": "f1", "filter_subject": "x3.a.*"},
            {"durable_name": "f2", "filter_subject": "x3.a.b"},
        ),
        (
            {"durable_name": "f1", "filter_subject": "x3.a.*"},
            {"durable_name": "f2", "filter_subject": "x3.b.>"},
        ),
        (
            {"durable_name": "f1"},
            {"durable_name": "f2", "ack_policy": "all", "filter_subject": "x3.q"},
        ),
        (
            {"durable_name": "f1", "filter_subject": "x3.a"},
            {"durable_name": "f2", "deliver_policy": "new", "filter_subject": "x3.z"},
        ),
    ],
)
def test_workqueue_consumer_rules_agree(nats_both, first, second):
    def script(api, wait):
        api.add_stream("X3", ["x3.>"], retention="workqueue")
        api.add_consumer("X3", **first)
        try:
            api.add_consumer("X3", **second)
        except BrokerError as exc:
            return type(exc).__name__, re.search(r"\((\d{5})\)", str(exc)).group(1)
        return "accepted"

    sim, real = nats_both(script)
    assert sim.result == real.result
