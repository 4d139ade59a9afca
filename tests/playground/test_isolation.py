"""Every route that names a sandbox answers 404 to a stranger, for GET and POST alike.

The routes are read from the URL resolver, so a route added later is covered without
anyone remembering to list it here.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from playground.models import Sandbox

pytestmark = pytest.mark.django_db(transaction=True)

FILLERS = {"kind": "exchange", "op": "next", "msg": "m1", "slug": "x"}


def sandbox_routes(patterns=None, prefix: str = "") -> list[str]:
    """Every route template with a <sandbox_id>, e.g. 's/<sandbox_id>/lock/'."""
    found = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += sandbox_routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and "<str:sandbox_id>" in route:
            found.append(route)
    return found


def concrete(route: str, sandbox_id: str) -> str:
    path = route.replace("<str:sandbox_id>", sandbox_id)
    for name, value in FILLERS.items():
        path = path.replace(f"<slug:{name}>", value).replace(f"<str:{name}>", value)
    assert "<" not in path, f"no filler for a converter in {route}"
    return "/" + path


ROUTES = sandbox_routes()


def test_the_resolver_lists_the_sandbox_routes():
    """The sweep below sees the pages, the inspector, files, sharing and the backend switch."""
    names = " ".join(ROUTES)
    for part in ("diagram/", "inspect/", "export/", "share/", "lock/", "backend/"):
        assert part in names


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_stranger_gets_404_on_every_sandbox_route(client, route, method):
    """No URL lets a stranger read or change another visitor's sandbox, or learn it exists."""
    client.post("/sandbox/new/")
    sandbox = Sandbox.objects.get()
    before = (sandbox.spec, sandbox.seed, sandbox.watch_token, sandbox.locked, sandbox.backend)
    stranger = getattr(Client(), method)
    status = stranger(concrete(route, sandbox.id)).status_code
    # 405 (wrong method) is answered before any lookup, so it tells nothing about the sandbox
    assert status == 404 or (status == 405 == stranger(concrete(route, "no-such-id")).status_code)
    sandbox.refresh_from_db()
    assert (
        sandbox.spec,
        sandbox.seed,
        sandbox.watch_token,
        sandbox.locked,
        sandbox.backend,
    ) == before
