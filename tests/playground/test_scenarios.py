"""The scenario gallery: every scenario plays on the simulator and every narration claim
holds; claims are real checks (a changed scenario makes them fail); files are validated;
back() is exact."""

from __future__ import annotations

import copy
import json

import pytest

from playground.runtime import SandboxRuntime
from playground.scenarios import ScenarioError, ScenarioRun, list_scenarios, load
from playground.scenarios.loader import DATA, parse

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
