"""The virtual clock: ordering, ties, cancellation, run-until."""

import math

import pytest

from brokers.clock import Clock


def test_actions_run_in_time_order():
    """Actions run in order of their time, not of scheduling."""
    clock, seen = Clock(), []
    clock.schedule(2, seen.append, "b")
    clock.schedule(1, seen.append, "a")
    clock.run()
    assert seen == ["a", "b"]
    assert clock.now == 2


def test_ties_break_in_scheduling_order():
    """Actions due at the same time run in the order they were scheduled."""
    clock, seen = Clock(), []
    for name in "xyz":
        clock.schedule(1, seen.append, name)
    clock.run()
    assert seen == ["x", "y", "z"]


def test_cancelled_timers_never_run():
    """A cancelled timer is skipped."""
    clock, seen = Clock(), []
    timer = clock.schedule(1, seen.append, "never")
    clock.schedule(2, seen.append, "yes")
    timer.cancel()
    assert clock.run() == 1
    assert seen == ["yes"]


def test_run_until_stops_before_later_actions_and_moves_now():
    """run(until) runs what is due, leaves the rest, and sets now to until."""
    clock, seen = Clock(), []
    clock.schedule(1, seen.append, 1)
    clock.schedule(5, seen.append, 5)
    clock.run(until=3)
    assert seen == [1]
    assert clock.now == 3
    assert clock.peek() == 5


def test_step_runs_one_action_and_reports_idle():
    """step() runs exactly one action and returns False when idle."""
    clock, seen = Clock(), []
    clock.schedule(0, seen.append, "a")
    clock.schedule(0, seen.append, "b")
    assert clock.step() is True
    assert seen == ["a"]
    assert clock.step() is True
    assert clock.step() is False
    assert clock.peek() == math.inf


def test_negative_delay_is_refused():
    """Scheduling in the past is an error."""
    with pytest.raises(ValueError):
        Clock().schedule(-1, print)
