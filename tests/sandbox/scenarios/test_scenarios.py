"""The scenario gallery: every scenario plays on the simulator and every narration claim
holds; claims are real checks (a changed scenario makes them fail); files are validated;
back() is exact."""

from __future__ import annotations

import copy
import json

import pytest

from sandbox.runtime import SandboxRuntime
from sandbox.scenarios import ScenarioError, ScenarioRun, list_scenarios, load
from sandbox.scenarios.loader import DATA, parse

SLUGS = [meta["slug"] for meta in list_scenarios()]


def raw(slug: str) -> dict:
    """A scenario file as plain JSON, to change before parsing."""
    for path in DATA.glob("*.json"):
        data = json.loads(path.read_text())
        if data["slug"] == slug:
            return data
    raise LookupError(slug)


def play(scenario) -> list[tuple]:
    run = ScenarioRun(scenario)
    return run.play_all(SandboxRuntime(seed=0))


def failures(results) -> list[str]:
    return [
        f"step {step.index + 1} ({step.title}): {r.says} -- {r.message}"
        for step, checked in results
        for r in checked
        if not r.ok
    ]


def test_the_gallery_has_fourteen_scenarios_in_order():
    assert len(SLUGS) == 14
    assert len(set(SLUGS)) == 14
    assert [m["order"] for m in list_scenarios()] == list(range(1, 15))
    assert SLUGS[0] == "courier-and-pickup-board"


def test_each_scenario_has_three_to_six_narrated_steps():
    for slug in SLUGS:
        scenario = load(slug)
        assert 3 <= len(scenario.steps) <= 6, slug
        for step in scenario.steps:
            assert len(step.text) > 80, (slug, step.title)
            assert step.watch, (slug, step.title)
            assert step.claims, (slug, step.title)


def test_the_required_scenarios_are_marked_for_real_brokers():
    real = {m["slug"]: m["real"] for m in list_scenarios()}
    assert real["courier-and-pickup-board"] == {"rabbitmq": True, "kafka": True}
    assert real["ack-crash-redelivery"]["rabbitmq"]
    assert real["keys-partitions-order"]["kafka"]
    assert real["replay"] == {"rabbitmq": True, "kafka": True}


@pytest.mark.parametrize("slug", SLUGS)
def test_every_claim_of_the_scenario_holds_on_the_simulator(slug):
    results = play(load(slug))
    assert len(results) == len(load(slug).steps)
    assert failures(results) == []


@pytest.mark.parametrize("slug", SLUGS)
def test_back_lands_in_exactly_the_state_it_left(slug):
    run = ScenarioRun(slug)
    rt = SandboxRuntime(seed=0)
    run.start(rt)
    run.next()
    before = (rt.backend.describe(), rt.trace(limit=1000))
    run.next()
    assert run.back() is run.scenario.steps[0]
    assert (rt.backend.describe(), rt.trace(limit=1000)) == before
    assert run.position == 0


def test_back_from_the_first_step_returns_to_the_bare_topology():
    run = ScenarioRun("routing")
    rt = SandboxRuntime(seed=0)
    run.start(rt)
    bare = rt.backend.describe()
    run.next()
    assert run.back() is None
    assert run.position == -1
    assert rt.backend.describe() == bare


def test_start_seeds_the_runtime_and_leaves_it_paused():
    run = ScenarioRun("slow-consumer-lag")
    rt = SandboxRuntime(seed=999)
    run.start(rt)
    assert rt.seed == load("slow-consumer-lag").seed
    assert rt.spec["time"]["paused"] is True
    rt.tick(5.0)  # a host ticking between steps moves nothing while paused
    assert rt.backend.now == 0.0


def test_next_returns_none_after_the_last_step():
    run = ScenarioRun("priorities")
    run.start(SandboxRuntime(seed=0))
    steps = [run.next() for _ in range(len(run.scenario.steps))]
    assert [s.index for s in steps] == list(range(len(steps)))
    assert run.finished
    assert run.next() is None


def test_check_gives_ok_and_message_per_claim():
    run = ScenarioRun("courier-and-pickup-board")
    run.start(SandboxRuntime(seed=0))
    assert run.check() == []  # no step yet
    step = run.next()
    results = run.check()
    assert len(results) == len(step.claims)
    ok, message = results[0]
    assert ok is True
    assert "delivered_to" in message and "notification-svc" in message


def test_step_to_dict_is_what_the_ui_shows():
    step = load("courier-and-pickup-board").steps[0]
    shown = step.to_dict()
    assert shown["watch"] == ["q:orders", "c:notification-svc", "c:business-svc"]
    assert shown["claims"][0].startswith("The notification service")
    json.dumps(shown)


