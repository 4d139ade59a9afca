"""Reading command fields: types, ranges and defaults, with a message naming the field.

A command arrives as a JSON dict from a form, a WebSocket, a file or a scenario; nothing
in it is trusted (`json_values.check` has already refused NaN, huge numbers, lone
surrogates and deep nesting). Each reader returns the value or raises
`CommandError(message, field)`, which the runtime answers as `{"ok": False, "error":
message, "field": field}`. The rules for names and keys live here once: the forms call
`name_problem` and `key_problem` too. Numbers written as text use ASCII digits only.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from brokers.amqp.validation import MAX_NAME_BYTES  # names and keys: AMQP short strings
from sandbox import protocol

MAX_TEXT = 10_000
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}", re.ASCII)
_NUMBER = re.compile(
    r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})(?:[eE][+-]?[0-9]{1,3})?", re.ASCII
)


def key_problem(value: str) -> str | None:
    """Why `value` cannot be a routing key, binding pattern or record key (None: it can)."""
    if len(value) * 4 > MAX_NAME_BYTES and len(value.encode("utf-8")) > MAX_NAME_BYTES:
        return f"is longer than {MAX_NAME_BYTES} bytes of UTF-8 (a RabbitMQ short string)"
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return "holds control characters (tabs, newlines…)"
    return None


def name_problem(value: str) -> str | None:
    """Why `value` cannot name an entity (None: it can); empty names are the caller's."""
    return key_problem(value)


class CommandError(ValueError):
    """A command field is missing or unusable; nothing was changed."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


_MISSING = object()


class Fields:
    """Typed access to one command's fields."""

    def __init__(self, command: dict[str, Any]) -> None:
        if not isinstance(command, dict):
            raise CommandError("A command must be a JSON object.")
        self.command = command

    def has(self, name: str) -> bool:
        """Whether the field is present and not null."""
        return self.command.get(name) is not None

    def _get(self, name: str, default: Any) -> Any:
        value = self.command.get(name)
        if value is None:
            if default is _MISSING:
                raise CommandError(f"{name} is required.", name)
            return default
        return value

    def name(self, name: str, default: Any = _MISSING, allow_empty: bool = False) -> str:
        """An entity name: at most MAX_NAME_BYTES bytes, no control characters."""
        value = self.text(name, default, MAX_NAME_BYTES)
        if not value and not allow_empty:
            raise CommandError(f"{name} cannot be empty.", name)
        problem = name_problem(value)
        if problem:
            raise CommandError(f"{name} {problem}.", name)
        return value

    def key(self, name: str, default: Any = "") -> str:
        """A routing key, binding pattern or record key (see `key_problem`)."""
        value = self.text(name, default, MAX_NAME_BYTES)
        problem = key_problem(value)
        if problem:
            raise CommandError(f"{name} {problem}.", name)
        return value

    def payload(self, name: str, default: Any = "") -> str:
        """A message body or payload template: at most protocol.MAX_PAYLOAD characters."""
        return self.text(name, default, protocol.MAX_PAYLOAD)

    def text(self, name: str, default: Any = "", max_len: int = MAX_TEXT) -> str:
        """Free text of bounded length."""
        value = self._get(name, default)
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise CommandError(f"{name} must be text.", name)
        if len(value) > max_len:
            raise CommandError(f"{name} is at most {max_len} characters.", name)
        return value

    def optional_text(self, name: str, max_len: int = MAX_TEXT) -> str | None:
        """Text, or None when absent."""
        return self.text(name, None, max_len) if self.has(name) else None

    def integer(self, name: str, default: Any = _MISSING, lo: int = 0, hi: int = 10**9) -> int:
        """A whole number within [lo, hi] (numeric strings from forms are accepted)."""
        value = self._get(name, default)
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            if isinstance(value, str) and not _INTEGER.fullmatch(value.strip()):
                raise ValueError  # int() would also take Unicode digits ("٣") and "1_0"
            number = int(value)
        except (TypeError, ValueError, OverflowError):
            raise CommandError(f"{name} must be a whole number.", name) from None
        if not lo <= number <= hi:
            raise CommandError(f"{name} must be from {lo} to {hi}.", name)
        return number

    def number(self, name: str, default: Any = _MISSING, lo: float = 0.0, hi: float = 1e9) -> float:
        """A finite number within [lo, hi]."""
        value = self._get(name, default)
        try:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, str) and not _NUMBER.fullmatch(value.strip()):
                raise ValueError  # float() would take Unicode digits, "nan" and "inf"
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise CommandError(f"{name} must be a number.", name) from None
        if not math.isfinite(number) or not lo <= number <= hi:
            raise CommandError(f"{name} must be from {lo:g} to {hi:g}.", name)
        return number

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean (true/false, or the strings forms send)."""
        value = self._get(name, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "on", "1", "yes", "false", "0"):
            return value.lower() in ("true", "on", "1", "yes")
        raise CommandError(f"{name} must be true or false.", name)

    def choice(self, name: str, choices: tuple, default: Any = _MISSING) -> Any:
        """One of `choices`."""
        value = self._get(name, default)
        if value not in choices:
            listed = ", ".join(str(c) for c in choices)
            raise CommandError(f"{name} must be one of: {listed}.", name)
        return value

    def mapping(self, name: str) -> dict[str, Any]:
        """A JSON object (arguments, headers, configs); {} when absent."""
        value = self._get(name, {})
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise CommandError(f"{name} must be an object of named values.", name)
        if len(value) > 64:
            raise CommandError(f"{name} holds at most 64 entries.", name)
        return dict(value)

    def names(self, name: str, default: Any = _MISSING) -> list[str]:
        """A non-empty list of names (a comma-separated string is accepted)."""
        value = self._get(name, default)
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v and not name_problem(v) for v in value)
        ):
            raise CommandError(f"{name} must list at least one name.", name)
        return list(dict.fromkeys(value))
