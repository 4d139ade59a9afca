"""Ownership: a visitor reaches only their own sandboxes, or one they hold a watch token for."""

from __future__ import annotations

import pytest

from playground.access import (
    create_sandbox,
    get_owned,
    may_watch,
    owned_by,
    owner_token,
    revoke,
    share,
    viewer_role,
)

pytestmark = pytest.mark.django_db


def test_an_owner_token_is_made_once_per_session():
    session: dict = {}
    token = owner_token(session)
    assert token and owner_token(session) == token
    assert owner_token({}, create=False) is None


def test_it_checks_ownership():
    mine = create_sandbox("alice")
    assert get_owned(mine.id, "alice") == mine
    assert get_owned(mine.id, "bob") is None
    assert get_owned(mine.id, "") is None and get_owned(mine.id, None) is None
    assert owned_by("alice") == [mine] and owned_by("bob") == []


def test_sandboxes_get_random_seeds_and_ids():
    a, b = create_sandbox("alice"), create_sandbox("alice")
    assert a.id != b.id and a.seed != b.seed and a.seed > 0
    with pytest.raises(ValueError):
        create_sandbox("")


def test_a_watch_token_lets_a_stranger_watch_until_revoked():
    sb = create_sandbox("alice")
    assert viewer_role(sb.id, "bob", None) is None
    token = share(sb)
    assert share(sb) == token
    assert may_watch(sb, token) and not may_watch(sb, token + "x") and not may_watch(sb, None)
    assert viewer_role(sb.id, "bob", token) == "watcher"
    assert viewer_role(sb.id, "alice", None) == "owner"
    revoke(sb)
    assert viewer_role(sb.id, "bob", token) is None
    assert viewer_role("missing", "alice", token) is None