# -- claims can fail -------------------------------------------------------------------------
def test_a_changed_binding_makes_the_routing_claims_fail():
    data = raw("routing")
    for cmd in data["topology"]:
        if cmd["op"] == "bind" and cmd["routing_key"] == "*.error":
            cmd["routing_key"] = "payments.*"
        if cmd["op"] == "bind" and cmd["routing_key"] == "eu" and cmd["source"] == "regions":
            cmd["routing_key"] = "europe"
    failed = failures(play(parse(data)))
    assert any("Two orders wait in eu-orders" in f for f in failed)
    assert any("all-errors holds the two errors" in f for f in failed)


def test_a_fanout_with_one_queue_unbound_fails_the_copy_claims():
    data = raw("courier-and-pickup-board")
    data["topology"] = [
        c for c in data["topology"] if not (c["op"] == "bind" and c["destination"] == "business")
    ]
    failed = failures(play(parse(data)))
    assert any("The business queue got a copy" in f for f in failed)
    assert any("so did the bookkeeper" in f for f in failed)
    assert not any("notifications queue got a copy" in f for f in failed)


def test_manual_acks_instead_of_auto_ack_fail_the_loss_claims():
    data = raw("ack-crash-redelivery")
    for cmd in data["topology"]:
        if cmd.get("tag") == "hasty-worker":
            cmd["auto_ack"] = False
    failed = failures(play(parse(data)))
    assert any("gone for good" in f for f in failed)


def test_an_idempotent_plain_producer_fails_the_duplicate_claims():
    data = raw("duplicates")
    data["topology"][1]["enable_idempotence"] = True
    failed = failures(play(parse(data)))
    assert any("appended twice" in f for f in failed)


# -- validation ------------------------------------------------------------------------------
def broken(change) -> str:
    data = copy.deepcopy(raw("routing"))
    change(data)
    with pytest.raises(ScenarioError) as exc:
        parse(data, where="routing.json")
    return str(exc.value)


def test_an_unknown_op_is_named_with_its_place():
    msg = broken(lambda d: d["topology"].append({"op": "queue.explode"}))
    assert "routing.json: topology[21].op: unknown op 'queue.explode'" in msg


def test_an_unknown_claim_lists_the_known_ones():
    msg = broken(lambda d: d["steps"][0]["claims"][0].update(what="queue_vibes"))
    assert "steps[0].claims[0].what: unknown claim 'queue_vibes'" in msg
    assert "queue_ready" in msg


def test_a_claim_without_a_comparison_is_refused():
    msg = broken(lambda d: d["steps"][0]["claims"][0].pop("equals"))
    assert "needs one of equals, at_least, at_most" in msg


def test_a_claim_with_missing_or_unknown_args_is_refused():
    assert "needs queue" in broken(lambda d: d["steps"][0]["claims"][0].pop("queue"))
    msg = broken(lambda d: d["steps"][0]["claims"][0].update(colour="red"))
    assert "does not take colour" in msg


def test_a_watch_id_must_name_something_declared():
    msg = broken(lambda d: d["steps"][0]["watch"].append("q:nowhere"))
    assert "'q:nowhere': names nothing this scenario declares" in msg
    msg = broken(lambda d: d["steps"][0]["watch"].append("queue:eu-orders"))
    assert "not a node id" in msg


def test_steps_must_not_go_back_in_time():
    msg = broken(lambda d: d["steps"][2].update(at=0.5))
    assert "steps[2].at: must be a number of virtual seconds, at least 2" in msg


def test_an_action_time_must_fall_inside_its_step():
    msg = broken(lambda d: d["steps"][1]["actions"][0].update(at=9))
    assert "steps[1].actions[0].at: must be from 1 to 2" in msg


def test_missing_keys_and_unknown_slugs_are_clear():
    assert "missing seed" in broken(lambda d: d.pop("seed"))
    with pytest.raises(ScenarioError, match="No scenario named 'nope'"):
        load("nope")


def test_a_refused_action_stops_the_run_with_the_broker_reason():
    data = raw("routing")
    data["steps"][0]["actions"].append({"op": "publish", "exchange": "no-such-exchange"})
    run = ScenarioRun(parse(data))
    run.start(SandboxRuntime(seed=0))
    with pytest.raises(ScenarioError, match="step 1: publish was refused"):
        run.next()


# -- playing over time -------------------------------------------------------------------------
def ticked(slug: str, speed: float = 3.0, wall_dt: float = 0.05) -> tuple:
    """Every step played over host-like ticks; (run, runtime, [(state, history, results)])."""
    rt = SandboxRuntime(seed=0)
    run = ScenarioRun(slug)
    run.start(rt)
    rt.spec["time"]["speed"] = speed
    ends = []
    while run.begin() is not None:
        ticks = 0
        while run.playing is not None:
            rt.tick(wall_dt)
            ticks += 1
            assert ticks < 20_000, "the step never ended"
        ends.append((rt.backend.describe(), rt.trace(limit=5000), run.results, ticks))
    return run, rt, ends


