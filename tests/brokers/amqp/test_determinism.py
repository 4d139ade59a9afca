"""Determinism: the same seed and the same commands give the same events."""

import pytest

from tests.brokers.amqp.conftest import Rig


def scenario(seed: int) -> list[dict]:
    rig = Rig(seed)
    b = rig.broker
    b.exchange_declare("jobs", "topic")
    b.queue_declare(
        "work", arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "dead"}
    )
    b.queue_declare("dead")
    b.queue_bind("work", "jobs", "job.#")
    for tag in ("a", "b"):
        b.basic_consume(
            "work",
            tag,
            prefetch_count=2,
            processing_time=0.3,
            failure_rate=0.4,
            requeue_on_failure=False,
        )
    for i in range(30):
        b.basic_publish("jobs", f"job.{i % 3}", f"payload {i}")
        rig.run(until=rig.clock.now + 0.1)
    b.crash_consumer("a")
    rig.run()
    return [e.to_dict() for e in rig.log.drain()]


def test_same_seed_same_commands_same_events():
    """Two runs with one seed produce identical event dicts."""
    assert scenario(7) == scenario(7)


@pytest.mark.parametrize("other", [8, 9])
def test_a_different_seed_changes_the_failures(other):
    """The RNG drives simulated failures, so another seed gives another history."""
    assert scenario(7) != scenario(other)


def test_the_simulator_builds_the_amqp_model_from_its_seed():
    """brokers.sim.Simulator wires AmqpBroker to its clock and log."""
    sim = pytest.importorskip("brokers.sim")
    runs = []
    for _ in range(2):
        s = sim.Simulator(seed=3)
        s.amqp.queue_declare("q")
        s.amqp.basic_consume("q", "c", prefetch_count=1, processing_time=0.5, failure_rate=0.5)
        for i in range(5):
            s.amqp.basic_publish("", "q", str(i))
        s.advance(10)
        runs.append([e.to_dict() for e in s.drain() if e.broker == "amqp"])
    assert runs[0] == runs[1] and runs[0]
