"""Consumers on nats_both: deliver policies, the `nats consumer info` numbers through acks,
redeliveries and max_deliver, max_ack_pending, pull against push, and ack_wait bringing
back what a stopped worker held."""

from __future__ import annotations

import pytest

from tests.real.nats_helpers import count, numbers

pytestmark = pytest.mark.real


def meta(messages):
    return [(m.stream_seq, m.consumer_seq, m.num_delivered, m.num_pending) for m in messages]


def six(api):
    api.add_stream("X5", ["x5.>"])
    for i in range(3):
        api.js_publish("x5.a", str(i))
        api.js_publish("x5.b", str(i))


POLICIES = [
    {"deliver_policy": "all"},
    {"deliver_policy": "all", "filter_subject": "x5.b"},
    {"deliver_policy": "last"},
    {"deliver_policy": "last", "filter_subject": "x5.a"},
    {"deliver_policy": "new"},
    {"deliver_policy": "by_start_sequence", "opt_start_seq": 3},
    {"deliver_policy": "by_start_sequence", "opt_start_seq": 100},
    {"deliver_policy": "last_per_subject", "filter_subject": "x5.>"},
]


@pytest.mark.parametrize("config", POLICIES)
def test_deliver_policies_start_at_the_same_place(nats_both, config):
    def script(api, wait):
        six(api)
        api.add_consumer("X5", durable_name="c", **config)
        before = numbers(api.consumer_info("X5", "c"))
        api.js_publish("x5.c", "later")
        got = meta(api.fetch("X5", "c", 10))
        return before, got, numbers(api.consumer_info("X5", "c"))

    sim, real = nats_both(script)
    assert sim.result == real.result


def test_by_start_time_starts_at_the_first_message_stored_then(nats_both):
    def script(api, wait):
        api.add_stream("W", ["w.*"])
        for _ in range(2):
            api.js_publish("w.a", "x")
        wait(1.2)
        start = backend_now(api) - 0.3
        for _ in range(2):
            api.js_publish("w.b", "x")
        api.add_consumer(
            "W", durable_name="t", deliver_policy="by_start_time", opt_start_time=start
        )
        return numbers(api.consumer_info("W", "t"))["delivered"]

    sim, real = nats_both(script)
    assert sim.result == real.result == (0, 2)


def backend_now(api) -> float:
    """The backend's clock (virtual on the simulator, since start on the adapter)."""
    return api.clock.now if hasattr(api, "clock") else api.sink.now()


def test_acks_redeliveries_and_max_deliver_give_the_same_numbers(nats_both):
    def script(api, wait):
        api.add_stream("Y1", ["y1"])
        for i in range(4):
            api.js_publish("y1", str(i))
        api.add_consumer("Y1", durable_name="r", ack_wait=1, max_deliver=2)
        seen = [meta(api.fetch("Y1", "r", 3))]
        api.ack("Y1", "r", 2)
        steps = [numbers(api.consumer_info("Y1", "r"))]
        api.ack("Y1", "r", 1)
        steps.append(numbers(api.consumer_info("Y1", "r")))
        wait(1.5)
        steps.append(numbers(api.consumer_info("Y1", "r")))
        seen.append(meta(api.fetch("Y1", "r", 5)))
        steps.append(numbers(api.consumer_info("Y1", "r")))
        wait(1.5)
        seen.append(meta(api.fetch("Y1", "r", 5)))
        steps.append(numbers(api.consumer_info("Y1", "r")))
        return seen, steps

    sim, real = nats_both(script)
    assert sim.result == real.result
    assert [e.stream_seq for e in sim.of("js_max_deliveries")] == [3]


def test_nak_with_delay_term_in_progress_and_ack_all(nats_both):
    def script(api, wait):
        api.add_stream("Y2", ["y2"])
        for i in range(5):
            api.js_publish("y2", str(i))
        api.add_consumer("Y2", durable_name="n", ack_wait=2)
        api.fetch("Y2", "n", 5)
        api.nak("Y2", "n", 1, delay=1)
        api.term("Y2", "n", 2)
        api.in_progress("Y2", "n", 3)
        api.nak("Y2", "n", 4)
        out = [numbers(api.consumer_info("Y2", "n")), meta(api.fetch("Y2", "n", 5))]
        wait(1.2)
        out += [meta(api.fetch("Y2", "n", 5)), numbers(api.consumer_info("Y2", "n"))]
        api.add_consumer("Y2", durable_name="all", ack_policy="all")
        api.fetch("Y2", "all", 5)
        api.ack("Y2", "all", 3)
        out.append(numbers(api.consumer_info("Y2", "all")))
        return out

    sim, real = nats_both(script)
    assert sim.result == real.result


