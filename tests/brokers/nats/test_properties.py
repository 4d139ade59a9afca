"""Properties that hold for any run: determinism, and the consumer numbers' invariants."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.brokers.nats.conftest import Rig


def scripted_run(seed: int) -> list[dict]:
    rig = Rig(seed)
    n = rig.nats
    n.add_stream("S", ["s.*"], retention="workqueue", max_msgs=50)
    n.add_consumer("S", durable_name="c", ack_wait=1, max_deliver=3, max_ack_pending=4)
    for name in ("a", "b"):
        n.consume(
            "S",
            "c",
            worker=name,
            processing_time=0.2,
            failure_rate=0.3,
            batch=2,
            on_failure="ignore",
        )
    for i in range(30):
        n.js_publish(f"s.{i % 3}", str(i), msg_id=str(i % 20))
        rig.run(0.05)
    rig.run(10)
    return [e.to_dict() for e in rig.events()]


def test_the_same_seed_gives_the_same_events_bit_for_bit():
    assert scripted_run(5) == scripted_run(5)
    assert scripted_run(5) != scripted_run(6)


steps = st.lists(
    st.one_of(
        st.tuples(st.just("publish"), st.integers(0, 2)),
        st.tuples(st.just("fetch"), st.integers(1, 4)),
        st.tuples(st.sampled_from(["ack", "nak", "term", "progress"]), st.integers(1, 30)),
        st.tuples(st.just("wait"), st.floats(0.1, 3)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    steps,
    st.sampled_from(["limits", "workqueue", "interest"]),
    st.sampled_from(["explicit", "all"]),
)
def test_consumer_numbers_stay_consistent_whatever_happens(script, retention, ack_policy):
    rig = Rig()
    n = rig.nats
    n.add_stream("S", ["s.*"], retention=retention)
    if retention == "workqueue":
        ack_policy = "explicit"
    n.add_consumer(
        "S", durable_name="c", ack_wait=1, max_deliver=3, max_ack_pending=5, ack_policy=ack_policy
    )
    published = 0
    for op, arg in script:
        if op == "publish":
            n.js_publish(f"s.{arg}", "x")
            published += 1
        elif op == "fetch":
            n.fetch("S", "c", arg)
        elif op == "wait":
            rig.run(arg)
        else:
            seq = int(arg)
            if seq in n.streams["S"].consumers["c"].dmap:
                {"ack": n.ack, "nak": n.nak, "term": n.term, "progress": n.in_progress}[op](
                    "S", "c", seq
                )
        c = n.streams["S"].consumers["c"]
        info = n.consumer_info("S", "c")
        state = n.stream_info("S")["state"]
        assert info["num_ack_pending"] <= 5
        assert info["ack_floor"]["consumer_seq"] <= info["delivered"]["consumer_seq"]
        assert info["ack_floor"]["stream_seq"] <= info["delivered"]["stream_seq"]
        assert info["delivered"]["stream_seq"] <= state["last_seq"]
        assert info["num_pending"] + info["delivered"]["stream_seq"] <= state["last_seq"]
        assert set(c.pending) <= set(range(1, state["last_seq"] + 1))
        assert state["last_seq"] == published
        assert state["messages"] <= published
        if retention == "limits":
            assert state["messages"] == published


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["pub", "skip", "rm"]), st.integers(0, 40)), max_size=60),
    st.integers(0, 45),
)
def test_counting_and_finding_messages_agree_with_looking_at_every_one(ops, start):
    rig = Rig()
    n = rig.nats
    n.add_stream("S", ["s.*"], retention="interest")
    n.add_consumer("S", durable_name="c", filter_subject="s.a")
    stream = n.streams["S"]
    for op, arg in ops:
        if op == "pub":
            n.js_publish("s.a", "x")
        elif op == "skip":
            n.js_publish("s.b", "x")  # nobody's filter: the sequence is used up
        elif arg in stream.msgs:
            stream.remove(arg, "purge", "test")
    seqs = sorted(stream.msgs)
    assert stream.count_from(start, None) == len([s for s in seqs if s >= start])
    assert stream.next_seq(start, None) == next((s for s in seqs if s >= start), None)
    assert stream.first_seq == (seqs[0] if seqs else stream.last_seq + 1)