def instant(slug: str) -> tuple:
    rt = SandboxRuntime(seed=0)
    run = ScenarioRun(slug)
    run.start(rt)
    ends = []
    while run.next() is not None:
        ends.append((rt.backend.describe(), rt.trace(limit=5000), run.results))
    return run, rt, ends


@pytest.mark.parametrize("slug", SLUGS)
def test_a_step_played_over_ticks_ends_exactly_where_next_ends(slug):
    """Breakpoints, fast-forward and the work budget change when things are seen, never
    what happens: so Back's replay lands where the room saw the step end."""
    run_t, _, over_time = ticked(slug)
    run_i, _, at_once = instant(slug)
    for k, (slow, fast) in enumerate(zip(over_time, at_once, strict=True)):
        assert slow[0] == fast[0], f"step {k + 1}: state differs"
        assert slow[1] == fast[1], f"step {k + 1}: events differ"
        assert all(r.ok for r in slow[2]), [r.message for r in slow[2] if not r.ok]
        assert slow[3] > 1, f"step {k + 1} played in one tick"
    assert run_t.samples == run_i.samples


def test_time_runs_only_while_a_step_plays_and_pauses_at_its_end():
    rt = SandboxRuntime(seed=0)
    run = ScenarioRun("courier-and-pickup-board")
    run.start(rt)
    rt.tick(1.0)
    assert rt.backend.now == 0.0
    run.begin()
    rt.tick(0.5)
    assert 0 < rt.backend.now <= 0.5 and run.playing.progress() > 0
    while run.playing is not None:
        rt.tick(0.05)
    assert rt.backend.now == 3.0 and rt.spec["time"]["paused"] and run.position == 0
    rt.tick(1.0)
    assert rt.backend.now == 3.0


def test_an_idle_stretch_fast_forwards_and_a_busy_consumer_does_not():
    """ack-crash step 3: the workers take 2 s per payment (held, shown) -> real pace;
    its step 4 (the last payment acked, 1 s where nothing moves) -> fast-forward;
    consumer-groups: page views flow all the time -> every step at 1x."""
    _, _, ends = ticked("ack-crash-redelivery", speed=1.0)
    assert ends[2][3] >= 0.6 * (14 - 2) / 0.05  # step 3: mostly at 1x
    assert ends[3][3] < 0.5 * 1.0 / 0.05  # step 4: nothing moves in its 1 s
    _, _, ends = ticked("consumer-groups", speed=1.0)
    assert ends[0][3] >= 0.9 * 1.0 / 0.05 and ends[4][3] >= 0.9 * 8.0 / 0.05


def test_step_during_a_playing_step_stops_at_its_actions_and_its_end():
    rt = SandboxRuntime(seed=0)
    run = ScenarioRun("ack-crash-redelivery")
    run.start(rt)
    run.next()
    run.begin()  # step 2: both consumers crash at 1.5 s
    steps = 0
    while run.playing is not None:
        assert rt.apply({"op": "time.step"})["ok"]
        assert rt.backend.now <= 2.0
        steps += 1
    assert steps > 3
    stepped = (rt.backend.describe(), rt.trace(limit=5000))
    _, rt_i, ends = instant("ack-crash-redelivery")
    assert stepped == (ends[1][0], ends[1][1])


def test_next_after_free_play_replays_the_step_first_and_says_so():
    """The bug: Next -> Play 3 s -> Next gave ✗ ✗ ✗ with no word why."""
    rt = SandboxRuntime(seed=0)
    run = ScenarioRun("courier-and-pickup-board")
    run.start(rt)
    run.next()
    rt.spec["time"]["paused"] = False
    for _ in range(60):
        rt.tick(0.05)  # 3 s of free play: the queues take nothing, the clock runs
    assert run.drift() == "played 3.0 s on your own"
    run.next()
    assert "played 3.0 s on your own since step 1 ended" in run.note
    assert "replayed to the end of step 1 before step 2" in run.note
    assert all(r.ok for r in run.results), [r.message for r in run.results]
    assert rt.backend.now == 6.0


def test_a_changed_topology_is_a_drift_too_and_an_untouched_sandbox_is_not():
    rt = SandboxRuntime(seed=0)
    run = ScenarioRun("routing")
    run.start(rt)
    run.next()
    assert run.drift() == ""
    rt.apply({"op": "queue.declare", "name": "mine"})
    assert run.drift() == "changed the topology"
    run.next()
    assert "changed the topology" in run.note
    assert "mine" not in [q["name"] for q in rt.backend.describe()["amqp"]["queues"]]


