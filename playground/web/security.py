"""The Content-Security-Policy and Permissions-Policy headers every page is sent.

The app runs no inline script, no inline style, no eval and nothing from another
origin, so the policy is fixed: everything from 'self', WebSockets to the same host
(CSP's 'self' covers ws: and wss: there), images also as data: URLs (the empty favicon).
htmx is told not to inject its indicator styles nor to eval (the htmx-config meta tag in
base.html); uPlot sets styles through the CSSOM, which style-src allows.

A middleware of our own rather than django-csp: with no nonces and no per-view policy,
two fixed headers are all there is to it, and Permissions-Policy would need a second
package. Off with BP_CSP=0 (and under DEBUG, whose error pages use inline script).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
#: presenter mode asks for full screen; Share copies the watch link
PERMISSIONS = ", ".join(
    [
        "fullscreen=(self)",
        "clipboard-write=(self)",
        "camera=()",
        "microphone=()",
        "geolocation=()",
        "payment=()",
        "usb=()",
        "clipboard-read=()",
    ]
)


class PolicyMiddleware:
    """Add the two policy headers to every answer (unless BP_CSP is off)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.BP_CSP:
            response.setdefault("Content-Security-Policy", CSP)
            response.setdefault("Permissions-Policy", PERMISSIONS)
        return response
