"""Producers: placement reasons, batching with linger, headers and timestamps, idempotence."""

import pytest


def test_keyed_records_say_which_hash_placed_them(sim):
    """Appended.reasons shows the murmur2 arithmetic for keyed records."""
    sim.kafka.create_topic("t", 3)
    sim.kafka.send("t", "v", key="21")
    appended = sim.events("appended")[0]
    assert appended.partition == 0
    assert appended.reasons == ["toPositive(murmur2(key='21'))=1173551340 % 3 = 0"]


@pytest.mark.parametrize(
    ("strategy", "words"), [("sticky", "sticky partition"), ("round_robin", "round robin")]
)
def test_null_keys_name_their_strategy(sim, strategy, words):
    """Null-key placement says whether it was sticky or round robin."""
    sim.kafka.create_topic("t", 3)
    sim.kafka.add_producer("p", null_key_strategy=strategy)
    sim.kafka.send("t", "v", producer="p")
    assert words in sim.events("appended")[0].reasons[0]


def test_linger_batches_records_into_one_append(sim):
    """With linger_ms, records sent together are appended as one batch when it expires."""
    sim.kafka.create_topic("t", 1)
    sim.kafka.add_producer("p", linger_ms=50)
    msgs = [sim.kafka.send("t", f"v{i}", producer="p") for i in range(4)]
    assert sim.events("appended") == []
    sim.run(0.05)
    appended = sim.events("appended")
    assert [(e.t, e.msgs) for e in appended] == [(0.05, msgs)]


def test_headers_and_timestamps_reach_the_consumer(sim):
    """Headers and an explicit timestamp are stored with the record."""
    sim.kafka.create_topic("t", 1)
    m = sim.kafka.add_member("g", ["t"], behaviour="manual", auto_offset_reset="earliest")
    sim.kafka.send("t", b"v", key=b"k", headers=[("trace", b"1")], timestamp_ms=1234)
    sim.run(1)
    (record,) = sim.kafka.poll(m)
    assert (record["headers"], record["timestamp"], record["key"]) == (
        [("trace", b"1")],
        1234,
        b"k",
    )


@pytest.mark.parametrize(("idempotent", "copies"), [(True, 1), (False, 2)])
def test_a_retried_batch_after_a_lost_ack_is_written_twice_only_without_idempotence(
    sim, idempotent, copies
):
    """Lost ack -> timeout -> retry: the idempotent producer's retry is deduplicated."""
    sim.kafka.create_topic("t", 1)
    sim.kafka.add_producer("p", enable_idempotence=idempotent, request_timeout_ms=1000)
    sim.kafka.lose_next_acks("p", 1)
    msg = sim.kafka.send("t", "v", producer="p")
    sim.run(5)
    stored = [r.msg for r in sim.partition("t", 0).log.active.records]
    assert stored == [msg] * copies
    assert len(sim.events("deduplicated")) == (1 if idempotent else 0)
    assert [e.error for e in sim.events("produce_failed")] == ["REQUEST_TIMED_OUT"]
    assert len(sim.events("produce_acked")) == 1


def test_records_to_one_partition_stay_in_send_order_across_retries(sim):
    """One batch in flight per partition: a retried batch is not overtaken."""
    sim.kafka.create_topic("t", 1)
    sim.kafka.add_producer("p", request_timeout_ms=1000)
    sim.kafka.lose_next_acks("p", 1)
    msgs = [sim.kafka.send("t", f"v{i}", producer="p") for i in range(3)]
    sim.run(5)
    assert [r.msg for r in sim.partition("t", 0).log.active.records] == msgs


def test_message_ids_are_k_and_a_counter_in_send_order(sim):
    """Message ids are k1, k2, ... across topics and producers."""
    sim.kafka.create_topic("a", 1)
    sim.kafka.create_topic("b", 1)
    assert [sim.kafka.send("a", "x"), sim.kafka.send("b", "y"), sim.kafka.send("a", "z")] == [
        "k1",
        "k2",
        "k3",
    ]


def test_an_explicit_partition_wins_over_the_key_hash(sim):
    """send(partition=p) places the record on p whatever its key hashes to."""
    sim.kafka.create_topic("t", 3)
    sim.kafka.send("t", "v", key="21", partition=2)
    appended = sim.events("appended")[0]
    assert (appended.partition, appended.reasons) == (2, ["explicit partition 2"])