def test_a_command_given_during_a_step_is_said_in_the_note():
    rt = SandboxRuntime(seed=0)
    run = ScenarioRun("courier-and-pickup-board")
    run.start(rt)
    run.begin()
    assert rt.apply({"op": "consumer.crash", "tag": "business-svc"})["ok"]
    run.finish()
    assert "1 command of your own" in run.note
    failed = [r for r in run.results if not r.ok]
    assert failed and all("expected" in r.message for r in failed)


def test_back_from_a_playing_step_goes_to_its_start_and_the_chart_with_it():
    rt = SandboxRuntime(seed=0)
    run = ScenarioRun("courier-and-pickup-board")
    run.start(rt)
    run.next()
    chart = run.chart()
    assert chart["t"][-1] == 3.0 and len(chart["t"]) == 13  # every 0.25 s inside the step
    run.begin()
    rt.tick(0.5)
    assert run.back() is run.scenario.steps[0]
    assert run.playing is None and run.position == 0 and rt.backend.now == 3.0
    assert run.chart() == chart and run.chart_replaced


def test_a_backend_running_one_broker_plays_its_half_and_skips_the_other_saying_why():
    from brokers.sim import Simulator

    class RabbitOnly(Simulator):
        """The simulator without its Kafka: as a sandbox on real RabbitMQ sees the world."""

        kind = "rabbitmq"

        def __init__(self, seed: int = 1) -> None:
            super().__init__(seed)
            self.kafka = None

        def describe(self):
            return {"amqp": self.amqp.describe(), "kafka": None, "now": self.clock.now}

    rt = SandboxRuntime(seed=0, backend_factory=RabbitOnly)
    results = ScenarioRun("courier-and-pickup-board").play_all(rt)
    by_step = [[(r.ok, r.skipped) for r in checked] for _, checked in results]
    assert by_step[0] == [(True, False)] * 4
    assert by_step[2] == [(True, True)] * 4  # the pickup board: Kafka
    assert by_step[3] == [(True, True)] * 3 + [(True, False)]
    kafka_claim = results[2][1][0]
    assert kafka_claim.message.startswith("about Kafka, which Real RabbitMQ does not run")
    assert "order-placed" in rt.spec["topics"]  # the Kafka half is kept, drawn greyed
    assert rt.frame()["kafka"]["groups"][0]["members"][0]["state"] == "kept"


class RealTime:
    """Builds the simulator made to run in real time, as a real broker does: it cannot be
    stepped, each tick's wall seconds pass on it (the runner's real-broker path, without
    a broker; tests/real/test_scenarios_real.py plays it on real RabbitMQ)."""

    def __new__(cls, seed: int = 1):
        from brokers.sim import Simulator

        class Backend(Simulator):
            steppable = False
            kind = "real"

        return Backend(seed)


def test_next_during_a_real_brokers_step_never_waits_it_out_and_pause_holds_it():
    """The bug: Next pressed while a real broker's step played waited the step out inside
    the command, holding the sandbox (its frames too) and the page until it ended."""
    rt = SandboxRuntime(seed=0, backend_factory=RealTime)
    assert rt.apply({"op": "scenario.load", "slug": "courier-and-pickup-board"})["ok"]
    assert rt.apply({"op": "scenario.next"})["scenario"]["playing"]["progress"] == 0.0
    rt.tick(0.25)
    answer = rt.apply({"op": "scenario.next"})  # pressed again: it cannot be hurried
    scenario = answer["scenario"]
    assert answer["ok"] and scenario["real"] and scenario["index"] == 0
    assert scenario["playing"] is not None, "Next waited the real step out"
    assert scenario["playing"]["progress"] == round(0.25 / 3, 4)  # not a second more
    assert "cannot be hurried: this step plays 3 s more" in scenario["note"]
    assert [c.get("pending") for c in scenario["claims"]] == [True] * 4
    assert rt.apply({"op": "time.pause"})["ok"]  # the teacher pauses mid-step
    for _ in range(8):
        rt.tick(0.25)
    frame = rt.frame()
    assert frame["paused"] and frame["scenario"]["playing"]["progress"] == round(0.25 / 3, 4)
    assert "plays 3 s more once you press Play" in frame["scenario"]["note"]
    assert not rt.spec["time"]["paused"]  # the spec keeps the user's time for the simulator
    assert rt.apply({"op": "time.play"})["ok"]
    ticks = 0
    while rt.frame()["scenario"]["playing"] is not None and ticks < 100:
        rt.tick(0.25)
        ticks += 1
    assert ticks >= (3 - 0.25) / 0.25  # it played its own time out, tick by tick
    done = rt.frame()["scenario"]
    assert done["playing"] is None and done["index"] == 0
    assert all(c["ok"] for c in done["claims"]), done["claims"]
    assert "cannot be hurried" not in done["note"]
