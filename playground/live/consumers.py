"""The sandbox WebSocket: live frames out, commands in, for the owner and for watchers.

Route `ws/sandbox/<id>/`. On connect the consumer checks the session's owner token, or a
`?watch=<token>` query for a read-only watch link; anyone else is closed with 4403.
Then it joins the sandbox's group, tells the host a viewer arrived and sends a snapshot
frame. The snapshot is always the first message: frames that arrive while it is on its
way are held, and of those (and of any still in flight) only ones newer than the
snapshot (higher `seq`) follow it, so a client starts from full state and never goes
back in time. Incoming JSON goes through an explicit table of actions:

    {"action": "command", "id": any, "command": {...}}  -> {"type": "reply", "id", "result"}
    {"action": "snapshot"}                              -> a full frame
    {"action": "ping", "id": any}                       -> {"type": "pong", "id"}

Only the owner may send commands (always, locked or not: `Sandbox.locked` governs
watchers); watchers may ask for `sandbox.snapshot` and `message.trace`, which change
nothing. Bad JSON, unknown actions and refused commands get `{"type": "error", "error"}`
and never close the socket. Incoming text is read by `json_values.loads`, the parser
every door uses: NaN, numbers past 64 bits, lone surrogates and nesting past 32 levels
are refused there, before anything reaches the runtime. Broker logic stays in the
runtime.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

from playground.access import owner_token, viewer_role
from playground.live import fanout, host
from sandbox.runtime import json_values

log = logging.getLogger(__name__)
FORBIDDEN = 4403
MAX_MESSAGE = 64 * 1024
READ_ONLY_OPS = ("sandbox.snapshot", "message.trace")
#: seconds after a snapshot during which a frame with a lower seq is one still in flight;
#: later, a lower seq means a rebuilt runtime (backend switch), whose frames must pass
IN_FLIGHT = 2.0


class SandboxConsumer(AsyncJsonWebsocketConsumer):
    """One browser tab watching (and, for the owner, driving) one sandbox."""

    sandbox_id = ""
    role: str | None = None
    group = ""
    #: frames that arrived while the snapshot was on its way (None once it is sent)
    held: list[str] | None = None
    #: seq of the last snapshot sent; 0 once a newer frame went out or IN_FLIGHT passed
    floor = 0
    floor_until = 0.0

    async def connect(self) -> None:
        self.sandbox_id = self.scope["url_route"]["kwargs"]["sandbox_id"]
        owner = owner_token(self.scope.get("session"), create=False)
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        watch = (query.get("watch") or [None])[0]
        self.role = await database_sync_to_async(viewer_role)(self.sandbox_id, owner, watch)
        await self.accept()
        if self.role is None:
            await self.close(code=FORBIDDEN)
            return
        self.group = host.group_name(self.sandbox_id)
        self.held = []
        await fanout.join(self.group, self)  # one group membership per process
        await host.join(self.sandbox_id)
        await self.send_snapshot()
        while self.held:  # frames held meanwhile go out in order; new ones queue behind
            await self.send_if_newer(self.held.pop(0))
        self.held = None

    async def disconnect(self, code: int) -> None:
        if self.group:
            await fanout.leave(self.group, self)
            await host.leave(self.sandbox_id)
            self.group = ""

    # -- incoming ------------------------------------------------------------------------
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        if not self.group:
            return
        if text_data is None or len(text_data) > MAX_MESSAGE:
            await self.send_error("Send JSON text of at most 64 KiB.")
            return
        try:
            content = json_values.loads(text_data, "That message")
        except json_values.ValueRefused as exc:
            await self.send_error(exc.message)
            return
        try:
            await self.receive_json(content)
        except Exception:  # a bug must cost one answer, not the viewer's socket
            log.exception("sandbox %s: a WebSocket message failed", self.sandbox_id)
            await self.send_error(
                "That message could not be handled; the server logged why.", content
            )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        action = content.get("action") if isinstance(content, dict) else None
        handler = self.ACTIONS.get(action) if isinstance(action, str) else None
        if handler is None:
            await self.send_error(f"Unknown action {action!r}.", content)
            return
        await handler(self, content)

    async def do_command(self, content: dict[str, Any]) -> None:
        command = content.get("command")
        if not isinstance(command, dict):
            await self.send_error("A command action needs a command object.", content)
            return
        if self.role != "owner" and command.get("op") not in READ_ONLY_OPS:
            await self.send_error("This is a read-only view of someone else's sandbox.", content)
            return
        result = await host.call(self.sandbox_id, command)
        await self.send_json({"type": "reply", "id": content.get("id"), "result": result})

    async def do_snapshot(self, content: dict[str, Any]) -> None:
        await self.send_snapshot()

    async def do_ping(self, content: dict[str, Any]) -> None:
        await self.send_json({"type": "pong", "id": content.get("id")})

    ACTIONS = {"command": do_command, "snapshot": do_snapshot, "ping": do_ping}

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels hops to a worker thread to close stale DB connections before every
        # message; frames never touch the database, and at hundreds of viewers those
        # serialized hops were the whole frame latency (seconds at 200 viewers).
        if message.get("type") == "frame.message":
            await self.frame_message(message)
        else:
            await super().dispatch(message)

    # -- outgoing ------------------------------------------------------------------------
    async def send_snapshot(self) -> None:
        result = await host.call(self.sandbox_id, {"op": "sandbox.snapshot"})
        if result.get("ok"):
            await self.send_json({"sandbox": self.sandbox_id, "role": self.role, **result["frame"]})
            self.floor = result["frame"].get("seq", 0)
            self.floor_until = time.monotonic() + IN_FLIGHT
        else:
            await self.send_error(result.get("error") or "No snapshot.")

    async def send_error(self, message: str, content: Any = None) -> None:
        ref = content.get("id") if isinstance(content, dict) else None
        await self.send_json({"type": "error", "id": ref, "error": message})

    async def send_frame(self, text: str) -> None:
        """Send one frame, already JSON."""
        if self.held is not None:
            self.held.append(text)
        elif self.floor:
            await self.send_if_newer(text)
        else:
            await self.send(text_data=text)

    async def send_if_newer(self, text: str) -> None:
        """Send a frame only if it is newer than the snapshot; once one is, all later are."""
        if json.loads(text).get("seq", 0) <= self.floor and time.monotonic() < self.floor_until:
            return  # the snapshot already holds its state and log lines
        self.floor = 0
        await self.send(text_data=text)

    async def frame_message(self, event: dict[str, Any]) -> None:
        """A frame from the host, already encoded once for every viewer."""
        text = event["text"] if "text" in event else await self.encode_json(event["frame"])
        await self.send_frame(text)

    async def watch_revoked(self, event: dict[str, Any]) -> None:
        """The owner withdrew the watch link: close watchers, keep the owner."""
        if self.role == "watcher":
            await self.close(code=FORBIDDEN)


async def kick_watchers(sandbox_id: str) -> None:
    """Close every watcher's socket of the sandbox (after `sandboxes.revoke`)."""
    await get_channel_layer().group_send(host.group_name(sandbox_id), {"type": "watch.revoked"})
