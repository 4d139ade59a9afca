"""The Kafka half: the API both backends offer, its events, the log and group model."""
