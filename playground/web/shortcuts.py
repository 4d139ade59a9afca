"""What every view of a sandbox does the same way: check the visitor owns it, answer an
htmx request with a client redirect, render a flash message, tell the page to redraw.

`owned` passes the view the sandbox when this visitor's session owns it and raises the
stranger's 404 otherwise (`playground.web.stranger`: the same answer whether the sandbox
exists or not). `go(request, url)` is a redirect that htmx follows as a whole page.
`flash(...)` renders `partials/flash.html`, which htmx swaps into the page's #flash.
`changed(response)` adds the `topology-changed` event, on which the page redraws the
diagram.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from playground.access import get_owned, owner_token
from playground.web.stranger import NotYours

CHANGED = "topology-changed"


def owned(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pass the sandbox to `view` if this visitor owns it; the stranger's 404 otherwise
    (the same answer whether the sandbox exists or not)."""

    @wraps(view)
    def wrapper(request: HttpRequest, sandbox_id: str, *args: Any, **kw: Any) -> HttpResponse:
        sandbox = get_owned(sandbox_id, owner_token(request.session, create=False))
        if sandbox is None:
            raise NotYours("sandbox")
        return view(request, sandbox, *args, **kw)

    return wrapper


def go(request: HttpRequest, url: str) -> HttpResponse:
    """Go to `url`: a client redirect for htmx (a whole page load), a 302 otherwise."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def flash(request: HttpRequest, error: str = "", message: str = "", **kw: Any) -> HttpResponse:
    """The flash partial: an error (red) or a message; both empty clears the flash."""
    return render(request, "partials/flash.html", {"error": error, "message": message}, **kw)


def changed(response: HttpResponse) -> HttpResponse:
    """`response`, telling the page the topology changed (it redraws the diagram)."""
    return trigger_client_event(response, CHANGED)
