"""Reading command fields: types, ranges and defaults, with a message naming the field.

A command arrives as a JSON dict from a form or a WebSocket; nothing in it is trusted.
Each reader returns the value or raises `CommandError(message, field)`, which the
runtime answers as `{"ok": False, "error": message, "field": field}`.
"""

from __future__ import annotations

import math
from typing import Any

MAX_NAME = 200
MAX_TEXT = 10_000


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
        """An entity name: a string of at most MAX_NAME characters."""
        value = self.text(name, default, MAX_NAME)
        if not value and not allow_empty:
            raise CommandError(f"{name} cannot be empty.", name)
        return value

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
            number = int(value)
        except (TypeError, ValueError):
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
            number = float(value)
        except (TypeError, ValueError):
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
            or not all(isinstance(v, str) and 0 < len(v) <= MAX_NAME for v in value)
        ):
            raise CommandError(f"{name} must list at least one name.", name)
        return list(dict.fromkeys(value))
