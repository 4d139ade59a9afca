"""Typed errors raised by the engine and the real adapters.

Every invalid command raises one of these before anything changes, so callers can show
the message to the user as is. The AMQP ones carry the reply code RabbitMQ would use.
"""

from __future__ import annotations


class BrokerError(Exception):
    """Base for every error the engine reports to a user."""

    code: int = 0

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        """The text to show the user."""
        return str(self.args[0])


class ValidationError(BrokerError):
    """A name, pattern, argument or property value is not acceptable."""

    code = 406  # PRECONDITION_FAILED, as RabbitMQ answers a bad argument


class NotFound(BrokerError):
    """The exchange, queue, consumer, topic, group or member does not exist."""

    code = 404


class AccessRefused(BrokerError):
    """The operation is not allowed on this entity (internal exchange, exclusive queue)."""

    code = 403


class ResourceLocked(BrokerError):
    """The entity is in use in a way that forbids the operation (non-empty group...)."""

    code = 405


class CapacityExceeded(BrokerError):
    """A sandbox cap (entities, retained messages, rate, history) was reached."""

    code = 429


class Disconnected(BrokerError):
    """The real broker behind an adapter is not reachable right now."""

    code = 503
