"""Garbage collection for a long-running serving process (daphne, `manage.py runhost`).

CPython's full collection (generation 2) walks every tracked object while the event loop
waits. In a daphne process serving a class (200 sockets) and a busy sandbox it ran every
2-3 s and took 80-200 ms (measured with `gc.callbacks` under bench/live_bench.py), so
about one frame in fifty reached all 200 viewers that much late. Two changes, once the
app is loaded (`tune()`):

- `gc.freeze()`: the ~100k objects Django, Channels and our modules create at import
  live as long as the process; the permanent generation is never walked again.
- a first-generation threshold of BP_GC_THRESHOLD allocations (CPython's is 700): young
  collections run less often, and full ones, which CPython starts only after ten young
  rounds of ten and when the survivors grew by a quarter, became rare (none in a 30 s
  bench run at 200 viewers).

Reference counting still frees at once everything that is not in a cycle; only cyclic
garbage waits longer. BP_GC_THRESHOLD=0 keeps CPython's defaults.
"""

from __future__ import annotations

import gc


def tune(threshold: int) -> None:
    """Freeze what exists now and raise the young-generation threshold (0: leave as is)."""
    if threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(threshold, middle, old)
