"""Push delivery: prefetch, round robin, consumer priority, acks, crashes and requeues."""

import pytest

from brokers.errors import ValidationError


def fill(rig, queue="q", n=3):
    rig.broker.queue_declare(queue)
    return [rig.broker.basic_publish("", queue, f"m{i}") for i in range(n)]


@pytest.mark.parametrize(("prefetch", "delivered"), [(1, 1), (2, 2), (0, 5)])
def test_prefetch_caps_unacked_deliveries(rig, prefetch, delivered):
    """A manual consumer holds at most prefetch_count unacked messages (0 = no limit)."""
    fill(rig, n=5)
    rig.broker.basic_consume("q", "c", prefetch_count=prefetch, behaviour="manual")
    rig.run()
    assert len(rig.delivered()) == delivered


def test_acking_gives_credit_back(rig):
    """An ack frees a prefetch slot and the next message is pushed."""
    ids = fill(rig)
    rig.broker.basic_consume("q", "c", prefetch_count=1, behaviour="manual")
    rig.run()
    rig.broker.basic_ack("c", 1)
    rig.run()
    assert rig.delivered() == ids[:2]


def test_consumers_take_turns_round_robin(rig):
    """Messages alternate between consumers with credit."""
    rig.broker.queue_declare("q")
    for tag in ("a", "b"):
        rig.broker.basic_consume("q", tag, prefetch_count=10, behaviour="manual")
    ids = [rig.broker.basic_publish("", "q", str(i)) for i in range(4)]
    rig.run()
    assert rig.delivered("a") == [ids[0], ids[2]] and rig.delivered("b") == [ids[1], ids[3]]


def test_higher_priority_consumers_get_messages_first(rig):
    """x-priority consumers are served before lower ones while they have credit."""
    rig.broker.queue_declare("q")
    rig.broker.basic_consume("q", "low", prefetch_count=10, behaviour="manual")
    rig.broker.basic_consume(
        "q", "high", prefetch_count=2, behaviour="manual", arguments={"x-priority": 5}
    )
    ids = [rig.broker.basic_publish("", "q", str(i)) for i in range(3)]
    rig.run()
    assert rig.delivered("high") == ids[:2] and rig.delivered("low") == ids[2:]


def test_a_crashed_consumers_unacked_come_back_redelivered_in_place(rig):
    """Crash requeues unacked messages at their original position with redelivered=True."""
    ids = fill(rig, n=3)
    rig.broker.basic_consume("q", "c", prefetch_count=2, behaviour="manual")
    rig.run()
    rig.broker.crash_consumer("c")
    assert [e.position for e in rig.events("requeued")] == [0, 1]
    rig.broker.basic_consume("q", "d", prefetch_count=10, behaviour="manual")
    rig.run()
    second = [e for e in rig.events("delivered") if e.consumer_tag == "d"]
    assert [e.msg for e in second] == ids
    assert [e.redelivered for e in second] == [True, True, False]


def test_a_nacked_message_goes_back_to_its_original_position(rig):
    """nack with requeue puts a classic queue message back where it was, not at the tail."""
    ids = fill(rig, n=3)
    rig.broker.basic_consume("q", "c", prefetch_count=1, behaviour="manual")
    rig.run()
    rig.broker.basic_nack("c", 1, requeue=True)
    rig.run()
    assert rig.events("requeued")[-1].position == 0
    assert rig.delivered() == [ids[0], ids[0]]


def test_multiple_ack_settles_every_tag_up_to_the_given_one(rig):
    """basic_ack(multiple=True) acks all unacked deliveries up to the tag."""
    fill(rig, n=3)
    rig.broker.basic_consume("q", "c", prefetch_count=3, behaviour="manual")
    rig.run()
    rig.broker.basic_ack("c", 2, multiple=True)
    assert [e.delivery_tag for e in rig.events("acked")] == [1, 2]
    assert rig.broker.describe()["queues"][0]["unacked"] == 1


