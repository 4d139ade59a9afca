"""Environment helpers for settings: each fails loudly on a value it cannot read.

Kept free of Django so it can be tested alone and used before settings load.
"""

from __future__ import annotations

import os


class BadSetting(SystemExit):
    """A setting from the environment has a value we cannot use; stops start-up."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(f"Bad setting {name}={value!r}: expected {expected}.")


def envstr(name: str, default: str) -> str:
    """A string setting."""
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    """A boolean setting: true/false, yes/no, on/off, 1/0."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise BadSetting(name, raw, "true or false")


def envint(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer setting within optional bounds."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadSetting(name, raw, "an integer") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise BadSetting(name, raw, f"an integer from {minimum} to {maximum}")
    return value


def envchoice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """A setting that must be one of `choices`."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise BadSetting(name, raw, "one of " + ", ".join(choices))
    return raw


def envlist(name: str, default: list[str]) -> list[str]:
    """A comma-separated list."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]
