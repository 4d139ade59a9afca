"""The same RabbitMQ scenario on the simulator and on real RabbitMQ: an observer sees the same.

Each case is a script run by `brokers.real.scenario.run` on `Simulator` and on the pika
adapter; the script returns what an observer would note (which queue got which message,
in which order, with which headers), and the two must be equal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from contextlib import contextmanager

import pytest

from brokers.amqp.api import Properties
from brokers.errors import BrokerError
from brokers.real.backend import make_backend
from brokers.real.rabbitmq.adapter import RabbitMQAdapter
from brokers.real.scenario import deliveries, run
from brokers.sim import Simulator

pytestmark = pytest.mark.real
MGMT = os.environ.get("RABBITMQ_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672")
DEATH_KEYS = ("queue", "reason", "count", "exchange", "routing-keys")


@pytest.fixture
def both(rabbitmq_url):
    """Run a script on the simulator and on RabbitMQ; return both runs."""
    made = []

    def go(script):
        real = make_backend(
            "rabbitmq",
            url=rabbitmq_url,
            prefix=f"bp.d{uuid.uuid4().hex[:8]}.",
            management_url=MGMT,
        )
        made.append(real)
        return run(Simulator(seed=1), script), run(real, script)

    yield go
    for b in made:
        b.destroy()


@contextmanager
def queue_held(api, queue):
    """On real RabbitMQ, hold the queue's process (`sys:suspend` through rabbitmqctl) while
    the block runs, so what the block's channel sends reaches the queue together, as it
    does on a busy broker; on an idle one it is a race. The simulator needs no holding."""
    if not isinstance(api, RabbitMQAdapter):
        yield
        return
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("no rabbitmqctl to hold a queue process")
    vhost = api.vhost.replace('"', "")
    name = api.names.queue(queue)

    def erl(call):
        resource = f'rabbit_misc:r(<<"{vhost}">>, queue, <<"{name}">>)'
        found = f"{{ok, Q}} = rabbit_amqqueue:lookup({resource})"
        done = subprocess.run(
            ["rabbitmqctl", "eval", f"{found}, sys:{call}(amqqueue:get_pid(Q))."],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0 and done.stdout.strip() == "ok", done

    erl("suspend")
    try:
        yield
        time.sleep(0.3)  # the frames reach the queue's mailbox
    finally:
        erl("resume")


def drain_queue(api, queue):
    """Every message id left in `queue`, by basic.get, in order."""
    out = []
    while (got := api.basic_get(queue, auto_ack=True)) is not None:
        out.append(got.msg)
    return out


def get_all(api, queue, wait, count):
    """Wait until `count` messages could be taken from `queue`; return their GetResults."""
    out = []
    for _ in range(100):
        while (got := api.basic_get(queue, auto_ack=True)) is not None:
            out.append(got)
        if len(out) >= count:
            break
        wait(0.05)
    return out


TOPIC_BINDINGS = {"q1": "a.*", "q2": "a.#", "q3": "#.z", "q4": "*.b.*", "q5": "#"}
TOPIC_KEYS = ["a", "a.b", "a.b.c", "x.b.y", "a.z", "z", "", "a..z", "b.b.b", "x.y.z"]


def test_topic_routing_agrees_over_a_table_of_keys(both):
    def script(api, wait):
        api.exchange_declare("t", "topic")
        for q, pattern in TOPIC_BINDINGS.items():
            api.queue_declare(q)
            api.queue_bind(q, "t", pattern)
        for key in TOPIC_KEYS:
            api.basic_publish("t", key, key)
        return {q: drain_queue(api, q) for q in TOPIC_BINDINGS}

    sim, real = both(script)
    assert sim.result == real.result


HEADER_BINDINGS = {
    "all_ab": {"x-match": "all", "a": 1, "b": "x"},
    "any_ab": {"x-match": "any", "a": 1, "b": "x"},
    "all_a": {"a": 1},
    "any_with_x": {"x-match": "any-with-x", "x-k": "v"},
}
HEADER_TABLE = [{"a": 1, "b": "x"}, {"a": 1}, {"b": "x"}, {"a": "1"}, {}, {"x-k": "v"}, {"a": 2}]


def test_headers_routing_agrees_over_a_table_of_header_sets(both):
    def script(api, wait):
        api.exchange_declare("h", "headers")
        for q, args in HEADER_BINDINGS.items():
            api.queue_declare(q)
            api.queue_bind(q, "h", "", arguments=args)
        for headers in HEADER_TABLE:
            api.basic_publish("h", "", "x", properties=Properties(headers=headers))
        return {q: drain_queue(api, q) for q in HEADER_BINDINGS}

    sim, real = both(script)
    assert sim.result == real.result


def test_fanout_copies_to_every_bound_queue_and_mandatory_returns_when_none(both):
    def script(api, wait):
        api.exchange_declare("f", "fanout")
        api.exchange_declare("empty", "fanout")
        for q in ("a", "b", "c"):
            api.queue_declare(q)
            api.queue_bind(q, "f", "ignored")
        api.queue_bind("a", "f", "twice")  # bound twice, still one copy
        msgs = [api.basic_publish("f", "k", str(i)) for i in range(3)]
        api.basic_publish("empty", "k", "nobody", mandatory=True)
        return msgs, {q: drain_queue(api, q) for q in ("a", "b", "c")}

    sim, real = both(script)
    assert sim.result == real.result
    assert [e.msg for e in sim.of("returned")] == [e.msg for e in real.of("returned")] == ["m4"]


def delivered_count(n):
    return lambda ev: sum(e.kind == "delivered" for e in ev) >= n


def test_competing_consumers_share_while_fanout_consumers_each_get_all(both):
    # Manual acks in lock-step rounds, not processing timers: with prefetch 1 and nothing
    # acked, each worker holds exactly one job, so every round gives each worker one job
    # whatever the machine's load. Which worker gets which job is the broker's choice
    # (acks of two channels race), so the test compares partitions, not the interleaving.
    def script(api, wait):
        api.queue_declare("work")
        api.exchange_declare("news", "fanout")
        for q in ("n1", "n2"):
            api.queue_declare(q)
            api.queue_bind(q, "news", "")
            api.basic_consume(q, consumer_tag=f"reader-{q}")
        for w in ("w1", "w2"):
            api.basic_consume("work", consumer_tag=w, prefetch_count=1, behaviour="manual")
        for i in range(6):
            api.basic_publish("", "work", f"job{i}")
            api.basic_publish("news", "", f"news{i}")
        for tag in (1, 2, 3):
            wait(10, until=delivered_count(12 + 2 * tag))
            api.basic_ack("w1", tag)
            api.basic_ack("w2", tag)
        wait(10, until=lambda ev: sum(e.kind == "acked" for e in ev) == 18)

    sim, real = both(script)
    jobs = [f"m{2 * i + 1}" for i in range(6)]
    for r in (sim, real):
        got = {}
        for e in r.of("delivered"):
            got.setdefault(e.consumer_tag, []).append(e.msg)
        assert got["reader-n1"] == got["reader-n2"] == [f"m{2 * i + 2}" for i in range(6)]
        w1, w2 = got["w1"], got["w2"]
        assert len(w1) == len(w2) == 3  # both share: one job each per round
        assert sorted(w1 + w2, key=lambda m: int(m[1:])) == jobs  # each job exactly once
        for mine in (w1, w2):  # one queue, so each worker sees its jobs in publish order
            assert mine == sorted(mine, key=lambda m: int(m[1:]))
        assert not any(e.redelivered for e in r.of("delivered"))
        assert sum(e.kind == "acked" for e in r.events) == 18


def test_a_consumer_crash_redelivers_its_unacked_messages_elsewhere(both):
    def script(api, wait):
        api.queue_declare("q")
        api.basic_consume("q", consumer_tag="doomed", behaviour="manual", prefetch_count=10)
        for i in range(3):
            api.basic_publish("", "q", str(i))
        wait(3, until=lambda ev: sum(e.kind == "delivered" for e in ev) == 3)
        api.crash_consumer("doomed")
        api.basic_consume("q", consumer_tag="rescuer")
        wait(3, until=lambda ev: sum(e.kind == "acked" for e in ev) == 3)

    sim, real = both(script)
    observed = [
        [(e.consumer_tag, e.msg, e.redelivered, e.delivery_count) for e in r.of("delivered")]
        for r in (sim, real)
    ]
    assert observed[0] == observed[1]
    assert [(e.requeued, e.lost) for e in sim.of("consumer_crashed")] == [
        (e.requeued, e.lost) for e in real.of("consumer_crashed")
    ]


def test_nack_without_requeue_dead_letters_with_the_same_x_death(both):
    def script(api, wait):
        api.exchange_declare("work", "direct")
        api.exchange_declare("dlx", "topic")
        api.queue_declare("dead")
        api.queue_bind("dead", "dlx", "#")
        api.queue_declare("q", arguments={"x-dead-letter-exchange": "dlx"})
        api.queue_bind("q", "work", "job.1")
        api.basic_consume("q", consumer_tag="c", behaviour="manual")
        api.basic_publish("work", "job.1", "boom")
        wait(3, until=lambda ev: any(e.kind == "delivered" for e in ev))
        api.basic_nack("c", 1, requeue=False)
        got = get_all(api, "dead", wait, 1)
        return [
            (
                g.msg,
                g.exchange,
                g.routing_key,
                [{k: d[k] for k in DEATH_KEYS} for d in g.properties.headers["x-death"]],
            )
            for g in got
        ]

    sim, real = both(script)
    assert sim.result == real.result
    assert sim.result[0][3] == [
        {
            "queue": "q",
            "reason": "rejected",
            "count": 1,
            "exchange": "work",
            "routing-keys": ["job.1"],
        }
    ]
    for r in (sim, real):
        dl = r.of("dead_lettered")[0]
        r.dl = (
            dl.msg,
            dl.queue,
            dl.reason,
            dl.exchange,
            dl.routing_keys,
            [{k: d[k] for k in DEATH_KEYS} for d in dl.x_death],
        )
    assert sim.dl == real.dl


def test_priority_queue_order_agrees(both):
    def script(api, wait):
        api.queue_declare("p", arguments={"x-max-priority": 10})
        for i, prio in enumerate([0, 5, 10, 5, 1, None, 10]):
            api.basic_publish("", "p", str(i), properties=Properties(priority=prio))
        return drain_queue(api, "p")

    sim, real = both(script)
    assert sim.result == real.result


def test_quorum_delivery_limit_then_dead_letter_agrees(both):
    def script(api, wait):
        api.exchange_declare("dlx", "fanout")
        api.queue_declare("dead")
        api.queue_bind("dead", "dlx", "")
        api.queue_declare(
            "qq",
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": 2,
                "x-dead-letter-exchange": "dlx",
            },
        )
        api.basic_consume("qq", consumer_tag="c", failure_rate=1.0, prefetch_count=1)
        api.basic_publish("", "qq", "poison")
        got = get_all(api, "dead", wait, 1)
        api.basic_cancel("c")
        return [
            (g.msg, [{k: d[k] for k in DEATH_KEYS} for d in g.properties.headers["x-death"]])
            for g in got
        ]

    sim, real = both(script)
    assert sim.result == real.result
    assert [(e.redelivered, e.delivery_count) for e in real.of("delivered") if e.queue == "qq"] == [
        (e.redelivered, e.delivery_count) for e in sim.of("delivered") if e.queue == "qq"
    ]
    assert (
        [e.reason for e in real.of("dead_lettered")]
        == [e.reason for e in sim.of("dead_lettered")]
        == ["delivery_limit"]
    )


def test_stream_replay_from_an_offset_agrees(both):
    def script(api, wait):
        api.queue_declare("s", arguments={"x-queue-type": "stream"})
        for i in range(6):
            api.basic_publish("", "s", str(i))
        api.basic_consume(
            "s", consumer_tag="all", prefetch_count=10, arguments={"x-stream-offset": "first"}
        )
        api.basic_consume(
            "s", consumer_tag="from4", prefetch_count=10, arguments={"x-stream-offset": 4}
        )
        wait(5, until=lambda ev: sum(e.kind == "delivered" for e in ev) == 8)

    sim, real = both(script)
    for r in (sim, real):
        r.seen = {}
        for e in r.of("delivered"):
            r.seen.setdefault(e.consumer_tag, []).append((e.msg, e.offset))
    assert sim.seen == real.seen
    assert deliveries(sim)["s"].count("m5") == 2


def test_an_ack_sent_at_once_after_a_nack_is_served_before_the_requeue(both):
    """nack(requeue) of tag 1, then at once ack of tag 2 (prefetch 2): the classic queue
    handles the ack first (it prioritises acks), sends the next ready message, then the
    requeued one."""

    def script(api, wait):
        api.queue_declare("q")
        for i in range(4):
            api.basic_publish("", "q", str(i))
        api.basic_consume("q", consumer_tag="c", prefetch_count=2, behaviour="manual")
        wait(5, until=delivered_count(2))
        with queue_held(api, "q"):
            api.basic_nack("c", 1, requeue=True)
            api.basic_ack("c", 2)
        wait(5, until=delivered_count(4))

    sim, real = both(script)
    seen = [[(e.msg, e.redelivered) for e in r.of("delivered")] for r in (sim, real)]
    assert seen[0] == seen[1]
    assert seen[0] == [("m1", False), ("m2", False), ("m3", False), ("m1", True)]


@pytest.mark.parametrize(
    ("arguments", "next_two"),
    [
        ({}, ["m1", "m3"]),  # classic: back at its original position
        ({"x-queue-type": "quorum"}, ["m3", "m4"]),  # 3.10: enqueued again at the back
        ({"x-queue-type": "quorum", "x-delivery-limit": 5}, ["m1", "m3"]),  # returns first
    ],
    ids=["classic", "quorum", "quorum-with-delivery-limit"],
)
def test_where_a_nacked_message_comes_back(both, arguments, next_two):
    """nack(requeue) of tag 1 alone, then (later) ack of tag 2: what is delivered next."""

    def script(api, wait):
        api.queue_declare("q", arguments=arguments)
        for i in range(4):
            api.basic_publish("", "q", str(i))
        api.basic_consume("q", consumer_tag="c", prefetch_count=2, behaviour="manual")
        wait(5, until=delivered_count(2))
        api.basic_nack("c", 1, requeue=True)
        wait(5, until=delivered_count(3))
        api.basic_ack("c", 2)
        wait(5, until=delivered_count(4))

    sim, real = both(script)
    seen = [[(e.msg, e.redelivered) for e in r.of("delivered")] for r in (sim, real)]
    assert seen[0] == seen[1]
    assert [m for m, _ in seen[0][2:]] == next_two


@pytest.mark.parametrize("qtype", ["classic", "quorum"])
def test_a_crashed_consumers_messages_come_back_first(both, qtype):
    """A closed channel's unacked messages go back before the ready ones, in order."""

    def script(api, wait):
        api.queue_declare("q", arguments={"x-queue-type": qtype})
        for i in range(4):
            api.basic_publish("", "q", str(i))
        api.basic_consume("q", consumer_tag="c", prefetch_count=2, behaviour="manual")
        wait(5, until=delivered_count(2))
        api.crash_consumer("c")
        return [g.msg for g in get_all(api, "q", wait, 4)]

    sim, real = both(script)
    assert sim.result == real.result == ["m1", "m2", "m3", "m4"]


