"""The command table: handler modules register their ops; the core only reads the table."""

import pytest

import sandbox.runtime  # noqa: F401 - the assembled runtime: every command module loaded
from sandbox import protocol
from sandbox.runtime.commands import COMMANDS, command

#: the ops whose success leaves the spec as it was (reads, purges, one-off publishes)
KEEP_THE_SPEC = {
    "group.reset", "message.journey", "message.recent", "message.search", "message.trace",
    "publish", "queue.purge", "sandbox.lock", "sandbox.snapshot", "scenario.check", "send",
    "time.at",
}  # fmt: skip


def test_every_op_of_the_protocol_has_exactly_one_registered_handler():
    assert sorted(COMMANDS) == sorted(protocol.ALL_OPS)
    assert len(protocol.ALL_OPS) == len(set(protocol.ALL_OPS))


def test_only_reads_purges_resets_and_one_off_publishes_leave_the_spec_alone():
    assert {op for op, c in COMMANDS.items() if not c.changes_spec} == KEEP_THE_SPEC


def test_a_second_handler_for_an_op_is_refused():
    with pytest.raises(ValueError, match="queue.declare"):

        @command("queue.declare")
        def another(rt, f):
            return {}

    assert COMMANDS["queue.declare"].handler.__name__ == "queue_declare"