def test_max_ack_pending_holds_back_new_messages(nats_both):
    def script(api, wait):
        six(api)
        api.add_consumer("X5", durable_name="m", max_ack_pending=2)
        first = meta(api.fetch("X5", "m", 5))
        blocked = meta(api.fetch("X5", "m", 1))
        api.ack("X5", "m", 1)
        after = meta(api.fetch("X5", "m", 5))
        return first, blocked, after, numbers(api.consumer_info("X5", "m"))

    sim, real = nats_both(script)
    assert sim.result == real.result
    assert sim.result[1] == []


def test_pull_workers_and_a_push_deliver_group_share_the_same_work(nats_both):
    def script(api, wait):
        api.add_stream("J", ["j.*"])
        api.add_consumer("J", durable_name="pull")
        api.add_consumer("J", durable_name="push", deliver_subject="dlv.j", deliver_group="g")
        for name in ("p1", "p2"):
            api.consume("J", "pull", worker=name, processing_time=0.05, batch=3)
        for name in ("q1", "q2"):
            api.consume("J", "push", worker=name, processing_time=0.05)
        for i in range(12):
            api.js_publish(f"j.{i % 3}", str(i))
        wait(10, until=count("js_acked", 24))
        wait(0.6)
        return numbers(api.consumer_info("J", "pull")), numbers(api.consumer_info("J", "push"))

    sim, real = nats_both(script)
    for r in (sim, real):
        for consumer in ("pull", "push"):
            acked = sorted(e.stream_seq for e in r.of("js_acked") if e.consumer == consumer)
            assert acked == list(range(1, 13))
    pull_sim, push_sim = sim.result
    pull_real, push_real = real.result
    assert pull_sim | {"num_waiting": 0} == pull_real | {"num_waiting": 0}
    assert push_sim == push_real
    assert pull_real["num_waiting"] >= 1  # the pull workers keep asking


def test_ack_wait_brings_back_what_a_stopped_worker_held(nats_both):
    def script(api, wait):
        api.add_stream("Q", ["q"], retention="workqueue")
        api.add_consumer("Q", durable_name="w", ack_wait=1)
        api.js_publish("q", "job")
        api.consume("Q", "w", worker="crashy", processing_time=30)
        wait(3, until=count("js_delivered", 1))
        api.stop_worker("crashy")
        api.consume("Q", "w", worker="rescuer", processing_time=0.05)
        wait(5, until=count("js_acked", 1))
        wait(0.6)
        return api.stream_info("Q")["state"]["messages"]

    sim, real = nats_both(script)
    for r in (sim, real):
        assert [(e.worker, e.num_delivered) for e in r.of("js_delivered")] == [
            ("crashy", 1),
            ("rescuer", 2),
        ]
        assert [e.holding for e in r.of("js_worker_stopped")] == [("n1",)]
        assert r.result == 0


def test_a_worker_that_never_acks_hits_max_deliver(nats_both):
    def script(api, wait):
        api.add_stream("M", ["m"])
        api.add_consumer("M", durable_name="c", ack_wait=0.5, max_deliver=3)
        api.js_publish("m", "poison")
        api.consume("M", "c", failure_rate=1.0, on_failure="ignore")
        wait(5, until=count("js_max_deliveries", 1))
        wait(0.6)
        return numbers(api.consumer_info("M", "c"))

    sim, real = nats_both(script)
    for r in (sim, real):
        assert [e.num_delivered for e in r.of("js_delivered")] == [1, 2, 3]
        assert [e.deliveries for e in r.of("js_max_deliveries")] == [3]
    assert sim.result | {"num_waiting": 0} == real.result | {"num_waiting": 0}