def confirmed_count(n):
    return lambda ev: sum(e.kind == "confirmed" for e in ev) >= n


def test_stream_offset_last_reads_the_whole_last_chunk(both):
    """Messages written together form one chunk, and `x-stream-offset=last` starts at the
    first message of the last chunk, not at the last message; a publish in confirm mode
    is written alone. On the real broker a batch is written together by holding the
    stream's writer while it is published without confirms."""

    def script(api, wait):
        api.queue_declare("s", arguments={"x-queue-type": "stream"})
        for batch in (3, 4):
            with queue_held(api, "s"):
                for i in range(batch):
                    api.basic_publish("", "s", f"{batch}.{i}", confirm=False)
            wait(1)
        api.basic_consume(
            "s", consumer_tag="a", prefetch_count=10, arguments={"x-stream-offset": "last"}
        )
        wait(5, until=delivered_count(4))
        api.basic_publish("", "s", "confirmed")
        api.basic_publish("", "s", "confirmed too")
        wait(5, until=confirmed_count(2))
        api.basic_consume(
            "s", consumer_tag="b", prefetch_count=10, arguments={"x-stream-offset": "last"}
        )
        wait(5, until=delivered_count(7))

    sim, real = both(script)
    for r in (sim, real):
        r.seen = {}
        for e in r.of("delivered"):
            r.seen.setdefault(e.consumer_tag, []).append((e.msg, e.offset))
    assert sim.seen == real.seen
    assert sim.seen == {
        "a": [("m4", 3), ("m5", 4), ("m6", 5), ("m7", 6), ("m8", 7), ("m9", 8)],
        "b": [("m9", 8)],
    }


