"""Broker Playground's engine: plain Python, no Django.

`brokers.clock` owns virtual time, `brokers.events` the event vocabulary shared by the
simulator and the real adapters, `brokers.amqp` the RabbitMQ (AMQP 0-9-1) model,
`brokers.kafka` the Kafka log model, and `brokers.sim` ties them to one clock behind
the backend interface in `brokers.backend`.
"""
