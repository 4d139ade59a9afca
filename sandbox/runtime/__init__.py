"""The sandbox runtime: a backend, its spec and its clock speed, driven by protocol commands.

Pure Python (no Django, no channel layer): `playground.live.host` owns one `SandboxRuntime`
per live sandbox and wires it to the channel layer and the database. See `core` for the
runtime, `spec` for the spec's shape, `templates` for key and payload placeholders.
"""

from sandbox.runtime.core import Caps, SandboxRuntime
from sandbox.runtime.spec import empty_spec

__all__ = ["Caps", "SandboxRuntime", "empty_spec"]