def test_a_publish_without_confirm_mode_is_returned_but_never_confirmed(both):
    """confirm=False: no Confirmed event; a mandatory publish with no route still returns."""

    def script(api, wait):
        api.exchange_declare("empty", "fanout")
        api.queue_declare("q")
        api.basic_publish("", "q", "kept", confirm=False)
        api.basic_publish("empty", "k", "nobody", mandatory=True, confirm=False)
        wait(3, until=lambda ev: any(e.kind == "returned" for e in ev))
        return [g.msg for g in get_all(api, "q", wait, 1)]

    sim, real = both(script)
    assert sim.result == real.result == ["m1"]
    for r in (sim, real):
        assert [e.msg for e in r.of("returned")] == ["m2"]
        assert r.of("confirmed") == []


@pytest.mark.parametrize("qtype", ["classic", "quorum"])
def test_a_consumer_found_without_credit_rejoins_the_rotation_at_the_back(both, qtype):
    """c0 (prefetch 1) holds m1 when m2 comes: it leaves the rotation, c1 arrives and takes
    m2; when c0's nack gives its credit back it rejoins behind c1, so c1 gets m1 again."""

    def script(api, wait):
        api.queue_declare("q", arguments={"x-queue-type": qtype})
        api.basic_consume("q", consumer_tag="c0", prefetch_count=1, behaviour="manual")
        api.basic_publish("", "q", "1")
        wait(5, until=delivered_count(1))
        api.basic_publish("", "q", "2")
        wait(0.3)
        api.basic_consume("q", consumer_tag="c1", prefetch_count=2, behaviour="manual")
        wait(5, until=delivered_count(2))
        api.basic_nack("c0", 1, requeue=True)
        wait(5, until=delivered_count(3))

    sim, real = both(script)
    seen = [[(e.consumer_tag, e.msg) for e in r.of("delivered")] for r in (sim, real)]
    assert seen[0] == seen[1] == [("c0", "m1"), ("c1", "m2"), ("c1", "m1")]


