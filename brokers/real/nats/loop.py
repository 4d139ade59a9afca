"""One nats-py connection in one thread running its asyncio event loop.

The runtime's thread never touches the connection: `submit(factory)` runs the coroutine
`factory()` on the loop and waits for its result (re-raising its error); `post(factory)`
starts one without waiting. Reconnection is off in nats-py: a connection that goes away
ends the loop's usefulness (`lost` says why), and the adapter replaces the whole loop, as
the other adapters replace a dead pika or kafka-python client. Leaves out TLS and auth.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import nats

from brokers.errors import BrokerError, Disconnected, NotFound, ValidationError

T = TypeVar("T")


def explain(exc: BaseException, url: str) -> str:
    """A sentence saying why the server could not be reached."""
    host, port = _address(url)
    where = f"{host}:{port}"
    text = str(exc) or type(exc).__name__
    if isinstance(exc, ConnectionRefusedError) or "Connect call failed" in text:
        text = "connection refused"
    elif isinstance(exc, asyncio.TimeoutError | TimeoutError):
        text = "timed out"
    return f"NATS not reachable at {where}: {text}"


def _address(url: str) -> tuple[str, int]:
    hostport = url.split("://", 1)[-1].split("@")[-1].split("/")[0]
    host, _, port = hostport.rpartition(":")
    return (host or "127.0.0.1"), int(port or 4222)


def api_error(err: dict[str, Any], scrub: Callable[[str], str]) -> BrokerError:
    """The playground error for a JetStream API error reply ({code, err_code, description})."""
    code, err_code = err.get("code", 500), err.get("err_code", 0)
    text = f"{scrub(str(err.get('description', 'error')))} ({err_code})"
    if code == 404:
        return NotFound(text)
    if code in (400, 500):
        return ValidationError(text)
    return BrokerError(text, code=code)


class NatsLoop(threading.Thread):
    """A thread owning an event loop and one connection to `url`."""

    def __init__(self, url: str, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.url = url
        self.client_name = name
        self.loop = asyncio.new_event_loop()
        self.nc: Any = None
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.lost = ""
        self.stopping = False

    def start_and_wait(self, timeout: float = 10.0) -> None:
        self.start()
        if not self.ready.wait(timeout):
            self.stopping = True
            raise Disconnected(f"NATS did not answer within {timeout:.0f}s")
        if self.error is not None:
            raise self.error

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._connect())
        if self.error is None:
            self.loop.run_forever()
        pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    async def _connect(self) -> None:
        try:
            # nats-py retries an initial connect however it is told; a plain TCP connect
            # first gives a refused or silent server its answer at once
            host, port = _address(self.url)
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2)
            writer.close()
            self.nc = await asyncio.wait_for(
                nats.connect(
                    self.url,
                    name=self.client_name,
                    allow_reconnect=False,
                    connect_timeout=2,
                    max_reconnect_attempts=1,
                    disconnected_cb=self._disconnected,
                    error_cb=self._error,
                ),
                5,
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            self.error = Disconnected(explain(exc, self.url))
        finally:
            self.ready.set()

    async def _disconnected(self) -> None:
        if not self.stopping and not self.lost:
            self.lost = "NATS closed the connection"

    async def _error(self, exc: Exception) -> None:
        if not self.stopping and not self.lost:
            self.lost = explain(exc, self.url)

    @property
    def alive(self) -> bool:
        return (
            self.ready.is_set()
            and self.error is None
            and not self.lost
            and self.is_alive()
            and self.nc is not None
            and self.nc.is_connected
        )

    def submit(self, factory: Callable[[], Awaitable[T]], timeout: float = 10.0) -> T:
        """Run `factory()` on the loop and return its result. Called from the loop's own
        thread (an advisory handler stopping a worker) it cannot wait without deadlocking,
        so it starts the coroutine as a task and returns None."""
        if not self.alive:
            raise Disconnected(self.lost or "NATS is not connected")
        if threading.current_thread() is self:
            self.loop.create_task(factory())  # type: ignore[arg-type]
            return None  # type: ignore[return-value]
        future = asyncio.run_coroutine_threadsafe(factory(), self.loop)  # type: ignore[arg-type]
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise Disconnected(f"NATS did not answer within {timeout:.0f}s") from None

    def post(self, factory: Callable[[], Awaitable[Any]]) -> bool:
        """Start `factory()` on the loop without waiting; False when the loop is gone."""
        if not self.alive:
            return False
        asyncio.run_coroutine_threadsafe(factory(), self.loop)  # type: ignore[arg-type]
        return True

    def stop(self, join: float = 5.0) -> None:
        """Close the connection and end the thread."""
        self.stopping = True
        if not self.is_alive():
            return

        async def close() -> None:
            try:
                if self.nc is not None and not self.nc.is_closed:
                    await asyncio.wait_for(self.nc.close(), 2)
            except Exception:  # noqa: BLE001, S110 - closing a broken connection
                pass
            self.loop.stop()

        try:
            asyncio.run_coroutine_threadsafe(close(), self.loop)
        except RuntimeError:
            return
        if threading.current_thread() is not self:
            self.join(join)
