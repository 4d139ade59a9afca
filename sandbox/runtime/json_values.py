"""What a JSON value from outside may hold, and the one parser every door uses.

Every way in — a WebSocket frame, a form's JSON field, an uploaded sandbox file or
definitions.json, a command reaching `SandboxRuntime.apply` — holds plain JSON values,
refused here with a message when they could poison state later:

- NaN and Infinity (Python's json reads and writes them; browsers and SQLite's
  JSON_VALID do not), and numbers too large for a float;
- integers outside the signed 64-bit range (AMQP's long-long, Kafka's long);
- strings that are not valid Unicode text: lone surrogates such as "k\\ud800" cannot be
  encoded as UTF-8, so the page, the diagram and the exports would fail on them;
- nesting deeper than MAX_DEPTH (json and everything that walks a value recurses).

`loads` parses text and never raises anything but `ValueRefused` (a too-deep document
is refused, not a RecursionError); `check` applies the same rules to a value already
in memory. Leaves out sizes: each door bounds the bytes it reads.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_INT_DIGITS = len(str(INT_MAX))  # a longer literal is out of range (and slow to convert)


class ValueRefused(ValueError):
    """A value from outside cannot be used; `message` says why, `path` where."""

    def __init__(self, message: str, path: tuple = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    @property
    def field(self) -> str | None:
        """The top-level key the problem is under (a command's field), if any."""
        return shown(self.path[0]) if self.path and isinstance(self.path[0], str) else None


def where(path: tuple) -> str:
    """A path such as ("arguments", "x-a", 0) as words: "arguments → x-a → [0]"."""
    return " → ".join(f"[{p}]" if isinstance(p, int) else shown(p) for p in path)


def shown(text: str, limit: int = 40) -> str:
    """`text` safe to put in a message: lone surrogates escaped, cut at `limit`."""
    safe = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


def _refused(problem: str, path: tuple) -> ValueRefused:
    text = f"{where(path)}: {problem}" if path else problem[:1].upper() + problem[1:]
    return ValueRefused(text + ".", path)


def _constant(name: str) -> Any:
    raise ValueRefused(f"holds {name}, which JSON cannot carry; write a finite number.")


def _int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > _INT_DIGITS or not INT_MIN <= (value := int(text)) <= INT_MAX:
        raise ValueRefused(f"holds {shown(text, 24)}, outside the 64-bit range.")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueRefused(f"holds {shown(text, 24)}, too large for a number.")
    return value


def loads(text: str | bytes, what: str = "The JSON") -> Any:
    """Parse JSON text from outside, refusing what `check` refuses (ValueRefused); each
    message is a sentence about `what` ("That message holds NaN, ...")."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")  # json would guess UTF-16 or UTF-32 from a BOM
        value = json.loads(text, parse_constant=_constant, parse_int=_int, parse_float=_float)
    except ValueRefused as exc:
        raise ValueRefused(f"{what} {exc.message}") from None
    except RecursionError:
        raise ValueRefused(f"{what} is nested deeper than {MAX_DEPTH} levels.") from None
    except UnicodeDecodeError:
        raise ValueRefused(f"{what} is not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise ValueRefused(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    try:
        check(value)
    except ValueRefused as exc:
        raise ValueRefused(f"{what} is refused: {exc.message}", exc.path) from None
    return value


def check(value: Any, path: tuple = ()) -> None:
    """Refuse (ValueRefused, naming the place) a value JSON from outside could not hold."""
    if len(path) > MAX_DEPTH:
        raise _refused(f"nested deeper than {MAX_DEPTH} levels", path[:1])
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            raise _refused("a whole number outside the 64-bit range", path)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _refused(f"{value} is not a finite number", path)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _refused("object keys must be text", path)
            _check_text(key, (*path, key))
            check(item, (*path, key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check(item, (*path, i))
    else:
        raise _refused(f"a {type(value).__name__} is not a JSON value", path)


def _check_text(text: str, path: tuple) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _refused(
            "not valid Unicode text (a lone surrogate such as \\ud800 has no UTF-8 form)", path
        ) from None