@pytest.mark.parametrize(("qtype", "third"), [("classic", "a"), ("quorum", "b")])
def test_who_is_next_after_a_consumer_used_up_its_credit(both, qtype, third):
    """a (prefetch 1) takes m1 and has no credit left, b takes m2, a acks, m3 comes: a classic
    queue never tried a while it had no credit, so a keeps its turn; a quorum queue took a
    out of its rotation when its credit ran out, and the ack put it back behind b."""

    def script(api, wait):
        api.queue_declare("q", arguments={"x-queue-type": qtype})
        api.basic_consume("q", consumer_tag="a", prefetch_count=1, behaviour="manual")
        api.basic_consume("q", consumer_tag="b", prefetch_count=5, behaviour="manual")
        wait(0.5)
        for n in (1, 2):
            api.basic_publish("", "q", str(n))
            wait(5, until=delivered_count(n))
        api.basic_ack("a", 1)
        wait(0.3)
        api.basic_publish("", "q", "3")
        wait(5, until=delivered_count(3))

    sim, real = both(script)
    seen = [[(e.consumer_tag, e.msg) for e in r.of("delivered")] for r in (sim, real)]
    assert seen[0] == seen[1] == [("a", "m1"), ("b", "m2"), (third, "m3")]


@pytest.mark.parametrize(
    ("arguments", "left"),
    [
        ({"x-max-length": 2}, ["m2", "m3"]),  # drop-head: the requeued head goes
        ({"x-max-length": 2, "x-overflow": "reject-publish"}, ["m1", "m2", "m3"]),
    ],
    ids=["drop-head", "reject-publish"],
)
def test_a_requeue_into_a_full_queue(both, arguments, left):
    """One message unacked, two ready in a queue of at most 2: the cancel brings it back."""

    def script(api, wait):
        api.queue_declare("q", arguments=arguments)
        api.basic_publish("", "q", "held")
        api.basic_consume("q", consumer_tag="c", prefetch_count=1, behaviour="manual")
        wait(5, until=delivered_count(1))
        api.basic_publish("", "q", "1")
        api.basic_publish("", "q", "2")
        wait(5, until=confirmed_count(3))
        api.basic_cancel("c")
        wait(0.3)
        return drain_queue(api, "q")

    sim, real = both(script)
    assert sim.result == real.result == left


