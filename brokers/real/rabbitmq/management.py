"""The RabbitMQ management HTTP API, as the adapter and the tests use it.

Plain `urllib` with the credentials taken from `RABBITMQ_MANAGEMENT_URL`
(e.g. http://guest:guest@127.0.0.1:15672). Leaves out pagination and TLS options.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from typing import Any


def management_get(base_url: str, path: str, timeout: float = 3.0) -> Any:
    """GET a path of the RabbitMQ management HTTP API; returns the decoded JSON."""
    return management_request(base_url, "GET", path, timeout=timeout)


def management_request(base_url: str, method: str, path: str, timeout: float = 3.0) -> Any:
    """Call the management HTTP API with the credentials in `base_url`."""
    parts = urllib.parse.urlsplit(base_url)
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    url = urllib.parse.urlunsplit((parts.scheme, netloc, "", "", "")) + path
    request = urllib.request.Request(url, method=method)
    if parts.username:
        user = urllib.parse.unquote(parts.username)
        token = f"{user}:{urllib.parse.unquote(parts.password or '')}"
        request.add_header("Authorization", "Basic " + base64.b64encode(token.encode()).decode())
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    return json.loads(body) if body else None
