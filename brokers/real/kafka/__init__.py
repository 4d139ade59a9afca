"""Kafka over kafka-python: `adapter.KafkaAdapter` implements `KafkaApi` on a real cluster.

`adapter` holds the admin connection, polled offsets and lag, and shutdown; the
operations live by job in `topics`, `producers` and `groups`; `member` is one group
member (a `KafkaConsumer` on its own thread) and `join_fix` works around a kafka-python
join that finishes between two polls. Nothing is imported here, so importing the package
does not load kafka-python.
"""
