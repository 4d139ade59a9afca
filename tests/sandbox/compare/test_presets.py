"""Side by side: every preset ends in the counts it claims, on one clock."""

from __future__ import annotations

import dataclasses

import pytest

from sandbox.compare.presets import PRESETS, SIDES, run_preset


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_each_preset_ends_in_the_counts_it_claims(name):
    preset = PRESETS[name]
    assert set(preset.claims) == set(SIDES), "every preset claims counts for both sides"
    result = run_preset(preset)
    assert result.failed_claims == []
    assert result.ok


def test_the_presets_cover_the_four_contrasts_of_the_issue():
    assert {"competing", "fanout", "crash", "replay"} <= set(PRESETS)


def test_both_sides_run_on_one_clock_from_one_stream():
    result = run_preset(PRESETS["fanout"])
    times = [e.t for e in result.events]
    assert times == sorted(times)
    published = [e.t for e in result.events if e.kind == "published"]
    appended = [e.t for e in result.events if e.kind == "appended"]
    assert published == appended  # the same instants on the same clock


def test_fanout_copies_on_rabbitmq_but_stores_once_on_kafka():
    c = run_preset(PRESETS["fanout"]).counters
    assert c["amqp"]["copies_stored"] == 2 * c["kafka"]["copies_stored"]
    assert c["amqp"]["could_still_read"] == []
    assert "any new group (auto.offset.reset=earliest)" in c["kafka"]["could_still_read"]


def test_a_run_is_the_same_for_the_same_seed():
    assert run_preset(PRESETS["crash"], seed=5).counters == run_preset(PRESETS["crash"], 5).counters


def test_a_wrong_claim_is_reported_with_what_happened():
    wrong = dataclasses.replace(PRESETS["competing"], claims={"kafka": {"stored_now": 0}})
    result = run_preset(wrong)
    assert not result.ok
    assert result.failed_claims == ["kafka.stored_now: claimed 0, got 10"]


def test_a_preset_command_the_runtime_refuses_is_an_error():
    bad = dataclasses.replace(
        PRESETS["competing"], amqp=[{"op": "bind", "source": "nope", "destination": "x"}]
    )
    with pytest.raises(ValueError, match="bind refused"):
        run_preset(bad)
