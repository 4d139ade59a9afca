"""Live view under load: daphne, the embedded host, and 1 / 50 / 200 watchers over loopback.

Starts `daphne playground.asgi:application` on a free loopback port (in-memory channel
layer, embedded runtime host, a throwaway BP_VAR_DIR), makes a sandbox with
`manage.py bench_sandbox`, and drives it through the owner's WebSocket: a default-
exchange queue with a consumer, a topic with a two-member group, one AMQP and one
Kafka producer, and a consumer-less "probe" queue. The topic keeps 5 s of records
(1 s segments), or its log would fill the sandbox's retained-messages cap and block
the producers. For each viewer count, watchers connect with the sandbox's watch link,
then two phases of BENCH_SECONDS / 2 each:

- "max": speed 20 and producers at the publish-rate cap (1,000 + 1,000 msg/s
  virtual), so the engine runs as fast as the host's per-tick work budget allows;
  reports the message rate actually reached.
- "1k": speed 1, producers at 500 + 500 = 1,000 msg/s. Every 0.25 s the owner
  publishes one message to "probe"; latency is from the moment that publish command
  was acked to the first frame at a viewer whose series.depth["probe"] shows it
  (publish-to-frame as the viewer sees it, so it includes the tick wait).

Also reported for each phase: frames per second per viewer, frame bytes p50/max, frame
delivery latency (viewer receive time - the frame's "wall" stamp set when the host sent
it) and daphne's RSS (VmRSS). Prints one JSON object per line. Env: BENCH_SECONDS
(default 30), BENCH_VIEWERS (default "1,50,200"). Loopback only; every loop is bounded.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
VIEWERS = [int(v) for v in os.environ.get("BENCH_VIEWERS", "1,50,200").split(",")]
WALL = re.compile(r'"wall":([0-9.]+)')
PROBE = re.compile(r'"depth":\{[^}]*"probe":(\d+)')


def emit(**fields) -> None:
    print(json.dumps({"bench": "live", **fields}), flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Viewer:
    """One watcher: counts frames, sizes, delivery latency and probe depths."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.frames = 0
        self.sizes: list[int] = []
        self.delivery: list[float] = []
        self.depths: list[tuple[float, int]] = []  # (receive time, probe depth)

    async def run(self, url: str, ready: asyncio.Event, stop: asyncio.Event) -> None:
        async with connect(url, origin="http://127.0.0.1", max_size=2**20) as ws:
            first = await ws.recv()
            if '"type":"frame"' not in first.replace(" ", ""):
                raise RuntimeError(f"watcher got {first[:200]}")
            ready.set()
            while not stop.is_set():
                try:
                    text = await asyncio.wait_for(ws.recv(), 1.0)
                except TimeoutError:
                    continue
                now = time.time()
                self.frames += 1
                self.sizes.append(len(text))
                wall = WALL.search(text, 0, 200)
                if wall:
                    self.delivery.append(now - float(wall.group(1)))
                depth = PROBE.search(text, max(0, text.rfind('"depth":')))
                if depth:
                    self.depths.append((now, int(depth.group(1))))


class Owner:
    """The owner's socket: commands and their replies; a reader task drains frames."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.ref = 0
        self.waiting: dict[int, asyncio.Future] = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for text in self.ws:
            if '"type":"reply"' in text or '"type": "reply"' in text:
                message = json.loads(text)
                future = self.waiting.pop(message.get("id"), None)
                if future is not None and not future.done():
                    future.set_result(message["result"])

    async def do(self, check: bool = True, **command) -> dict:
        self.ref += 1
        future = self.waiting[self.ref] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps({"action": "command", "id": self.ref, "command": command}))
        result = await asyncio.wait_for(future, 10)
        if check and not result["ok"]:
            raise RuntimeError(f"{command} -> {result}")
        return result

    async def sent(self) -> int:
        frame = (await self.do(op="sandbox.snapshot"))["frame"]
        return sum(p["sent"] for p in frame["producers"])


async def loop_lag(samples: list[float], stop: asyncio.Event) -> None:
    """How late this (client) event loop wakes from 10 ms sleeps: the bench's own noise."""
    while not stop.is_set():
        t = time.monotonic()
        await asyncio.sleep(0.01)
        samples.append(time.monotonic() - t - 0.01)


