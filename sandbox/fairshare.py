"""A fair share of each tick: how the runtime host divides its time among busy sandboxes.

Every tick the host may spend `budget` wall seconds (TICK_SHARE of the tick) on its
simulator sandboxes: advancing their engines and building their frames. The rest of
the tick is left to the event loop's other work, sockets, pings and commands, so a
neighbour's frames and answers do not wait on a heavy sandbox. The budget is divided
like a processor-sharing scheduler:

- each sandbox that costs anything this tick has an equal share, budget / shares;
- its frame (settling, describing, encoding) is expected to cost what it cost before
  (`Claim.overhead`, a moving average the host keeps) and comes out of its own share,
  so a sandbox with a big topology gets less engine time, not its neighbours;
- engines run in round-robin slices of at most SLICE seconds, the loop yielding between
  slices, starting at a different sandbox each tick (`turn`), so no one always comes last
  and no one waits behind another's whole share; no share runs past the whole budget;
- time a quiet sandbox leaves unused goes, in further round-robin slices, to those still
  busy, until the budget less every frame's expected cost is spent.

When ticks start late, the loop or the machine is short of time: the host gives the
engines less of the budget (`headroom`) until ticks are on time again, so a busy machine
slows the heavy sandbox first, not the neighbours' sockets.

A sandbox whose frame alone costs more than its share gets a minimal engine slice, and
the host sends its frames less often (`RuntimeHost._frame_every`), so on average it stays
within its share.

A sandbox whose engine did not reach its planned virtual time is "behind" (its virtual
time falls behind wall time × speed); that is the heavy sandbox slowing itself. Leaves
out priorities and weights: every sandbox counts the same.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

#: part of each tick the host spends on its sandboxes' engines and frames (at 0.5, three
#: visitors at the caps pushed a neighbour's frame gaps to 104-116 ms at p99 on 2 cores)
TICK_SHARE = 0.35
#: longest run of one engine before the loop serves others
SLICE = 0.004
#: shortest slice worth starting
MIN_SLICE = 0.0005
#: weight of the newest measurement in a frame's expected cost
COST_WEIGHT = 0.3
#: a tick starting this part of a tick late means the loop (or the machine) is short of time
LATE = 0.25
#: least part of the budget the engines keep however late the ticks are
MIN_HEADROOM = 0.2


@dataclass
class Claim:
    """One sandbox's engine work this tick."""

    #: runs at most `seconds` of engine work; True once the planned time is reached
    work: Callable[[float], bool]
    #: seconds its frame is expected to cost this tick
    overhead: float = 0.0
    spent: float = 0.0
    done: bool = False


def tick_budget(tick_hz: int) -> float:
    """Wall seconds a host spends on its sandboxes each tick."""
    return TICK_SHARE / tick_hz


def headroom(previous: float, late: float, interval: float) -> float:
    """Part of the budget the engines get next: cut by a third when this tick started more
    than LATE of a tick late (sockets, requests or other processes need the time), then
    given back a twentieth a tick while ticks start on time."""
    if late > LATE * interval:
        return max(MIN_HEADROOM, previous * 2 / 3)
    return min(1.0, previous + 0.05)


def expected(previous: float, measured: float) -> float:
    """A frame's expected cost after one more measurement (a moving average)."""
    return previous + COST_WEIGHT * (measured - previous)


def rotated(items: list, turn: int) -> list:
    """`items` starting at position `turn` (modulo), wrapping round."""
    if not items:
        return []
    k = turn % len(items)
    return items[k:] + items[:k]


async def _yield() -> None:
    await asyncio.sleep(0)


async def divide(
    claims: list[Claim],
    budget: float,
    shares: int,
    overhead: float,
    pause: Callable[[], Awaitable[None]] = _yield,
) -> None:
    """Run the claims' engine work within `budget` seconds, fairly (see the module).

    `claims` come in this tick's round-robin order; `shares` is how many sandboxes cost
    anything this tick (claims and those with only a frame to build); `overhead` the
    expected cost of all their frames, which the engines leave room for.
    """
    if not claims:
        return
    started = time.perf_counter()
    hard = started + budget  # no share runs past the whole budget
    soft = started + budget - overhead  # what is left after every frame's expected cost
    fair = budget / max(1, shares, len(claims))
    allowance = {id(c): max(MIN_SLICE, fair - c.overhead) for c in claims}
    busy, first = list(claims), True
    while busy:
        owed = [c for c in busy if c.spent < allowance[id(c)]]
        deadline = hard
        if not owed:  # every share is used: what is left before `soft`, shared again
            extra = (soft - time.perf_counter()) / len(busy)
            if extra < MIN_SLICE:
                return
            for c in busy:
                allowance[id(c)] = c.spent + extra
            owed, deadline = list(busy), soft
        for claim in owed:
            now = time.perf_counter()
            if now >= deadline and not first:
                return
            first = False  # the tick's first sandbox always gets a slice: no one starves
            left = min(SLICE, allowance[id(claim)] - claim.spent, deadline - now)
            claim.done = claim.work(max(MIN_SLICE, left))
            claim.spent += time.perf_counter() - now
            if claim.done:
                busy.remove(claim)
            await pause()
