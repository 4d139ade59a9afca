"""RabbitMQ over pika: `adapter.RabbitMQAdapter` implements `AmqpApi` on a real broker.

`adapter` holds the connection, names, polled depths and shutdown; the operations live by
job in `topology`, `messages` and `settle`; `consumer` is one pika consumer on its own
thread; `connection` is the one-thread-per-connection pika loop; `publish_window` bounds
publishes awaiting confirms; `management` is the management HTTP API. Nothing is imported
here, so importing the package does not load pika.
"""
