"""Hostile neighbour: does one sandbox at the heaviest load the caps allow slow another?

Starts `daphne playground.asgi:application` on a free loopback port (in-memory channel
layer, embedded runtime host, a throwaway BP_VAR_DIR) and makes two sandboxes with
`manage.py bench_sandbox`, each with its own owner cookie:

- "heavy": a queue with a consumer and a topic (3 partitions, 5 s retention) with a
  two-member group, one producer into each at half the publish-rate cap, speed at its
  maximum, and a consumer-less "hold" queue filled so the sandbox retains about its
  retained-message cap. Its owner's socket stays open (a viewer, so its frames are built
  and sent too).
- "quiet": a queue with a consumer and a producer at 50 msg/s, at speed 1, so each of its
  frames carries events; its owner's socket is the probe.

BENCH_HEAVY=N makes N heavy sandboxes (default 1), BENCH_FANOUT=K adds to each a fanout
exchange into K more queues with a consumer each (a big topology: big frames).

Two phases in one run, BENCH_SECONDS each (default 20) after WARM seconds of warm-up:
"anchor" with the heavy sandbox paused (built, at its cap, idle) and "heavy" with it
playing. Measured on the quiet sandbox: gaps between frames at its socket, WebSocket
ping round trips (one every 50 ms), and HTTP answers of its diagram (GET
/s/<id>/diagram/, which asks the runtime host for a snapshot; one every 100 ms). Reported
as p50/p95/p99/max in ms, with the heavy sandbox's messages per second, its retained
messages and whether it ran behind, and the server's CPU share.

`measure()` is also what tests/playground/test_neighbour.py runs. Prints one JSON object
per line ("bench": "neighbour"). Loopback only; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
WARM = 3.0
PING_EVERY = 0.05
HTTP_EVERY = 0.1
FANOUT = int(os.environ.get("BENCH_FANOUT", "0"))  # heavy: also a fanout to this many queues
HEAVY = int(os.environ.get("BENCH_HEAVY", "1"))  # heavy sandboxes, each its own visitor


def emit(**fields) -> None:
    print(json.dumps({"bench": "neighbour", **fields}), flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values: list[float]) -> dict[str, float]:
    """p50/p95/p99/max in ms of values in seconds, and how many there were."""
    out = {f"p{int(q * 100)}": round(pct(values, q) * 1000, 1) for q in (0.5, 0.95, 0.99)}
    return {**out, "max": round(max(values, default=0) * 1000, 1), "n": len(values)}


class Socket:
    """An owner's socket: commands, pings, and the arrival time of every frame."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.ref = 0
        self.waiting: dict[int, asyncio.Future] = {}
        self.frame_times: list[float] = []
        self.last_frame: dict = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for text in self.ws:
            now = time.monotonic()
            message = json.loads(text)
            kind = message.get("type")
            if kind == "frame":
                self.frame_times.append(now)
                self.last_frame = message
            elif kind in ("reply", "pong"):
                future = self.waiting.pop(message.get("id"), None)
                if future is not None and not future.done():
                    future.set_result(message.get("result"))

    async def _ask(self, payload: dict) -> object:
        self.ref += 1
        future = self.waiting[self.ref] = asyncio.get_running_loop().create_future()
        await self.ws.send(json.dumps({**payload, "id": self.ref}))
        return await asyncio.wait_for(future, 15)

    async def do(self, **command) -> dict:
        result = await self._ask({"action": "command", "command": command})
        if not result["ok"]:
            raise RuntimeError(f"{command} -> {result}")
        return result

    async def ping(self) -> float:
        started = time.monotonic()
        await self._ask({"action": "ping"})
        return time.monotonic() - started


