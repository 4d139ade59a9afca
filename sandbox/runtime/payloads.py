"""The bodies and headers of published messages, kept for the inspector (bounded).

The engine's events carry message ids, not bodies; the runtime remembers a preview of each
published body (PREVIEW_CHARS) and its headers here, for the newest `limit` messages.
Leaves out bodies consumed on a real broker that this sandbox did not publish.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

PREVIEW_CHARS = 200


class Payloads:
    """msg id -> (body preview, headers), keeping only the newest `limit` messages."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.items: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()

    def remember(self, msg: str, body: Any, headers: dict[str, Any] | None) -> None:
        text = body if isinstance(body, str) else str(body)
        self.items[msg] = (text[:PREVIEW_CHARS], dict(headers or {}))
        self.items.move_to_end(msg)
        while len(self.items) > self.limit:
            self.items.popitem(last=False)

    def get(self, msg: str) -> tuple[str, dict[str, Any]] | None:
        return self.items.get(msg)

    def bodies(self) -> dict[str, str]:
        return {msg: body for msg, (body, _) in self.items.items()}

    def clear(self) -> None:
        self.items.clear()
