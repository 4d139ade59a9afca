"""The RabbitMQ (AMQP 0-9-1) half: the API both backends offer, its events, the model."""
