"""File formats a sandbox reads and writes: `sandbox_json` (the whole sandbox) and
`definitions` (RabbitMQ's definitions.json)."""
