"""Replication: leader, ISR, high watermark vs log end, acks and min.insync.replicas, elections."""

import pytest

from brokers.errors import NotFound, ValidationError


def test_the_high_watermark_waits_for_followers_while_the_log_end_moves_at_once(sim):
    """HW < LEO until every ISR follower fetched; consumers read only below the HW."""
    sim.kafka.create_topic("t", 1, 3)
    sim.kafka.send("t", "v", partition=0)
    p = sim.partition("t", 0)
    assert (p.log.log_end, p.hw) == (1, 0)
    assert p.describe()["follower_lag"] == {str(r): 1 for r in p.replicas[1:]}
    sim.run(0.01)
    assert (p.log.log_end, p.hw) == (1, 1)
    assert p.describe()["follower_lag"] == {str(r): 0 for r in p.replicas[1:]}


@pytest.mark.parametrize(
    ("acks", "acked_at"),
    [(1, 0.0), ("all", 0.01)],
)
def test_acks_1_answers_on_the_leader_write_and_acks_all_after_the_isr(make_sim, acks, acked_at):
    """acks=1 is acknowledged at append; acks=all once the HW passes the record."""
    sim = make_sim()
    sim.kafka.create_topic("t", 1, 3)
    sim.kafka.add_producer("p", acks=acks, enable_idempotence=False)
    sim.kafka.send("t", "v", producer="p")
    sim.run(1)
    assert [e.t for e in sim.events("produce_acked")] == [acked_at]


def test_acks_0_is_never_acknowledged(sim):
    """acks=0: written, but no acknowledgement event."""
    sim.kafka.create_topic("t", 1)
    sim.kafka.add_producer("p", acks=0, enable_idempotence=False)
    sim.kafka.send("t", "v", producer="p")
    sim.run(1)
    assert len(sim.events("appended")) == 1 and sim.events("produce_acked") == []


def test_stopping_the_leader_moves_leadership_to_an_isr_follower_and_shrinks_the_isr(sim):
    """Clean election: the first live ISR replica in assignment order leads."""
    sim.kafka.create_topic("t", 1, 3)
    p = sim.partition("t", 0)
    leader, nxt = p.replicas[0], p.replicas[1]
    sim.kafka.stop_broker(leader)
    assert p.leader == nxt and leader not in p.isr
    changed = sim.events("leader_changed")[-1]
    assert (changed.previous, changed.leader) == (leader, nxt)
    assert "clean election" in changed.reason


def test_acks_all_fails_with_not_enough_replicas_below_min_insync(sim):
    """acks=all with ISR < min.insync.replicas: NOT_ENOUGH_REPLICAS, nothing written."""
    sim.kafka.create_topic("t", 1, 3, {"min.insync.replicas": 2})
    sim.kafka.add_producer("p", retries=0)
    p = sim.partition("t", 0)
    for broker in p.replicas[1:]:
        sim.kafka.stop_broker(broker)
    sim.kafka.send("t", "v", producer="p")
    sim.run(1)
    failed = sim.events("produce_failed")
    assert [(e.error, e.retrying) for e in failed] == [("NOT_ENOUGH_REPLICAS", False)]
    assert p.log.log_end == 0


def test_acks_1_still_writes_below_min_insync(sim):
    """min.insync.replicas only applies to acks=all."""
    sim.kafka.create_topic("t", 1, 3, {"min.insync.replicas": 2})
    sim.kafka.add_producer("p", acks=1, enable_idempotence=False)
    for broker in sim.partition("t", 0).replicas[1:]:
        sim.kafka.stop_broker(broker)
    sim.kafka.send("t", "v", producer="p")
    sim.run(1)
    assert len(sim.events("produce_acked")) == 1


def test_a_producer_retries_until_the_isr_grows_back(sim):
    """NOT_ENOUGH_REPLICAS is retriable: the write succeeds once a broker returns."""
    sim.kafka.create_topic("t", 1, 2, {"min.insync.replicas": 2})
    follower = sim.partition("t", 0).replicas[1]
    sim.kafka.stop_broker(follower)
    sim.kafka.send("t", "v")
    sim.run(0.15)
    sim.kafka.start_broker(follower)
    sim.run(1)
    assert [e.retrying for e in sim.events("produce_failed")][:1] == [True]
    assert len(sim.events("produce_acked")) == 1
    assert sim.events("isr_changed")[-1].reason == f"broker {follower} caught up"


def test_a_restarted_broker_catches_up_and_rejoins_the_isr(sim):
    """A returning follower fetches what it missed, then rejoins the ISR."""
    sim.kafka.create_topic("t", 1, 3)
    p = sim.partition("t", 0)
    follower = p.replicas[2]
    sim.kafka.stop_broker(follower)
    for _ in range(5):
        sim.kafka.send("t", "v", partition=0)
    sim.run(1)
    assert follower not in p.isr and p.leo[follower] == 0
    sim.kafka.start_broker(follower)
    sim.run(1)
    assert follower in p.isr and p.leo[follower] == 5


def test_with_no_live_isr_replica_the_partition_goes_offline(sim):
    """Clean election only: no live ISR replica means no leader."""
    sim.kafka.create_topic("t", 1, 2)
    p = sim.partition("t", 0)
    a, b = p.replicas
    sim.kafka.stop_broker(b)
    sim.kafka.stop_broker(a)
    assert p.leader is None and p.isr == [a]
    sim.kafka.start_broker(b)
    assert p.leader is None
    sim.kafka.start_broker(a)
    assert p.leader == a


def test_unclean_election_picks_an_out_of_sync_replica_and_loses_its_missing_records(sim):
    """unclean.leader.election.enable: an out-of-sync replica leads; records it lacked are gone."""
    sim.kafka.create_topic("t", 1, 2, {"unclean.leader.election.enable": "true"})
    sim.kafka.add_producer("p", acks=1, enable_idempotence=False)
    p = sim.partition("t", 0)
    a, b = p.replicas
    sim.kafka.stop_broker(b)
    for _ in range(3):
        sim.kafka.send("t", "v", producer="p")
    sim.run(1)
    sim.kafka.stop_broker(a)
    sim.kafka.start_broker(b)
    assert p.leader == b and p.isr == [b]
    changed = sim.events("leader_changed")[-1]
    assert "UNCLEAN" in changed.reason and changed.lost_offsets == [0, 1, 2]
    assert p.log.log_end == 0 and p.hw == 0


def test_acks_1_records_not_yet_replicated_are_lost_when_the_leader_dies(sim):
    """acks=1 acknowledges before followers have the record; a failover truncates it."""
    sim.kafka.create_topic("t", 1, 3)
    sim.kafka.add_producer("p", acks=1, enable_idempotence=False)
    p = sim.partition("t", 0)
    msg = sim.kafka.send("t", "v", producer="p")
    assert sim.events("produce_acked")[0].msgs == [msg]
    sim.kafka.stop_broker(p.replicas[0])
    assert p.log.log_end == 0
    assert sim.events("leader_changed")[-1].lost_offsets == [0]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda k: k.stop_broker(9), NotFound),
        (lambda k: k.start_broker(1), ValidationError),
        (lambda k: k.create_topic("x", 1, 4), ValidationError),
    ],
)
def test_bad_broker_commands_raise(sim, call, error):
    """Unknown brokers, starting a live broker, RF above the broker count: errors."""
    with pytest.raises(error):
        call(sim.kafka)
