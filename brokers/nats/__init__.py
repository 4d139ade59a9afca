"""The NATS simulator: core NATS subjects and queue groups, and JetStream streams and consumers."""
