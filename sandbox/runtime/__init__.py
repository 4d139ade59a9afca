"""The sandbox runtime: a backend, its spec and its clock speed, driven by protocol commands.

Pure Python (no Django, no channel layer): `playground.live.host` owns one `SandboxRuntime`
per live sandbox and wires it to the channel layer and the database. See `core` for the
runtime, `commands` for the command table, `spec` for the spec's shape, `placeholders`
for key and payload placeholders.

This package is the assembled runtime: importing it (or anything in it) loads every
module that registers commands, the scenario commands of `sandbox.scenarios.commands`
among them, so a `SandboxRuntime` knows every op of `sandbox.protocol`. Modules inside
`sandbox/` import the parts (`sandbox.runtime.core`), never this assembly, which keeps
the import graph free of cycles.
"""

import sandbox.runtime.ops.amqp  # noqa: F401 - each registers its commands
import sandbox.runtime.ops.control  # noqa: F401
import sandbox.runtime.ops.inspector  # noqa: F401
import sandbox.runtime.ops.kafka  # noqa: F401
import sandbox.runtime.ops.producers  # noqa: F401
import sandbox.scenarios.commands  # noqa: F401
from sandbox.runtime.core import Caps, SandboxRuntime
from sandbox.runtime.spec import empty_spec

__all__ = ["Caps", "SandboxRuntime", "empty_spec"]