def test_an_unknown_delivery_tag_is_refused_and_changes_nothing(rig):
    """Acking a tag that is not outstanding is PRECONDITION_FAILED; nothing changes."""
    fill(rig, n=1)
    rig.broker.basic_consume("q", "c", prefetch_count=1, behaviour="manual")
    rig.run()
    before = rig.broker.describe()
    with pytest.raises(ValidationError, match="unknown delivery tag"):
        rig.broker.basic_ack("c", 7)
    assert rig.broker.describe() == before


def test_an_auto_ack_consumer_that_crashes_loses_what_it_was_processing(rig):
    """Auto-ack messages are gone from the queue on delivery; a crash loses them."""
    ids = fill(rig, n=3)
    rig.broker.basic_consume("q", "c", auto_ack=True, processing_time=1.0)
    rig.run(until=1.5)
    rig.broker.crash_consumer("c")
    assert [e.msg for e in rig.events("lost")] == ids[1:]
    assert rig.broker.describe()["queues"][0]["ready"] == 0


def test_auto_behaviour_processes_one_message_after_another(rig):
    """Simulated processing is serial: acks come processing_time apart."""
    fill(rig, n=3)
    rig.broker.basic_consume("q", "c", prefetch_count=3, processing_time=2.0)
    rig.run()
    assert [e.t for e in rig.events("acked")] == [2.0, 4.0, 6.0]


def test_failure_rate_nacks_and_requeues(rig):
    """With failure_rate 1 every delivery is nacked and requeued."""
    fill(rig, n=1)
    rig.broker.basic_consume("q", "c", prefetch_count=1, failure_rate=1.0, processing_time=1)
    rig.run(until=3.5)
    assert len(rig.events("nacked")) == 3 and len(rig.events("requeued")) == 3


def test_cancel_requeues_and_restart_resumes(rig):
    """basic_cancel returns unacked messages; restart_consumer consumes again."""
    fill(rig, n=2)
    rig.broker.basic_consume("q", "c", prefetch_count=1, behaviour="manual")
    rig.run()
    rig.broker.basic_cancel("c")
    assert rig.broker.describe()["queues"][0]["ready"] == 2
    rig.broker.restart_consumer("c")
    rig.run()
    assert rig.events("delivered")[-1].redelivered is True
    assert rig.events("delivered")[-1].delivery_tag == 1


def test_each_push_delivery_is_its_own_clock_step(rig):
    """Step mode shows deliveries one by one."""
    fill(rig, n=3)
    rig.broker.basic_consume("q", "c", prefetch_count=10, behaviour="manual")
    steps = 0
    while rig.clock.step():
        steps += 1
    assert steps == 3 and len(rig.delivered()) == 3


def test_basic_get_pulls_one_message_and_reports_the_rest(rig):
    """basic_get returns the head and how many remain; None on an empty queue."""
    fill(rig, n=2)
    got = rig.broker.basic_get("q")
    assert (got.body, got.message_count, got.delivery_tag) == (b"m0", 1, 1)
    rig.broker.basic_reject("get", got.delivery_tag, requeue=True)
    again = rig.broker.basic_get("q", auto_ack=True)
    assert again.body == b"m0" and again.redelivered is True
    rig.broker.basic_get("q", auto_ack=True)
    assert rig.broker.basic_get("q") is None


def test_each_push_delivery_says_why_that_consumer_got_it(rig):
    """Delivered.reason names round robin, skipped consumers without credit and prefetch."""
    rig.broker.queue_declare("q")
    rig.broker.basic_consume("q", "a", prefetch_count=1, behaviour="manual")
    rig.broker.basic_consume("q", "b", prefetch_count=5, behaviour="manual")
    fill(rig, n=3)
    rig.run()
    reasons = [(e.consumer_tag, e.reason) for e in rig.events("delivered")]
    skipped = "round robin: next of 1 consumer(s) with credit, 1 without credit skipped"
    assert reasons == [
        ("a", "round robin: next of 2 consumer(s) with credit; prefetch credit 1/1"),
        ("b", f"{skipped}; prefetch credit 5/5"),
        ("b", f"{skipped}; prefetch credit 4/5"),
    ]


