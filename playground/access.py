"""Who owns which sandbox, and who may watch it.

Every visitor gets a random owner token in their (signed-cookie) session the first time
they need one; a sandbox belongs to the token that created it. Nothing else identifies a
visitor, so the only ways into a sandbox are holding its owner's session or holding its
current watch token (a read-only link the owner made and can revoke). Views use these
helpers for URLs; the WebSocket consumer uses `viewer_role` on connect. How many sandboxes
a visitor may keep is `playground.limits`'s. Leaves out accounts and transferring ownership.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from playground import limits
from playground.live.host import DISCARD, call_sync
from playground.models import Sandbox

OWNER_KEY = "bp_owner"
Role = Literal["owner", "watcher"]


def owner_token(session: Any, create: bool = True) -> str | None:
    """The visitor's owner token from `session`, made and stored there if `create`."""
    token = session.get(OWNER_KEY) if session is not None else None
    if token or not create or session is None:
        return token or None
    token = secrets.token_urlsafe(24)
    session[OWNER_KEY] = token
    return token


def new_seed() -> int:
    """A random seed to show the user (small enough to read out loud)."""
    return secrets.randbelow(1_000_000_000) + 1


def create_sandbox(owner: str, spec: dict | None = None, seed: int | None = None) -> Sandbox:
    """A new sandbox owned by `owner`, with a random seed unless one is given; raises
    `limits.LimitReached` past the visitor's or the server's cap on sandboxes."""
    if not owner:
        raise ValueError("a sandbox needs an owner token")
    for gone, kind in limits.check_new_sandbox(owner):  # made room: nothing left behind
        try:
            call_sync(gone, {"op": DISCARD, "kind": kind})
        except TimeoutError:  # a slow broker: the host goes on deleting in the background
            pass
    return Sandbox.objects.create(
        owner=owner, seed=seed if seed is not None else new_seed(), spec=spec or {}
    )


def get_owned(sandbox_id: str, owner: str | None) -> Sandbox | None:
    """The sandbox if `owner` owns it, else None (missing and foreign look the same)."""
    if not owner or not sandbox_id:
        return None
    return Sandbox.objects.filter(id=sandbox_id, owner=owner).first()


def owned_by(owner: str | None) -> list[Sandbox]:
    """The visitor's sandboxes, newest first."""
    if not owner:
        return []
    return list(Sandbox.objects.filter(owner=owner).order_by("-created"))


def may_watch(sandbox: Sandbox, token: str | None) -> bool:
    """Whether `token` is the sandbox's current watch token."""
    if not token or not sandbox.watch_token or not str(token).isascii():
        return False  # compare_digest refuses non-ASCII text; no token of ours is
    return secrets.compare_digest(str(token), sandbox.watch_token)


def share(sandbox: Sandbox) -> str:
    """Make (or keep) a read-only watch token for the sandbox and return it."""
    if not sandbox.watch_token:
        sandbox.watch_token = secrets.token_urlsafe(18)
        sandbox.save(update_fields=["watch_token", "last_seen"])
    return sandbox.watch_token


def revoke(sandbox: Sandbox) -> None:
    """Withdraw the watch token: the old link stops working and watchers are closed.

    Closing already-connected watchers goes through the channel layer
    (`playground.live.consumers.kick_watchers`), so call that from async code after this.
    """
    sandbox.watch_token = None
    sandbox.save(update_fields=["watch_token", "last_seen"])


def viewer_role(sandbox_id: str, owner: str | None, watch: str | None) -> Role | None:
    """'owner', 'watcher' or None for someone asking to see a sandbox."""
    sandbox = Sandbox.objects.filter(id=sandbox_id).first()
    if sandbox is None:
        return None
    if owner and secrets.compare_digest(owner, sandbox.owner):
        return "owner"
    if may_watch(sandbox, watch):
        return "watcher"
    return None