def test_basic_get_on_a_quorum_queue_with_single_active_consumer_is_refused(both):
    def script(api, wait):
        api.queue_declare(
            "q", arguments={"x-queue-type": "quorum", "x-single-active-consumer": True}
        )
        api.basic_publish("", "q", "x")
        try:
            api.basic_get("q")
        except BrokerError as exc:
            return type(exc).__name__, str(exc)

    sim, real = both(script)
    assert sim.result == real.result
    assert sim.result[0] == "ResourceLocked"


def test_returns_into_a_full_quorum_queue_drop_from_the_head(both):
    def script(api, wait):
        api.queue_declare("q", arguments={"x-queue-type": "quorum", "x-max-length": 2})
        api.basic_consume("q", consumer_tag="c", prefetch_count=2, behaviour="manual")
        for _ in range(2):
            api.basic_publish("", "q", "held")
        wait(5, until=delivered_count(2))
        for _ in range(2):
            api.basic_publish("", "q", "ready")
        wait(5, until=confirmed_count(4))
        api.crash_consumer("c")
        wait(0.5)
        return drain_queue(api, "q")

    sim, real = both(script)
    assert sim.result == real.result == ["m3", "m4"]


def test_a_refused_get_closes_the_channel_and_its_unacked_gets_go_back(both):
    def script(api, wait):
        api.queue_declare("q")
        api.queue_declare(
            "sac", arguments={"x-queue-type": "quorum", "x-single-active-consumer": True}
        )
        api.basic_publish("", "q", "x")
        wait(5, until=confirmed_count(1))
        held = api.basic_get("q")
        try:
            api.basic_get("sac")
        except BrokerError:
            pass
        wait(0.3)
        again = api.basic_get("q")
        return held.delivery_tag, (again.msg, again.redelivered, again.delivery_tag)

    sim, real = both(script)
    assert sim.result == real.result == (1, ("m1", True, 1))
    assert [e.msg for e in sim.of("requeued")] == [e.msg for e in real.of("requeued")] == ["m1"]


