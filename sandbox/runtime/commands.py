"""The command table: every op the runtime answers, registered by the module that handles it.

A handler module marks each handler with `@command(op)`; `changes_spec=False` says a
success leaves the spec as it was (a read, a purge, a one-off publish), so the runtime
neither copies the spec before it nor saves it after. `SandboxRuntime.apply` looks the op
up in `COMMANDS`; the core imports no handler module. The modules that register are
loaded by `sandbox.runtime` (the package), so a runtime from there knows every op of
`sandbox.protocol.ALL_OPS` (a test checks that).

A spec section that a module above the core owns (the narration's `"scenario"`) is
brought back through `on_build`: the module registers a function that the runtime calls
with itself and the saved section each time it is built from a spec holding it.

    @command("queue.purge", changes_spec=False)
    def queue_purge(rt, f): ...

Leaves out ops answered by more than one handler: a second registration is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

Handler = Callable[[Any, Any], dict[str, Any]]  # (runtime, Fields) -> answer


class Command(NamedTuple):
    handler: Handler
    changes_spec: bool


#: op -> its handler and whether a success changes the spec
COMMANDS: dict[str, Command] = {}

#: spec key -> what brings that section back when the runtime is built from a spec
RESTORERS: dict[str, Callable[[Any, Any], None]] = {}


def command(op: str, *, changes_spec: bool = True) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `op`."""

    def register(handler: Handler) -> Handler:
        if op in COMMANDS:
            raise ValueError(f"{op!r} has a handler already: {COMMANDS[op].handler.__qualname__}")
        COMMANDS[op] = Command(handler, changes_spec)
        return handler

    return register


def on_build(section: str) -> Callable[[Callable[[Any, Any], None]], Callable[[Any, Any], None]]:
    """Register the decorated function as what restores the spec's `section` on a build."""

    def register(restore: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        if section in RESTORERS:
            raise ValueError(f"the spec's {section!r} has a restorer already")
        RESTORERS[section] = restore
        return restore

    return register
