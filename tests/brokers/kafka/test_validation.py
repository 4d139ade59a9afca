"""Invalid commands raise clear errors from brokers.errors and change nothing."""

import pytest

from brokers.errors import BrokerError, NotFound, ValidationError


def setup(sim):
    sim.kafka.create_topic("t", 2)
    sim.kafka.add_producer("p", acks=1, enable_idempotence=False)
    sim.kafka.add_member("g", ["t"], member="m1")
    sim.run(1)


BAD = [
    ("create_topic", ("bad name!",), {}, ValidationError),
    ("create_topic", ("t",), {}, ValidationError),
    ("create_topic", ("x", 0), {}, ValidationError),
    ("create_topic", ("x", 65), {}, ValidationError),
    ("create_topic", ("x", 1, 1, {"retention.ms": "soon"}), {}, ValidationError),
    ("create_topic", ("x", 1, 1, {"no.such.config": 1}), {}, ValidationError),
    ("create_topic", ("x", 1, 1, {"min.insync.replicas": 2}), {}, ValidationError),
    ("delete_topic", ("nope",), {}, NotFound),
    ("create_partitions", ("t", 2), {}, ValidationError),
    ("create_partitions", ("t", 65), {}, ValidationError),
    ("alter_topic_configs", ("t", {"cleanup.policy": "shred"}), {}, ValidationError),
    ("add_producer", ("p",), {}, ValidationError),
    ("add_producer", ("q",), {"acks": 2}, ValidationError),
    ("add_producer", ("q",), {"acks": 1}, ValidationError),  # idempotence needs acks=all
    ("send", ("nope", "v"), {}, NotFound),
    ("send", ("t", "v"), {"partition": 2}, ValidationError),
    ("send", ("t", 5), {}, ValidationError),
    ("send", ("t", "v"), {"producer": "ghost"}, NotFound),
    ("send", ("t", "v"), {"headers": [("h", 3)]}, ValidationError),
    ("add_member", ("g", ["nope"]), {}, NotFound),
    ("add_member", ("g", ["t"]), {"member": "m1"}, ValidationError),
    ("add_member", ("g", ["t"]), {"partition_assignment_strategy": "sticky"}, ValidationError),
    ("add_member", ("g", ["t"]), {"partition_assignment_strategy": "roundrobin"}, ValidationError),
    ("add_member", ("g", ["t"]), {"auto_offset_reset": "smallest"}, ValidationError),
    ("add_member", ("g", ["t"]), {"max_poll_records": 0}, ValidationError),
    ("leave_member", ("ghost",), {}, NotFound),
    ("crash_member", ("ghost",), {}, NotFound),
    ("poll", ("m1",), {}, ValidationError),
    ("reset_offsets", ("g2", "t", "offset"), {}, ValidationError),
    ("reset_offsets", ("g2", "t", "yesterday"), {}, ValidationError),
    ("commit", ("m1", {("t", 9): 1}), {}, ValidationError),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "error"), BAD)
def test_a_bad_command_raises_and_changes_nothing(sim, method, args, kwargs, error):
    """Each invalid command raises its error with a message and leaves state as it was."""
    setup(sim)
    before, events = sim.kafka.describe(), len(sim.log.events)
    with pytest.raises(error) as raised:
        getattr(sim.kafka, method)(*args, **kwargs)
    assert isinstance(raised.value, BrokerError) and raised.value.message
    assert sim.kafka.describe() == before
    assert len(sim.log.events) == events


def test_a_cluster_has_one_to_five_brokers(make_sim):
    """Zero or six brokers is refused."""
    for count in (0, 6):
        with pytest.raises(ValidationError):
            make_sim(brokers=count)
