"""A hostile neighbour: one sandbox at the heaviest load the caps allow leaves another's
frames and answers on time.

Runs bench/neighbour_bench.py's `measure()`: daphne in a subprocess, a heavy sandbox
(a queue with a consumer and a topic with a group, producers at the publish-rate cap,
speed 20, about its retained cap held) and a quiet one, measured with a real WebSocket
client and HTTP requests, first with the heavy one paused (the anchor), then playing.
A timing test by nature: run it under the heavy lock (BRIEF) on a machine not otherwise
saturated; each phase takes NEIGHBOUR_SECONDS (default 15) after a warm-up.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timing

LIMIT_MS = 100.0


def bench():
    spec = importlib.util.spec_from_file_location(
        "neighbour_bench", ROOT / "bench/neighbour_bench.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["neighbour_bench"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("count", [1, 3], ids=["one heavy sandbox", "three heavy visitors"])
def test_heavy_sandboxes_leave_their_neighbours_frames_and_answers_under_100_ms_at_p99(count):
    """Three: each its own visitor at the heaviest load (the old per-sandbox budget gave
    each 40% of every tick: the neighbour's HTTP answers took 400 ms at p50)."""
    seconds = float(os.environ.get("NEIGHBOUR_SECONDS", "15"))
    results = bench().measure(seconds=seconds, heavy=count)
    anchor, heavy, caps = results["anchor"], results["heavy"], results["caps"]
    shown = json.dumps({k: results[k] for k in ("anchor", "heavy")}, indent=1)
    # with the heavy sandbox idle, this machine must itself answer in time, or it is too
    # busy (other processes) to judge a neighbour: skip saying so (CI: fail)
    slow = [m for m in ("frame_gap_ms", "ping_ms", "http_ms") if anchor[m]["p99"] >= LIMIT_MS]
    need(not slow, f"the anchor alone (heavy sandbox paused) is over {LIMIT_MS} ms: {shown}")
    # the load is the heaviest the caps allow, and the heavy sandbox slowed itself
    assert heavy["heavy_sandboxes"] == count, shown
    assert heavy["heavy_behind"] is True, shown
    assert heavy["heavy_retained"] >= 0.75 * caps["max_retained"], shown
    assert heavy["heavy_msgs_per_s"] > 1000, shown
    # its neighbour did not slow down
    assert heavy["quiet_behind"] is False, shown
    for metric in ("frame_gap_ms", "ping_ms", "http_ms"):
        assert heavy[metric]["n"] >= 100, shown
        assert heavy[metric]["p99"] < LIMIT_MS, f"{metric} p99 over {LIMIT_MS} ms:\n{shown}"
