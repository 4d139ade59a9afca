"""What a sandbox runtime costs in memory, estimated from what it holds.

Measured with tracemalloc on the simulator (bench numbers in the README's Settings
notes): a classic queue holding 10,000 one-byte messages took ~470 B a message, a
partition ~240 B a record, a history entry (the event and its body preview) 440-690 B,
and bodies their own length. The estimate rounds these up: it is what the caps compare
(BP_SANDBOX_MEMORY_MB per sandbox, BP_MEMORY_MB for all of a host's runtimes). It counts
Python's heap; a process's RSS runs about 1.5 times the sum. Leaves out the topology
itself (at most BP_MAX_ENTITIES entities, a few KB each).
"""

from __future__ import annotations

BASE_BYTES = 256 * 1024
EVENT_BYTES = 700
MESSAGE_BYTES = 500
MB = 2**20


def estimate(messages: int, body_bytes: int, history: int) -> int:
    """Estimated bytes of a runtime retaining `messages` (with `body_bytes` of bodies) and
    keeping `history` events."""
    return BASE_BYTES + history * EVENT_BYTES + messages * MESSAGE_BYTES + body_bytes
