"""Helpers shared by the web app's tests: a sandbox made through the page, htmx posts,
WebSocket clients with a visitor's session, and a runtime host started afresh.

Tests import the helpers by name (`from tests.playground.conftest import start`); a
module that drives the host over a WebSocket marks itself
`pytest.mark.usefixtures("fresh_host")`.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import Client

from playground.access import OWNER_KEY, create_sandbox
from playground.asgi import application
from playground.live import host
from playground.models import Sandbox

HX = {"HTTP_HX_REQUEST": "true"}


def start(client: Client) -> Sandbox:
    response = client.post("/sandbox/new/")
    assert response.status_code == 302
    sandbox = Sandbox.objects.get(id=response["Location"].split("/")[2])
    assert response["Location"] == f"/s/{sandbox.id}/"
    return sandbox


def post(client: Client, url: str, data: dict) -> str:
    response = client.post(url, data, **HX)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


@pytest.fixture
async def fresh_host():
    """A runtime host started afresh for the test, on an empty channel layer."""
    await host.stop_host()
    await get_channel_layer().flush()
    yield
    await host.stop_host()


def cookie_for(owner: str | None) -> bytes:
    session = SessionStore()
    if owner:
        session[OWNER_KEY] = owner
    session.save()
    return f"sessionid={session.session_key}".encode()


def connect(sandbox_id: str, owner: str | None = None, watch: str | None = None):
    path = f"/ws/sandbox/{sandbox_id}/" + (f"?watch={watch}" if watch else "")
    headers = [(b"origin", b"http://localhost"), (b"cookie", cookie_for(owner))]
    return WebsocketCommunicator(application, path, headers=headers)


async def receive(comm: WebsocketCommunicator, kind: str, timeout: float = 3) -> dict:
    """The next message of type `kind`, skipping frames that arrive in between."""
    async with asyncio.timeout(timeout):
        while True:
            message = await comm.receive_json_from(timeout)
            if message.get("type") == kind:
                return message


async def command(comm: WebsocketCommunicator, ref: int, **cmd) -> dict:
    await comm.send_json_to({"action": "command", "id": ref, "command": cmd})
    reply = await receive(comm, "reply")
    assert reply["id"] == ref
    return reply["result"]


async def new_sandbox(owner: str = "alice") -> Sandbox:
    return await database_sync_to_async(create_sandbox)(owner)
