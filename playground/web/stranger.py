"""What a visitor sees at a sandbox URL or watch link that is not theirs, or not there.

A sandbox answers only the browser that made it, and a watch link only while it is
current. Anyone else — the classroom PC opening the teacher's address, a revoked link, a
made-up id — gets the app's own page with status 404: this sandbox belongs to the
browser that made it; ask its owner for a watch link; start your own. The page is the
same whether the sandbox exists or not and names nothing of it (not even the id).
An htmx request (a tab left open after its session or its sandbox went) gets a short
flash instead; static/js/flash.js lets htmx swap that one 404 into the page's #flash.

Views raise `NotYours` (an `Http404`, so anything that catches those still works);
`StrangerMiddleware` answers it, with DEBUG on or off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

Where = Literal["sandbox", "watch"]
HEADER = "BP-Stranger"  # marks the 404 that static/js/flash.js lets htmx swap
FLASH = (
    "This sandbox is not open to this browser: it belongs to the browser that made it, "
    "or it is gone. Reload the page, or start a sandbox of your own."
)


class NotYours(Http404):
    """A sandbox (or watch link) this visitor may not see, or that does not exist."""

    def __init__(self, where: Where = "sandbox") -> None:
        super().__init__("No such sandbox." if where == "sandbox" else "No such watch link.")
        self.where = where


def answer(request: HttpRequest, where: Where = "sandbox") -> HttpResponse:
    """The stranger's 404: the app's page, or a flash for an htmx request."""
    if getattr(request, "htmx", False):
        response = render(request, "partials/flash.html", {"error": FLASH}, status=404)
        response[HEADER] = "1"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "stranger.html", {"where": where}, status=404)


class StrangerMiddleware:
    """Turns `NotYours` raised by a view into `answer(...)`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotYours):
            return answer(request, exception.where)
        return None
