"""The tick budget is shared fairly: a heavy sandbox slows itself, not its neighbours.

Runs `fairshare.divide` on a fake clock: each claim's work advances the clock by the
time it is given (a heavy one, which never finishes) or by what it needs (a light one).
"""

from __future__ import annotations

import pytest

from sandbox import fairshare
from sandbox.fairshare import Claim

BUDGET = 0.025


@pytest.fixture
def clock(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(fairshare.time, "perf_counter", lambda: now[0])
    return now


def engine(clock, need: float = float("inf")):
    """Work that needs `need` seconds in all (forever by default), slice by slice."""
    left = [need]

    def work(seconds: float) -> bool:
        used = min(seconds, left[0])
        left[0] -= used
        clock[0] += used
        return left[0] <= 0

    return work


async def nothing() -> None:
    pass


async def divide(claims, shares=None, overhead=0.0, budget=BUDGET):
    shares = len(claims) if shares is None else shares
    await fairshare.divide(claims, budget, shares, overhead, pause=nothing)


async def test_a_heavy_sandbox_alone_gets_the_whole_budget_in_slices(clock):
    heavy = Claim(engine(clock))
    slices = []
    work = heavy.work
    heavy.work = lambda s: (slices.append(s), work(s))[1]
    await divide([heavy])
    assert heavy.spent == pytest.approx(BUDGET, abs=fairshare.MIN_SLICE)
    assert max(slices) <= fairshare.SLICE  # the loop is served between slices
    assert not heavy.done


async def test_a_light_neighbour_finishes_and_the_heavy_one_takes_what_is_left(clock):
    heavy, light = Claim(engine(clock)), Claim(engine(clock, need=0.002))
    await divide([heavy, light])
    assert light.done and light.spent == pytest.approx(0.002)
    assert heavy.spent == pytest.approx(BUDGET - 0.002, abs=fairshare.MIN_SLICE)


async def test_two_heavy_sandboxes_split_the_budget_evenly(clock):
    a, b = Claim(engine(clock)), Claim(engine(clock))
    await divide([a, b])
    assert a.spent == pytest.approx(BUDGET / 2, abs=fairshare.SLICE)
    assert b.spent == pytest.approx(BUDGET / 2, abs=fairshare.SLICE)


async def test_an_expensive_frame_comes_out_of_its_own_sandboxs_share(clock):
    """The frames' expected cost is left free; the big-frame sandbox's engine gets less."""
    big, small = Claim(engine(clock), overhead=0.008), Claim(engine(clock), overhead=0.001)
    await divide([big, small], overhead=0.009)
    assert big.spent + small.spent == pytest.approx(BUDGET - 0.009, abs=fairshare.SLICE)
    assert big.spent < small.spent
    assert small.spent - big.spent == pytest.approx(0.007, abs=fairshare.SLICE)


async def test_a_huge_frame_does_not_starve_the_neighbours_engines(clock):
    """Its frame is its own cost: the others still get their shares in full."""
    huge, other = Claim(engine(clock), overhead=0.040), Claim(engine(clock, need=0.006))
    await divide([huge, other], overhead=0.041)
    assert other.done and other.spent == pytest.approx(0.006)
    assert huge.spent == pytest.approx(fairshare.MIN_SLICE)


async def test_with_no_budget_at_all_the_first_in_turn_still_runs_and_the_rest_wait(clock):
    claims = [Claim(engine(clock)) for _ in range(3)]
    await divide(claims, budget=0.0)
    assert claims[0].spent > 0
    assert claims[1].spent == claims[2].spent == 0


def test_the_round_robin_starts_at_a_different_sandbox_each_tick():
    items = ["a", "b", "c"]
    firsts = [fairshare.rotated(items, turn)[0] for turn in range(6)]
    assert firsts == ["a", "b", "c", "a", "b", "c"]
    assert sorted(fairshare.rotated(items, 5)) == items
    assert fairshare.rotated([], 3) == []


def test_a_frames_expected_cost_follows_its_measurements():
    cost = 0.0
    for _ in range(30):
        cost = fairshare.expected(cost, 0.004)
    assert cost == pytest.approx(0.004, rel=0.01)
    assert fairshare.tick_budget(20) == pytest.approx(fairshare.TICK_SHARE / 20)


def test_late_ticks_give_the_engines_less_of_the_budget_until_ticks_are_on_time():
    share, interval = 1.0, 0.05
    for _ in range(10):  # the loop is short of time: each tick starts 20 ms late
        share = fairshare.headroom(share, 0.020, interval)
    assert share == fairshare.MIN_HEADROOM
    share = fairshare.headroom(share, 0.002, interval)  # on time again
    assert share == pytest.approx(fairshare.MIN_HEADROOM + 0.05)
    for _ in range(40):
        share = fairshare.headroom(share, 0.0, interval)
    assert share == 1.0
