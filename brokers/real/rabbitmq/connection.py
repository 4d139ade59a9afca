"""One pika connection owned by one thread, and how pika's errors read to a user.

pika is not thread-safe (DESIGN.md §6): each `PikaLoop` creates its `BlockingConnection`
inside its own thread and is the only one touching it; other threads hand it work with
`submit()`, which goes through `add_callback_threadsafe`. Leaves out TLS and
connection-level recovery (the adapter replaces a dead loop with a new one).
"""

from __future__ import annotations

import concurrent.futures
import socket
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pika
import pika.exceptions as pe

from brokers.errors import (
    AccessRefused,
    BrokerError,
    Disconnected,
    NotFound,
    ResourceLocked,
    ValidationError,
)

T = TypeVar("T")
_BY_CODE = {403: AccessRefused, 404: NotFound, 405: ResourceLocked, 406: ValidationError}
CONNECTION_ERRORS = (pe.AMQPConnectionError, pe.ConnectionWrongStateError, socket.error)


def parameters(url: str, name: str) -> pika.URLParameters:
    """Connection parameters for `url` that fail fast and name the connection."""
    params = pika.URLParameters(url)
    params.connection_attempts = 1
    params.socket_timeout = 2.0
    params.blocked_connection_timeout = 10.0
    params.heartbeat = 10
    params.client_properties = {"connection_name": name}
    return params


def explain(exc: BaseException, url: str = "") -> str:
    """A sentence saying why a connection failed or went away."""
    where = f" at {_host(url)}" if url else ""
    if isinstance(exc, pe.ProbableAuthenticationError | pe.ProbableAccessDeniedError):
        return f"RabbitMQ refused the login{where} (check user and password)"
    cause = _root(exc)
    if isinstance(cause, ConnectionRefusedError):
        text = "connection refused"
    elif isinstance(cause, socket.timeout | TimeoutError):
        text = "timed out"
    else:
        text = str(cause) or type(cause).__name__
    return f"RabbitMQ not reachable{where}: {text}"


def _root(exc: BaseException) -> BaseException:
    """The innermost error pika wrapped (its connect errors nest the socket error in args)."""
    seen = 0
    while seen < 5:
        seen += 1
        inner = getattr(exc, "exception", None)  # pika's connector phase errors
        if not isinstance(inner, BaseException):
            inner = next((a for a in exc.args if isinstance(a, BaseException)), None)
        if inner is None and exc.__cause__ is not None:
            inner = exc.__cause__
        if inner is None:
            return exc
        exc = inner
    return exc


def _host(url: str) -> str:
    params = pika.URLParameters(url)
    return f"{params.host}:{params.port}"


def broker_error(exc: pe.ChannelClosed, scrub: Callable[[str], str]) -> BrokerError:
    """The playground error for a channel the broker closed (404 NOT_FOUND and so on)."""
    cls = _BY_CODE.get(exc.reply_code, BrokerError)
    return cls(scrub(exc.reply_text), code=exc.reply_code)


class PikaLoop(threading.Thread):
    """A thread running one BlockingConnection; `setup` runs in it once connected."""

    def __init__(self, url: str, name: str, setup: Callable[[Any], None] | None = None) -> None:
        super().__init__(name=name, daemon=True)
        self.url = url
        self.params = parameters(url, name)
        self.setup = setup
        self.connection: Any = None
        self.ready = threading.Event()
        self.error: BaseException | None = None  # why connecting or setup failed
        self.lost = ""  # why the connection went away, once it has
        self.stopping = False
        self.on_exit: Callable[[PikaLoop], None] | None = None
        self._pending: set[concurrent.futures.Future] = set()
        self._lock = threading.Lock()

    def start_and_wait(self, timeout: float = 10.0) -> None:
        """Start the thread and wait until connected and set up; re-raise what failed."""
        self.start()
        if not self.ready.wait(timeout):
            self.stopping = True
            raise Disconnected(f"RabbitMQ did not answer within {timeout:.0f}s")
        if self.error is not None:
            raise self.error

    def run(self) -> None:
        try:
            self.connection = pika.BlockingConnection(self.params)
            if self.setup is not None:
                self.setup(self.connection)
        except BaseException as exc:  # noqa: BLE001 - reported to the waiting caller
            self.error = exc
            self.ready.set()
            self._close()
            return
        self.ready.set()
        try:
            while not self.stopping and self.connection.is_open:
                self.connection.process_data_events(time_limit=0.2)
        except BaseException as exc:  # noqa: BLE001 - the loop ends; the adapter reconnects
            self.lost = explain(exc, self.url)
        if not self.lost and not self.stopping:
            self.lost = "RabbitMQ closed the connection"
        self._close()
        self._fail_pending()
        if self.on_exit is not None:
            self.on_exit(self)

    @property
    def alive(self) -> bool:
        """Whether the connection is up and the loop runs."""
        return self.ready.is_set() and self.error is None and self.is_alive() and not self.lost

    def submit(self, fn: Callable[[], T], timeout: float = 15.0) -> T:
        """Run `fn` on this loop's thread and return its result (or raise its error)."""
        if threading.current_thread() is self:
            return fn()
        if not self.alive:
            raise Disconnected(self.lost or "RabbitMQ is not connected")
        future: concurrent.futures.Future = concurrent.futures.Future()

        def call() -> None:
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn())
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    future.set_exception(exc)

        with self._lock:
            self._pending.add(future)
        try:
            self.connection.add_callback_threadsafe(call)
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise Disconnected(f"RabbitMQ did not answer within {timeout:.0f}s") from None
        except (pe.ConnectionWrongStateError, pe.StreamLostError, pe.ConnectionClosed) as exc:
            raise Disconnected(self.lost or explain(exc, self.url)) from exc
        finally:
            with self._lock:
                self._pending.discard(future)

    def post(self, fn: Callable[[], Any]) -> bool:
        """Queue `fn` on this loop's thread without waiting; False when the loop is gone."""
        if not self.alive:
            return False
        try:
            self.connection.add_callback_threadsafe(fn)
        except Exception:  # noqa: BLE001 - the connection just went away
            return False
        return True

    def stop(self, join: float = 5.0) -> None:
        """Close the connection cleanly and end the thread."""
        self.stopping = True
        if self.is_alive() and self.connection is not None:
            self.post(lambda: None)  # wake the loop
            if threading.current_thread() is not self:
                self.join(join)

    def _close(self) -> None:
        try:
            if self.connection is not None and self.connection.is_open:
                self.connection.close()
        except Exception:  # noqa: BLE001, S110 - closing a broken connection
            pass

    def _fail_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, set()
        for future in pending:
            if not future.done():
                future.set_exception(Disconnected(self.lost or "RabbitMQ connection closed"))
