"""The sandbox's names on a shared nats-server: subjects, streams and internal inboxes.

Subjects get the sandbox prefix as leading tokens (`orders.new` is `bp.3f2a.orders.new`),
so a user's `>` only ever sees the sandbox's own traffic. Stream names may not contain
`.` (nor `* > / \\` or spaces), so a stream's prefix is the sandbox prefix with its dots
turned into underscores (`ORDERS` is `bp_3f2a_ORDERS`); a prefix that already holds an
underscore is refused, which keeps the mapping one to one. Consumers live inside their
stream and keep the user's name. The adapter's own subjects — PubAck replies, request
inboxes, pull-request inboxes — start with `_` + prefix, outside every user pattern.
"""

from __future__ import annotations


class NatsNames:
    """User names to server names and back, for one sandbox prefix."""

    def __init__(self, prefix: str) -> None:
        if not prefix.endswith(".") or "_" in prefix or " " in prefix:
            raise ValueError(
                f"a NATS sandbox prefix ends with '.' and holds no '_' or space, got {prefix!r}"
            )
        self.prefix = prefix
        self.stream_prefix = prefix.replace(".", "_")
        self.internal = "_" + prefix

    def subject(self, user: str) -> str:
        return self.prefix + user

    def user_subject(self, real: str) -> str:
        return real[len(self.prefix) :] if real.startswith(self.prefix) else real

    def stream(self, user: str) -> str:
        return self.stream_prefix + user

    def user_stream(self, real: str) -> str:
        return real[len(self.stream_prefix) :] if real.startswith(self.stream_prefix) else real

    def ours(self, real_stream: str) -> bool:
        return real_stream.startswith(self.stream_prefix)

    def ack_inbox(self, msg: str = "*") -> str:
        """Where a publish's PubAck (or no-responders status) comes back."""
        return f"{self.internal}ack.{msg}"

    def request_inbox(self, msg: str = "*") -> str:
        return f"{self.internal}inbox.{msg}"

    def pull_inbox(self, worker: str) -> str:
        return f"{self.internal}pull.{worker}"

    def scrub(self, text: str) -> str:
        """A server message with our prefixes taken out, for the user to read."""
        return (
            text.replace(self.stream_prefix, "").replace(self.internal, "").replace(self.prefix, "")
        )