@pytest.mark.parametrize("stop", ["cancel", "crash"])
@pytest.mark.parametrize("qtype", ["classic", "quorum"])
def test_what_the_next_single_active_consumer_gets_first(both, qtype, stop):
    """a holds two, b waits, two are ready, a goes: a classic queue gives b a's messages
    first, a quorum queue the ready ones first (a's come back after b is active)."""

    def script(api, wait):
        api.queue_declare("q", arguments={"x-queue-type": qtype, "x-single-active-consumer": True})
        api.basic_consume("q", consumer_tag="a", prefetch_count=2, behaviour="manual")
        wait(0.3)
        api.basic_consume("q", consumer_tag="b", prefetch_count=2, behaviour="manual")
        for i in range(4):
            api.basic_publish("", "q", str(i))
        wait(5, until=delivered_count(2))
        api.basic_cancel("a") if stop == "cancel" else api.crash_consumer("a")
        wait(5, until=delivered_count(4))

    sim, real = both(script)
    seen = [[(e.consumer_tag, e.msg) for e in r.of("delivered")] for r in (sim, real)]
    assert seen[0] == seen[1]
    first = ["m1", "m2"] if qtype == "classic" else ["m3", "m4"]
    assert seen[0][2:] == [("b", m) for m in first]


@pytest.mark.parametrize(("qtype", "second"), [("classic", "c0"), ("quorum", "c1")])
def test_a_sole_consumer_whose_credit_ran_out_and_who_joined_since(both, qtype, second):
    def script(api, wait):
        api.queue_declare("q", arguments={"x-queue-type": qtype})
        api.basic_consume("q", consumer_tag="c0", prefetch_count=1, behaviour="manual")
        api.basic_publish("", "q", "1")
        wait(5, until=delivered_count(1))
        api.basic_consume("q", consumer_tag="c1", prefetch_count=3, behaviour="manual")
        wait(0.3)
        api.basic_ack("c0", 1)
        wait(0.3)
        api.basic_publish("", "q", "2")
        wait(5, until=delivered_count(2))

    sim, real = both(script)
    seen = [[(e.consumer_tag, e.msg) for e in r.of("delivered")] for r in (sim, real)]
    assert seen[0] == seen[1] == [("c0", "m1"), (second, "m2")]