async def build_heavy(sock: Socket) -> dict:
    """The heaviest load the caps allow; returns the caps the server reported."""
    caps = (await sock.do(op="sandbox.snapshot"))["frame"]["caps"]
    rate, cap = caps["max_publish_rate"], caps["max_retained"]
    await sock.do(op="time.pause")
    await sock.do(op="queue.declare", name="work")
    await sock.do(op="consumer.add", queue="work", prefetch_count=50)
    retention = {"retention.ms": 5000, "segment.ms": 1000}
    await sock.do(op="topic.create", name="events", partitions=3, configs=retention)
    await sock.do(op="group.add", group_id="readers", topics=["events"], members=2)
    await sock.do(op="queue.declare", name="hold")
    held, room = 0, max(0, cap - 6 * rate // 2)  # the topic keeps ~6 s of its half rate
    while held < room:
        count = min(rate, room - held)
        await sock.do(op="publish", routing_key="hold", body="held {n}", count=count)
        held += count
    await sock.do(op="producer.add", name="jobs", routing_key="work", rate=rate // 2)
    await sock.do(
        op="producer.add", name="clicks", broker="kafka", target="events",
        key_pattern="user-{int:1-50}", payload="click {n}", rate=rate - rate // 2,
    )  # fmt: skip
    if FANOUT:
        await sock.do(op="exchange.declare", name="fan", type="fanout")
        for k in range(FANOUT):
            await sock.do(op="queue.declare", name=f"copy{k}")
            await sock.do(op="bind", source="fan", destination=f"copy{k}")
            await sock.do(op="consumer.add", queue=f"copy{k}", prefetch_count=50)
        await sock.do(op="producer.update", name="jobs", exchange="fan", routing_key="")
    await sock.do(op="time.speed", speed=20)
    return caps


async def build_quiet(sock: Socket) -> None:
    await sock.do(op="queue.declare", name="orders")
    await sock.do(op="consumer.add", queue="orders", prefetch_count=10)
    await sock.do(op="producer.add", name="shop", routing_key="orders", rate=50)


async def http_get(port: int, path: str, cookie: str) -> float:
    """Seconds for one GET over a fresh connection, to the last byte; fails on non-200."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sessionid={cookie}\r\n"
        "HX-Request: true\r\nConnection: close\r\n\r\n"
    )
    writer.write(request.encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = data.split(b" ", 2)[1] if data.startswith(b"HTTP/") else b"?"
    if status != b"200":
        raise RuntimeError(f"GET {path} answered {status!r}")
    return time.monotonic() - started


@dataclass
class Samples:
    gaps: list[float] = field(default_factory=list)
    pings: list[float] = field(default_factory=list)
    http: list[float] = field(default_factory=list)


async def sample(quiet: Socket, port: int, path: str, cookie: str, seconds: float) -> Samples:
    """Frame gaps, pings and HTTP answers of the quiet sandbox for `seconds`."""
    out, stop = Samples(), time.monotonic() + seconds
    first = len(quiet.frame_times)

    # one probe starts every PING_EVERY / HTTP_EVERY seconds (the next one at once when an
    # answer took longer), so a slower server gets as many samples, not fewer
    async def pings() -> None:
        while time.monotonic() < stop:
            took = await quiet.ping()
            out.pings.append(took)
            await asyncio.sleep(max(0.0, PING_EVERY - took))

    async def gets() -> None:
        while time.monotonic() < stop:
            took = await http_get(port, path, cookie)
            out.http.append(took)
            await asyncio.sleep(max(0.0, HTTP_EVERY - took))

    await asyncio.gather(pings(), gets())
    times = quiet.frame_times[first:]
    out.gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    return out


async def sent(sock: Socket) -> int:
    frame = (await sock.do(op="sandbox.snapshot"))["frame"]
    return sum(p["sent"] for p in frame["producers"])


async def drive(port: int, heavies: list[dict], quiet: dict, pid: int, seconds: float) -> dict:
    """Both phases; {"anchor": {...}, "heavy": {...}, "caps": {...}} with the summaries."""
    base = f"ws://127.0.0.1:{port}/ws/sandbox/"
    results: dict[str, dict] = {}

    def socket_to(info: dict):
        cookie = {"Cookie": f"sessionid={info['cookie']}"}
        url = base + info["sandbox"] + "/"
        return connect(url, origin="http://127.0.0.1", additional_headers=cookie)

    async with contextlib.AsyncExitStack() as stack:
        hss = [Socket(await stack.enter_async_context(socket_to(h))) for h in heavies]
        qs = Socket(await stack.enter_async_context(socket_to(quiet)))
        for hs in hss:
            caps = await build_heavy(hs)
        await build_quiet(qs)
        path = f"/s/{quiet['sandbox']}/diagram/"
        hs = hss[0]
        for phase in ("anchor", "heavy"):
            for h in hss:
                await h.do(op="time.pause" if phase == "anchor" else "time.play")
            await asyncio.sleep(WARM)
            await sample(qs, port, path, quiet["cookie"], 1.0)  # warm the views up too
            sent0, cpu0, t0 = await sent(hs), cpu_seconds(pid), time.monotonic()
            got = await sample(qs, port, path, quiet["cookie"], seconds)
            elapsed = time.monotonic() - t0
            sent1 = await sent(hs)
            heavy_frame = hs.last_frame
            results[phase] = {
                "frame_gap_ms": summary(got.gaps),
                "ping_ms": summary(got.pings),
                "http_ms": summary(got.http),
                "heavy_sandboxes": len(hss),
                "heavy_msgs_per_s": round((sent1 - sent0) / elapsed),
                "heavy_retained": heavy_frame.get("caps", {}).get("retained"),
                "heavy_behind": heavy_frame.get("behind"),
                "quiet_behind": qs.last_frame.get("behind"),
                "server_cpu_pct": round((cpu_seconds(pid) - cpu0) / elapsed * 100),
            }
        results["caps"] = caps
        for sock in (*hss, qs):
            sock.reader.cancel()
    return results


@contextlib.contextmanager
def serving(
    extra_env: dict[str, str] | None = None, heavy: int = HEAVY
) -> Iterator[tuple[int, int, list, dict]]:
    """daphne on a free port with fresh sandboxes: (port, pid, heavy ones, quiet one)."""
    var = tempfile.mkdtemp(prefix="bp-neighbour-")
    env = {**os.environ, "BP_VAR_DIR": var, "DJANGO_SETTINGS_MODULE": "playground.settings"}
    env.pop("REDIS_URL", None)
    env.update({"LOG_LEVEL": "WARNING", **(extra_env or {})})
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    def sandbox() -> dict:
        made = subprocess.run(
            [python, "manage.py", "bench_sandbox", "--seed", "1"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return json.loads(made.stdout.strip().splitlines()[-1])

    heavies, quiet = [sandbox() for _ in range(heavy)], sandbox()
    port = free_port()
    daphne = Path(python).with_name("daphne")
    log = open(Path(var) / "daphne.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(daphne), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "playground.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"daphne exited with {server.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port, server.pid, heavies, quiet
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def measure(
    seconds: float = SECONDS, heavy: int = HEAVY, extra_env: dict[str, str] | None = None
) -> dict:
    """Start a server with `heavy` heavy sandboxes, run both phases, stop it; the results."""
    with serving(extra_env, heavy) as (port, pid, heavies, quiet):
        return asyncio.run(drive(port, heavies, quiet, pid, seconds))


def main() -> int:
    results = measure()
    for phase in ("anchor", "heavy"):
        emit(phase=phase, seconds=SECONDS, **results[phase])
    caps = results["caps"]
    emit(phase="caps", max_retained=caps["max_retained"], max_rate=caps["max_publish_rate"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