def test_a_priority_delivery_names_the_consumer_priority(rig):
    """A delivery won by x-priority says so."""
    rig.broker.queue_declare("q")
    rig.broker.basic_consume("q", "low", prefetch_count=5, behaviour="manual")
    rig.broker.basic_consume("q", "high", behaviour="manual", arguments={"x-priority": 3})
    fill(rig, n=1)
    rig.run()
    assert rig.events("delivered")[0].reason == (
        "highest x-priority (3) with credit; no prefetch limit"
    )


def test_nack_multiple_requeues_every_tag_up_to_the_given_one_in_place(rig):
    """basic_nack(multiple=True, requeue=True) returns all covered messages, in order."""
    ids = fill(rig, n=4)
    rig.broker.basic_consume("q", "c", prefetch_count=3, behaviour="manual")
    rig.run()
    rig.broker.basic_nack("c", 2, multiple=True, requeue=True)
    assert [e.delivery_tag for e in rig.events("nacked")] == [1, 2]
    rig.broker.basic_cancel("c")  # the queue takes the nacked ones back before the cancel
    assert [e.msg for e in rig.events("requeued")] == ids[:3]
    assert [got.decode() for got in rig.bodies("q")] == ["m0", "m1", "m2", "m3"]


def test_nack_multiple_without_requeue_drops_every_covered_message(rig):
    """basic_nack(multiple=True, requeue=False) settles all covered tags as rejected."""
    fill(rig, n=3)
    rig.broker.basic_consume("q", "c", prefetch_count=3, behaviour="manual")
    rig.run()
    rig.broker.basic_nack("c", 3, multiple=True, requeue=False)
    assert len(rig.events("dropped")) == 3
    assert rig.broker.describe()["queues"][0]["unacked"] == 0


@pytest.mark.parametrize("stop", ["basic_cancel", "crash_consumer"])
def test_a_stopped_consumers_tag_can_be_used_again(rig, stop):
    """A cancelled or crashed consumer's tag is free again; a running one's is not (530)."""
    rig.broker.queue_declare("q")
    rig.broker.basic_consume("q", consumer_tag="w", prefetch_count=3)
    with pytest.raises(ValidationError, match="reuse consumer tag"):
        rig.broker.basic_consume("q", consumer_tag="w")
    getattr(rig.broker, stop)("w")
    rig.broker.basic_consume("q", consumer_tag="w", prefetch_count=10)
    (consumer,) = [c for c in rig.broker.describe()["consumers"] if c["tag"] == "w"]
    assert consumer["prefetch"] == 10 and consumer["state"] == "active"


def test_an_ack_at_once_after_a_nack_is_served_before_the_requeue(rig):
    """nack(requeue) of one delivery then at once ack of another (prefetch 2): the queue
    handles the ack first and sends the next ready message, then the requeued one
    (RabbitMQ's queue process prioritises acks; checked on RabbitMQ 3.10)."""
    ids = fill(rig, n=4)
    rig.broker.basic_consume("q", "c", prefetch_count=2, behaviour="manual")
    rig.run()
    rig.broker.basic_nack("c", 1, requeue=True)
    rig.broker.basic_ack("c", 2)
    rig.run()
    assert rig.delivered() == [ids[0], ids[1], ids[2], ids[0]]
    assert [e.redelivered for e in rig.events("delivered")] == [False, False, False, True]


def test_a_nack_alone_holds_its_credit_until_the_message_is_back(rig):
    """A nack with requeue and nothing else: the requeued message is the next delivery."""
    ids = fill(rig, n=4)
    rig.broker.basic_consume("q", "c", prefetch_count=2, behaviour="manual")
    rig.run()
    rig.broker.basic_nack("c", 1, requeue=True)
    rig.run()
    rig.broker.basic_ack("c", 2)
    rig.run()
    assert rig.delivered() == [ids[0], ids[1], ids[0], ids[2]]


def test_every_delivery_the_acks_allow_goes_before_the_requeue(rig):
    """Two acks and a nack at once (prefetch 3): both freed slots are filled first."""
    ids = fill(rig, n=6)
    rig.broker.basic_consume("q", "c", prefetch_count=3, behaviour="manual")
    rig.run()
    rig.broker.basic_nack("c", 1, requeue=True)
    rig.broker.basic_ack("c", 2)
    rig.broker.basic_ack("c", 3)
    rig.run()
    assert rig.delivered()[3:] == [ids[3], ids[4], ids[0]]