@pytest.mark.parametrize("qtype", ["classic", "quorum"])
def test_which_waiting_single_active_consumer_becomes_active(both, qtype):
    def script(api, wait):
        api.queue_declare("q", arguments={"x-queue-type": qtype, "x-single-active-consumer": True})
        for tag, prio in (("first", 0), ("low", 0), ("high", 5)):
            api.basic_consume(
                "q",
                consumer_tag=tag,
                prefetch_count=1,
                behaviour="manual",
                arguments={"x-priority": prio} if prio else {},
            )
            wait(0.2)
        api.basic_cancel("first")
        wait(0.3)
        api.basic_publish("", "q", "x")
        wait(5, until=delivered_count(1))

    sim, real = both(script)
    seen = [[e.consumer_tag for e in r.of("delivered")] for r in (sim, real)]
    assert seen[0] == seen[1] == (["high"] if qtype == "classic" else ["low"])


def test_messages_requeued_together_into_a_full_queue_are_dead_lettered_in_queue_order(both):
    def script(api, wait):
        api.exchange_declare("dlx", "fanout")
        api.queue_declare("dead")
        api.queue_bind("dead", "dlx", "")
        api.queue_declare("q", arguments={"x-max-length": 2, "x-dead-letter-exchange": "dlx"})
        api.basic_consume("q", consumer_tag="c", prefetch_count=2, behaviour="manual")
        api.basic_publish("", "q", "a")
        api.basic_publish("", "q", "b")
        wait(5, until=delivered_count(2))
        api.basic_reject("c", 1, requeue=True)
        wait(5, until=delivered_count(3))
        api.basic_publish("", "q", "c")
        api.basic_publish("", "q", "d")
        wait(5, until=confirmed_count(4))
        api.basic_cancel("c")
        return [g.msg for g in get_all(api, "dead", wait, 2)]

    sim, real = both(script)
    assert sim.result == real.result == ["m1", "m2"]
