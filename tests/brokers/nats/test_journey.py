"""The inspector follows a NATS message from publish to removal, and finds it by subject."""

from __future__ import annotations

from brokers.journey import journey, search


def test_a_workqueue_message_s_journey_reads_from_publish_to_removal(rig):
    rig.nats.add_stream("Q", ["q.*"], retention="workqueue")
    rig.nats.add_consumer("Q", durable_name="w")
    rig.nats.consume("Q", "w", worker="w1")
    msg = rig.nats.js_publish("q.job", "x")
    rig.run(1)
    j = journey(rig.log.events, msg)
    assert j.broker == "nats"
    assert [s.kind for s in j.steps] == [
        "nats_published",
        "js_stored",
        "js_pub_acked",
        "js_delivered",
        "js_acked",
        "js_removed",
    ]
    assert j.steps[1].where == "js:Q" and j.steps[3].where == "jc:Q:w"
    assert j.summary["removed"]["cause"] == "ack" and j.summary["acked_by"] == ["w"]
    assert "'q.*' matches 'q.job'" in j.steps[1].text


def test_a_dropped_core_message_says_why_and_is_found_by_subject(rig):
    msg = rig.nats.publish("nobody.listens", "x")
    j = journey(rig.log.events, msg)
    assert j.summary["removed"]["cause"] == "dropped"
    assert "at-most-once" in j.steps[-1].text
    assert search(rig.log.events, "nobody") == [msg]