async def phase(name, owner, viewers, pid, seconds, probes: bool) -> None:
    speed, rate = (20, 1000) if name == "max" else (1, 500)
    await owner.do(op="time.speed", speed=speed)
    for producer in ("jobs", "clicks"):
        await owner.do(op="producer.update", name=producer, rate=rate)
    await owner.do(op="queue.purge", name="probe")
    await asyncio.sleep(0.5)
    for v in viewers:
        v.reset()
    sent0, t0, cpu0 = await owner.sent(), time.monotonic(), cpu_seconds(pid)
    own0 = time.process_time()
    lags: list[float] = []
    lag_stop = asyncio.Event()
    lag_task = asyncio.create_task(loop_lag(lags, lag_stop))
    sent_at: list[float] = []
    refused = 0
    deadline = t0 + seconds
    while time.monotonic() < deadline:
        if probes:
            answer = await owner.do(False, op="publish", routing_key="probe", body="probe")
            if not answer["ok"]:
                refused += 1
            else:
                sent_at.append(time.time())
        await asyncio.sleep(0.25)
    elapsed = time.monotonic() - t0
    lag_stop.set()
    await lag_task
    server_cpu = (cpu_seconds(pid) - cpu0) / elapsed
    client_cpu = (time.process_time() - own0) / elapsed
    sent1 = await owner.sent()
    latencies = []
    for v in viewers:
        for k, t_sent in enumerate(sent_at, start=1):
            seen = next((t for t, d in v.depths if d >= k), None)
            if seen is not None:
                latencies.append(max(0.0, seen - t_sent))
    sizes = [s for v in viewers for s in v.sizes]
    delivery = [d for v in viewers for d in v.delivery]
    rates = [v.frames / elapsed for v in viewers]
    emit(
        viewers=len(viewers),
        phase=name,
        seconds=round(elapsed, 1),
        msgs_per_s=round((sent1 - sent0) / elapsed),
        frames_per_s_per_viewer=round(statistics.mean(rates), 1),
        frames_per_s_min=round(min(rates), 1),
        frame_bytes_p50=pct(sizes, 0.5),
        frame_bytes_max=max(sizes, default=0),
        publish_to_frame_ms_p50=round(pct(latencies, 0.5) * 1000, 1) if probes else None,
        publish_to_frame_ms_p95=round(pct(latencies, 0.95) * 1000, 1) if probes else None,
        publish_to_frame_ms_p99=round(pct(latencies, 0.99) * 1000, 1) if probes else None,
        publish_to_frame_ms_max=round(max(latencies) * 1000, 1) if latencies else None,
        probes_seen=f"{len(latencies)}/{len(sent_at) * len(viewers)}" if probes else None,
        probes_refused=refused if probes else None,
        delivery_ms_p50=round(pct(delivery, 0.5) * 1000, 1),
        delivery_ms_p99=round(pct(delivery, 0.99) * 1000, 1),
        client_loop_lag_ms_p99=round(pct(lags, 0.99) * 1000, 1),
        server_cpu_pct=round(server_cpu * 100),
        client_cpu_pct=round(client_cpu * 100),
        rss_mb=rss_mb(pid),
    )


async def drive(port: int, info: dict, pid: int) -> None:
    base = f"ws://127.0.0.1:{port}/ws/sandbox/{info['sandbox']}/"
    headers = {"Cookie": f"sessionid={info['cookie']}"}
    async with connect(base, origin="http://127.0.0.1", additional_headers=headers) as ws:
        owner = Owner(ws)
        await owner.do(op="queue.declare", name="work")
        await owner.do(op="consumer.add", queue="work", prefetch_count=50)
        await owner.do(op="queue.declare", name="probe")
        retention = {"retention.ms": 5000, "segment.ms": 1000}  # else the log fills the cap
        await owner.do(op="topic.create", name="events", partitions=3, configs=retention)
        await owner.do(op="group.add", group_id="readers", topics=["events"], members=2)
        await owner.do(op="producer.add", name="jobs", routing_key="work", rate=500)
        await owner.do(
            op="producer.add", name="clicks", broker="kafka", target="events",
            key_pattern="user-{int:1-50}", payload="click {n}", rate=500,
        )  # fmt: skip
        await asyncio.sleep(2)
        emit(phase="warm", rss_mb=rss_mb(pid))  # the baseline: sandbox built and running
        for count in VIEWERS:
            viewers = [Viewer() for _ in range(count)]
            stop = asyncio.Event()
            readies = [asyncio.Event() for _ in viewers]
            url = f"{base}?watch={info['watch']}"
            pairs = zip(viewers, readies, strict=True)
            tasks = [asyncio.create_task(v.run(url, r, stop)) for v, r in pairs]
            async with asyncio.timeout(60):
                await asyncio.gather(*(r.wait() for r in readies))
            rss_start = rss_mb(pid)  # viewers connected, before this run publishes
            await phase("max", owner, viewers, pid, SECONDS / 2, probes=False)
            await phase("1k", owner, viewers, pid, SECONDS / 2, probes=True)
            rss_end = rss_mb(pid)
            emit(
                viewers=count,
                phase="run",
                rss_mb_start=rss_start,
                rss_mb_end=rss_end,
                rss_change_pct=round((rss_end - rss_start) / rss_start * 100, 1),
            )
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.sleep(1)


def main() -> int:
    var = tempfile.mkdtemp(prefix="bp-live-bench-")
    env = {**os.environ, "BP_VAR_DIR": var, "DJANGO_SETTINGS_MODULE": "playground.settings"}
    env.pop("REDIS_URL", None)
    env["LOG_LEVEL"] = "WARNING"
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    made = subprocess.run(
        [python, "manage.py", "bench_sandbox", "--seed", "1"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    info = json.loads(made.stdout.strip().splitlines()[-1])
    port = free_port()
    daphne = Path(python).with_name("daphne")
    log = open(Path(var) / "daphne.log", "w")  # noqa: SIM115 - closed when the bench ends
    server = subprocess.Popen(
        [str(daphne), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "playground.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    try:
        for _ in range(100):  # up to 10 s for daphne to listen
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        rss_start = rss_mb(server.pid)
        started = time.monotonic()
        asyncio.run(drive(port, info, server.pid))
        time.sleep(2)
        emit(
            phase="summary",
            rss_mb_start=rss_start,
            rss_mb_end=rss_mb(server.pid),
            seconds=round(time.monotonic() - started, 1),
        )
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
