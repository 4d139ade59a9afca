"""Gallery scenarios marked for real brokers play on real RabbitMQ and Kafka, claims checked.

On a real broker time is wall time: the runner keeps the actions' spacing, then polls
until each step's claims hold (claims marked `"real": false` are skipped, `"real": {...}`
ones use their looser comparison).
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from sandbox.runtime import SandboxRuntime
from sandbox.scenarios import ScenarioRun, list_scenarios, load
from sandbox.scenarios.backends import real_factory
from sandbox.scenarios.loader import DATA

pytestmark = pytest.mark.real

ON_RABBITMQ = [m["slug"] for m in list_scenarios() if m["real"]["rabbitmq"]]
ON_KAFKA = [m["slug"] for m in list_scenarios() if m["real"]["kafka"]]


@pytest.fixture
def runtime_for(request):
    made = []

    def make(slug: str) -> SandboxRuntime:
        scenario = load(slug)
        rabbit = request.getfixturevalue("rabbitmq_url") if "amqp" in scenario.brokers else None
        kafka = request.getfixturevalue("kafka_bootstrap") if "kafka" in scenario.brokers else None
        prefix = f"bp.s{uuid.uuid4().hex[:8]}."
        rt = SandboxRuntime(seed=scenario.seed, backend_factory=real_factory(prefix, rabbit, kafka))
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.destroy()


def test_the_required_scenarios_run_on_real_brokers():
    for slug in ("courier-and-pickup-board", "competing-consumers", "ack-crash-redelivery",
                 "priorities", "ttl-dead-letters", "replay"):  # fmt: skip
        assert slug in ON_RABBITMQ
    for slug in ("courier-and-pickup-board", "competing-consumers", "keys-partitions-order",
                 "consumer-groups", "slow-consumer-lag", "replay"):  # fmt: skip
        assert slug in ON_KAFKA


def test_scenarios_left_on_the_simulator_say_why():
    for path in sorted(DATA.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not any(raw["real"].values()):
            assert raw.get("real_note", "").strip(), f"{path.name}: no real_note"


@pytest.mark.parametrize("slug", sorted(set(ON_RABBITMQ) | set(ON_KAFKA)))
def test_every_real_claim_holds_on_the_real_brokers(runtime_for, slug):
    run = ScenarioRun(slug, real_timeout=45.0)
    results = run.play_all(runtime_for(slug))
    failed = [
        f"step {step.index + 1}: {r.says} -- {r.message}"
        for step, checked in results
        for r in checked
        if not r.ok
    ]
    assert failed == []
    assert any(not r.skipped for _, checked in results for r in checked)


def tick_for(rt: SandboxRuntime, seconds: float, until=None) -> int:
    """Tick `rt` as the host does (every 0.05 s of wall time) for `seconds`, or until
    `until(frame)` holds; how many ticks it took."""
    ticks, last = 0, time.monotonic()
    stop = last + seconds
    while time.monotonic() < stop:
        time.sleep(0.05)
        now = time.monotonic()
        rt.tick(now - last)
        last, ticks = now, ticks + 1
        if until is not None and until(rt.frame()):
            break
    return ticks


def test_next_on_a_real_step_answers_at_once_and_pause_holds_the_step(runtime_for):
    """On real RabbitMQ and Kafka: Next pressed while a step plays does not wait it out (the
    command would hold the sandbox and its frames); pause stops the step's time."""
    rt = runtime_for("courier-and-pickup-board")
    assert rt.apply({"op": "scenario.load", "slug": "courier-and-pickup-board"})["ok"]
    assert rt.apply({"op": "scenario.next"})["scenario"]["playing"] is not None
    tick_for(rt, 0.5)
    scenario = rt.apply({"op": "scenario.next"})["scenario"]
    assert scenario["real"] and scenario["playing"] is not None, "Next waited the step out"
    assert "cannot be hurried" in scenario["note"]
    assert rt.apply({"op": "time.pause"})["ok"]
    held = rt.frame()["scenario"]["playing"]["progress"]
    assert 0 < held < 0.5
    tick_for(rt, 1.0)
    assert rt.frame()["scenario"]["playing"]["progress"] == held  # paused mid-step
    assert rt.apply({"op": "time.play"})["ok"]
    tick_for(rt, 40.0, until=lambda f: f["scenario"]["playing"] is None)
    done = rt.frame()["scenario"]
    assert done["playing"] is None and done["index"] == 0
    assert all(c["ok"] for c in done["claims"]), done["claims"]