def test_a_get_right_after_a_nack_sees_the_message_back(rig):
    """basic.get after a nack on a get channel: the requeue reached the queue first."""
    ids = fill(rig, n=2)
    got = rig.broker.basic_get("q")
    rig.broker.basic_nack("get", got.delivery_tag, requeue=True)
    assert rig.broker.describe()["queues"][0]["ready"] == 2
    again = rig.broker.basic_get("q", auto_ack=True)
    assert (again.msg, again.redelivered) == (ids[0], True)


@pytest.mark.parametrize("qtype", ["classic", "quorum"])
def test_a_consumer_found_without_credit_rejoins_the_rotation_at_the_back(rig, qtype):
    """c0 (prefetch 1) is full when m2 comes and leaves the rotation; c1 arrives; c0's nack
    puts it back behind c1, so c1 gets the requeued message (checked on RabbitMQ 3.10)."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-queue-type": qtype})
    b.basic_consume("q", "c0", prefetch_count=1, behaviour="manual")
    m1 = b.basic_publish("", "q", "1")
    rig.run()
    m2 = b.basic_publish("", "q", "2")
    rig.run()
    b.basic_consume("q", "c1", prefetch_count=2, behaviour="manual")
    rig.run()
    b.basic_nack("c0", 1, requeue=True)
    rig.run()
    seen = [(e.consumer_tag, e.msg) for e in rig.events("delivered")]
    assert seen == [("c0", m1), ("c1", m2), ("c1", m1)]


@pytest.mark.parametrize(("qtype", "third"), [("classic", "a"), ("quorum", "b")])
def test_who_is_next_after_a_consumer_used_up_its_credit(rig, qtype, third):
    """A classic queue only takes a consumer out of the rotation when a delivery finds it
    without credit; a quorum queue as soon as its credit runs out (checked)."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-queue-type": qtype})
    b.basic_consume("q", "a", prefetch_count=1, behaviour="manual")
    b.basic_consume("q", "b", prefetch_count=5, behaviour="manual")
    for body in ("1", "2"):
        b.basic_publish("", "q", body)
        rig.run()
    b.basic_ack("a", 1)
    rig.run()
    b.basic_publish("", "q", "3")
    rig.run()
    assert [e.consumer_tag for e in rig.events("delivered")] == ["a", "b", third]


def test_a_refused_get_closes_its_channel_and_what_it_held_goes_back(rig):
    """basic.get on a missing queue is a channel error: the getter's unacked deliveries are
    requeued and its next channel counts delivery tags from 1 (as on RabbitMQ)."""
    ids = fill(rig, n=2)
    first = rig.broker.basic_get("q")
    with pytest.raises(Exception, match="NOT_FOUND"):
        rig.broker.basic_get("missing")
    assert [e.msg for e in rig.events("requeued")] == [first.msg]
    again = rig.broker.basic_get("q")
    assert (again.msg, again.redelivered, again.delivery_tag) == (ids[0], True, 1)


@pytest.mark.parametrize(("qtype", "second"), [("classic", "c0"), ("quorum", "c1")])
def test_a_sole_consumer_whose_credit_ran_out_and_who_joined_since(rig, qtype, second):
    """c0 alone (prefetch 1) takes m1, c1 joins, c0 acks, m2 comes: a classic queue never
    tried c0 without credit, so c0 keeps its turn; a quorum queue took c0 out of its
    rotation when its credit ran out, and the ack put it behind c1 (checked on 3.10)."""
    b = rig.broker
    b.queue_declare("q", arguments={"x-queue-type": qtype})
    b.basic_consume("q", "c0", prefetch_count=1, behaviour="manual")
    b.basic_publish("", "q", "1")
    rig.run()
    b.basic_consume("q", "c1", prefetch_count=3, behaviour="manual")
    rig.run()
    b.basic_ack("c0", 1)
    rig.run()
    b.basic_publish("", "q", "2")
    rig.run()
    assert [e.consumer_tag for e in rig.events("delivered")] == ["c0", second]
