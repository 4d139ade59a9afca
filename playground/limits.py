"""Caps on what one visitor, and everyone together, may hold; a refusal answers HTTP 429.

A visitor is an owner token (`playground.access`). The caps, from settings:

- sandboxes: BP_MAX_SANDBOXES_PER_VISITOR per visitor and BP_MAX_SANDBOXES in all,
  checked when a sandbox is made (start, scenario, fork: `check_new_sandbox`); at the
  total cap, sandboxes unused for BP_IDLE_MINUTES are deleted first;
- live runtimes: BP_MAX_RUNTIMES_PER_VISITOR per visitor and BP_MAX_RUNTIMES per runtime
  host, and BP_MEMORY_MB of estimated memory per host (`sandbox.runtime.memory`):
  checked by the host when it loads a runtime, after it put to sleep the least recently
  used runtime nobody watches; it answers with `refusal()`, which carries a "limit" key.

Either way a `LimitReached` reaches `playground.web.limit_page.LimitMiddleware`, which
answers 429 with the limit page or, for an htmx request, a flash message. Leaves out
limits per network address: a visitor who drops their cookie is a new visitor, and only
the totals bound what all of them hold.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from playground.models import Sandbox

#: limit -> (what was reached, what to do), formatted with the numbers in settings
TEXTS: dict[str, tuple[str, str]] = {
    "visitor_sandboxes": (
        "You have {n} sandboxes, the most one browser may keep.",
        "Delete one you no longer need (below), then try again.",
    ),
    "sandboxes": (
        "This server holds {n} sandboxes, the most it keeps.",
        "Try again later: a sandbox nobody uses for {idle} minutes is deleted.",
    ),
    "visitor_runtimes": (
        "You have {n} sandboxes running at once, the most one browser may run.",
        "Close a tab with a sandbox you are not using, then reload this page.",
    ),
    "runtimes": (
        "This server runs {n} sandboxes at once, the most it can share fairly.",
        "Try again in a few minutes: a sandbox with no tab open sleeps after {sleep} minutes.",
    ),
    "memory": (
        "This server's sandboxes hold about {n} MB of messages, the most it keeps in memory.",
        "Try again in a few minutes: a sandbox with no tab open sleeps after {sleep} "
        "minutes. Purging queues you no longer need frees memory too.",
    ),
}
#: seconds a refused visitor is told to wait (Retry-After), by limit
RETRY_AFTER = {"sandboxes": 600, "runtimes": 120, "memory": 120}


class LimitReached(Exception):
    """A cap refused this request; `limit` is a key of TEXTS."""

    def __init__(self, limit: str, error: str, advice: str) -> None:
        super().__init__(error)
        self.limit, self.error, self.advice = limit, error, advice


def texts(limit: str, n: int, sleep_minutes: int = 10) -> tuple[str, str]:
    """What was reached and what to do, for `limit` at `n`."""
    error, advice = TEXTS[limit]
    numbers = {"n": f"{n:,}", "idle": settings.BP_IDLE_MINUTES, "sleep": sleep_minutes}
    return error.format(**numbers), advice.format(**numbers)


def refusal(limit: str, n: int, sleep_minutes: int = 10) -> dict[str, Any]:
    """The runtime host's answer when a cap stops it loading a runtime."""
    error, advice = texts(limit, n, sleep_minutes)
    return {"ok": False, "error": error, "advice": advice, "field": None, "limit": limit}


def raise_for(answer: dict[str, Any]) -> None:
    """Raise LimitReached if `answer` is the host's refusal for a cap."""
    limit = answer.get("limit") if isinstance(answer, dict) else None
    if limit in TEXTS:
        raise LimitReached(limit, answer.get("error", ""), answer.get("advice", ""))


def delete_unused(cutoff: Any, keep: list[str] | None = None) -> list[tuple[str, str]]:
    """Delete sandboxes last used before `cutoff` (but those in `keep`); (id, backend) each."""
    stale = Sandbox.objects.filter(last_seen__lt=cutoff).exclude(id__in=keep or [])
    rows = list(stale.values_list("id", "backend"))
    Sandbox.objects.filter(id__in=[sandbox_id for sandbox_id, _ in rows]).delete()
    return rows


def check_new_sandbox(owner: str) -> list[tuple[str, str]]:
    """Refuse a new sandbox for `owner` past the per-visitor or the total cap. At the total
    cap, sandboxes unused for BP_IDLE_MINUTES are deleted first: (id, backend) of each is
    returned, so the caller has their runtimes and real-broker resources discarded."""
    mine = Sandbox.objects.filter(owner=owner).count()
    if mine >= settings.BP_MAX_SANDBOXES_PER_VISITOR:
        raise LimitReached("visitor_sandboxes", *texts("visitor_sandboxes", mine))
    total = settings.BP_MAX_SANDBOXES
    deleted: list[tuple[str, str]] = []
    if Sandbox.objects.count() >= total:
        deleted = delete_unused(timezone.now() - timedelta(minutes=settings.BP_IDLE_MINUTES))
        if Sandbox.objects.count() >= total:
            raise LimitReached("sandboxes", *texts("sandboxes", total))
    return deleted
