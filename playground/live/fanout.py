"""One group membership per serving process, fanned out to that process's sockets.

The host sends each frame to the sandbox's group once. If every socket joined the group
itself, the layer would carry one copy of the frame per socket (200 copies for 200
watchers): channels-redis would store each and every serving process pop them one Redis
round trip at a time (100 sockets connecting at once exhausted the Redis connection pool,
bench/class_bench.py); the in-memory layer would make a task, a queue entry and a deep
copy per socket per frame (seconds of latency at 200 watchers, bench/live_bench.py).
Here each process joins the group with one channel of its own (`Hub`) and hands every
message to its local sockets directly: the layer carries one copy per process per frame,
with the in-memory layer (embedded, one process) as with Redis.

Both layers forget a group membership a day after it was added (`group_expiry`), so a
hub adds itself again every REFRESH seconds: a sandbox watched for days keeps its frames.
Leaves out back-pressure per socket: a socket that cannot take a frame is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

#: seconds between a hub's renewals of its group membership (the layers expire it in a day)
REFRESH = 3600.0
#: message types a hub hands to its sockets, and the consumer method each one calls
HANDLED = {"frame.message": "frame_message", "watch.revoked": "watch_revoked"}


class Hub:
    """This process's membership of one group, and the sockets it serves."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.members: set[Any] = set()
        self.channel = ""
        self.task: asyncio.Task | None = None
        self.renewing: asyncio.Task | None = None

    async def start(self) -> None:
        layer = get_channel_layer()
        self.channel = await layer.new_channel()
        await layer.group_add(self.group, self.channel)
        self.task = asyncio.create_task(self._loop(layer), name=f"bp-hub-{self.group}")
        self.renewing = asyncio.create_task(self._renew(layer), name=f"bp-hub-renew-{self.group}")

    async def stop(self) -> None:
        for task in (self.task, self.renewing):
            if task is not None:
                task.cancel()
        try:
            await get_channel_layer().group_discard(self.group, self.channel)
        except Exception:
            log.exception("leaving group %s failed", self.group)

    async def _loop(self, layer: Any) -> None:
        while True:
            try:
                message = await layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hub of %s could not receive", self.group)
                await asyncio.sleep(0.5)
                continue
            await self.deliver(message)

    async def _renew(self, layer: Any) -> None:
        while True:
            await asyncio.sleep(REFRESH)
            try:
                await layer.group_add(self.group, self.channel)
            except Exception:
                log.exception("renewing group %s failed", self.group)

    async def deliver(self, message: dict[str, Any]) -> None:
        """Hand one group message to every local socket (no task, queue or copy each)."""
        method = HANDLED.get(message.get("type", ""))
        if method is None:
            return
        for consumer in list(self.members):
            try:
                await getattr(consumer, method)(message)
            except Exception:
                log.info("dropping a socket of %s that could not take a message", self.group)
                self.members.discard(consumer)


_hubs: dict[str, Hub] = {}
_lock = asyncio.Lock()


async def join(group: str, consumer: Any) -> None:
    """`consumer` (a connected socket) receives the group's frames and kicks."""
    async with _lock:
        hub = _hubs.get(group)
        if hub is None:
            hub = _hubs[group] = Hub(group)
            await hub.start()
        hub.members.add(consumer)


async def leave(group: str, consumer: Any) -> None:
    """The socket left; the process leaves the group with its last socket."""
    async with _lock:
        hub = _hubs.get(group)
        if hub is None:
            return
        hub.members.discard(consumer)
        if not hub.members:
            del _hubs[group]
            await hub.stop()
