"""The answer to a cap: HTTP 429 with the limit page, or a flash for an htmx request.

A `limits.LimitReached` raised by any view reaches `LimitMiddleware`, which answers with
the limit page (which limit, what to do, the visitor's sandboxes with a Delete button
each) or, for an htmx request, a flash message (static/js/limits.js lets htmx swap a 429
into the page's flash). The caps themselves are `playground.limits`'s.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from playground.access import owned_by, owner_token
from playground.limits import RETRY_AFTER, LimitReached
from sandbox.runtime import spec as specs


def response(request: HttpRequest, exc: LimitReached) -> HttpResponse:
    """HTTP 429 for a refusal: a flash for htmx, else the limit page."""
    if getattr(request, "htmx", False):
        text = f"{exc.error} {exc.advice}"
        answer = render(request, "partials/flash.html", {"error": text}, status=429)
    else:
        owner = owner_token(request.session, create=False)
        listed = exc.limit in ("visitor_sandboxes", "visitor_runtimes")
        rows = [
            {"id": sb.id, "created": sb.created, "last_seen": sb.last_seen,
             "entities": specs.count_entities(specs.normalize(sb.spec))}
            for sb in (owned_by(owner) if listed else [])
        ]  # fmt: skip
        context = {"limit": exc, "sandboxes": rows}
        answer = render(request, "limit.html", context, status=429)
    if exc.limit in RETRY_AFTER:
        answer["Retry-After"] = str(RETRY_AFTER[exc.limit])
    return answer


class LimitMiddleware:
    """Answer LimitReached, from any view, with HTTP 429."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, LimitReached):
            return response(request, exc)
        return None
