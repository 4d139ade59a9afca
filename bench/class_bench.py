"""A whole class watching: one presenter, 200 watchers, two daphne processes sharing Redis.

Starts `manage.py runhost` (the runtime host) and two `daphne playground.asgi:application`
processes on loopback ports, all with REDIS_URL=redis://127.0.0.1:6379/<BENCH_REDIS_DB>
(flushed first) and a throwaway BP_VAR_DIR; makes a sandbox and its watch token with
`manage.py bench_sandbox`. The presenter (the owner's WebSocket on daphne 1) builds a
queue with a consumer, a consumer-less "probe" queue and a producer at 100 msg/s, then
BENCH_VIEWERS watchers (default 200, half on each daphne) connect with the watch link.
For BENCH_SECONDS (default 30) the presenter publishes one "probe" message every 0.25 s.

Reported (one JSON object per line, "bench": "class"):
- delivery_ms p50/p99: viewer receive time - the frame's "wall" stamp (set by runhost
  when it sent the frame), over every frame at every viewer, overall and per daphne;
- publish_to_frame_ms p50/p99: from the presenter's publish being acked to the first
  frame at each viewer showing it in series.depth["probe"] (includes the tick wait);
- frames per second per viewer (mean, min), frame bytes p50/max;
- RSS (MB) of runhost and of each daphne at start (after the viewers connected) and end,
  and each process's CPU share during the run; the client's own loop lag.
Reuses bench/live_bench.py's Viewer and Owner. Loopback only; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_bench import Owner, Viewer, cpu_seconds, free_port, loop_lag, pct, rss_mb  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
VIEWERS = int(os.environ.get("BENCH_VIEWERS", "200"))
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "12"))
PROBE_EVERY = 0.25


def emit(**fields) -> None:
    print(json.dumps({"bench": "class", **fields}), flush=True)


def ms(values: list[float], q: float) -> float:
    return round(pct(values, q) * 1000, 1)


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"a server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


async def build(owner: Owner) -> None:
    await owner.do(op="queue.declare", name="work")
    await owner.do(op="consumer.add", queue="work", prefetch_count=50)
    await owner.do(op="queue.declare", name="probe")
    await owner.do(op="producer.add", name="jobs", routing_key="work", rate=100)


async def drive(ports: list[int], info: dict, pids: dict[str, int]) -> None:
    path = f"/ws/sandbox/{info['sandbox']}/"
    headers = {"Cookie": f"sessionid={info['cookie']}"}
    owner_url = f"ws://127.0.0.1:{ports[0]}{path}"
    async with connect(owner_url, origin="http://127.0.0.1", additional_headers=headers) as ws:
        owner = Owner(ws)
        await build(owner)
        viewers = [Viewer() for _ in range(VIEWERS)]
        where = [i % len(ports) for i in range(VIEWERS)]
        stop = asyncio.Event()
        readies = [asyncio.Event() for _ in viewers]
        tasks = []
        for v, ready, k in zip(viewers, readies, where, strict=True):
            url = f"ws://127.0.0.1:{ports[k]}{path}?watch={info['watch']}"
            tasks.append(asyncio.create_task(v.run(url, ready, stop)))
        async with asyncio.timeout(60):
            await asyncio.gather(*(r.wait() for r in readies))
        await asyncio.sleep(2)
        rss_start = {name: rss_mb(pid) for name, pid in pids.items()}
        for v in viewers:
            v.reset()
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        lags: list[float] = []
        lag_stop = asyncio.Event()
        lag_task = asyncio.create_task(loop_lag(lags, lag_stop))
        sent_at: list[float] = []
        t0 = time.monotonic()
        while time.monotonic() < t0 + SECONDS:
            answer = await owner.do(False, op="publish", routing_key="probe", body="probe")
            if answer["ok"]:
                sent_at.append(time.time())
            await asyncio.sleep(PROBE_EVERY)
        elapsed = time.monotonic() - t0
        await asyncio.sleep(1)  # the last probes reach the viewers
        stop.set()
        lag_stop.set()
        await lag_task
        cpu = {n: round(100 * (cpu_seconds(p) - cpu0[n]) / elapsed) for n, p in pids.items()}
        await asyncio.gather(*tasks, return_exceptions=True)
        report(viewers, where, sent_at, elapsed, lags, cpu, rss_start, pids)


def report(viewers, where, sent_at, elapsed, lags, cpu, rss_start, pids) -> None:
    probe = []
    for v in viewers:
        for k, t_sent in enumerate(sent_at, start=1):
            seen = next((t for t, d in v.depths if d >= k), None)
            if seen is not None:
                probe.append(max(0.0, seen - t_sent))
    delivery = [d for v in viewers for d in v.delivery]
    per_daphne = {}
    for k in sorted(set(where)):
        mine = [d for v, w in zip(viewers, where, strict=True) if w == k for d in v.delivery]
        per_daphne[f"daphne{k + 1}"] = {"p50": ms(mine, 0.5), "p99": ms(mine, 0.99)}
    sizes = [s for v in viewers for s in v.sizes]
    rates = [v.frames / elapsed for v in viewers]
    emit(
        viewers=len(viewers),
        daphnes=len(set(where)),
        seconds=round(elapsed, 1),
        delivery_ms_p50=ms(delivery, 0.5),
        delivery_ms_p99=ms(delivery, 0.99),
        delivery_ms_max=round(max(delivery, default=0) * 1000, 1),
        delivery_by_daphne=per_daphne,
        publish_to_frame_ms_p50=ms(probe, 0.5),
        publish_to_frame_ms_p99=ms(probe, 0.99),
        probes_seen=f"{len(probe)}/{len(sent_at) * len(viewers)}",
        frames_per_s_per_viewer=round(statistics.mean(rates), 1),
        frames_per_s_min=round(min(rates), 1),
        frame_bytes_p50=pct(sizes, 0.5),
        frame_bytes_max=max(sizes, default=0),
        client_loop_lag_ms_p99=ms(lags, 0.99),
        cpu_pct=cpu,
        rss_mb_start=rss_start,
        rss_mb_end={name: rss_mb(pid) for name, pid in pids.items()},
    )


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def main() -> int:
    var = tempfile.mkdtemp(prefix="bp-class-bench-")
    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    flush_redis(url)
    env = {**os.environ, "BP_VAR_DIR": var, "DJANGO_SETTINGS_MODULE": "playground.settings"}
    env.update(REDIS_URL=url, BP_RUNTIME_IN_PROCESS="false", LOG_LEVEL="WARNING")
    env.pop("DATABASE_PATH", None)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    made = subprocess.run(
        [python, "manage.py", "bench_sandbox", "--seed", "1"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    info = json.loads(made.stdout.strip().splitlines()[-1])
    daphne = str(Path(python).with_name("daphne"))
    ports = [free_port(), free_port()]
    procs: dict[str, subprocess.Popen] = {}
    logs = []
    try:
        for name, cmd in [("runhost", [python, "manage.py", "runhost"])] + [
            (f"daphne{i + 1}", [daphne, "-v", "0", "-b", "127.0.0.1", "-p", str(port),
                                "playground.asgi:application"])
            for i, port in enumerate(ports)
        ]:  # fmt: skip
            log = open(Path(var) / f"{name}.log", "w")  # noqa: SIM115 - closed below
            logs.append(log)
            procs[name] = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log
            )
        for i, port in enumerate(ports):
            wait_listening(port, procs[f"daphne{i + 1}"])
        pids = {name: p.pid for name, p in procs.items()}
        emit(phase="idle", rss_mb={name: rss_mb(pid) for name, pid in pids.items()})
        asyncio.run(drive(ports, info, pids))
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()
        flush_redis(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
