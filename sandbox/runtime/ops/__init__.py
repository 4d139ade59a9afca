"""The command handlers, by what they act on: `amqp` (exchanges, queues, bindings,
consumers), `kafka` (topics, groups, members, brokers), `producers` (producers, publish,
send), `control` (time, reset, load, snapshot, the lock), `inspector` (a message's journey,
search, a node's recent messages). Each handler registers itself with `@command`
(`sandbox.runtime.commands`); `sandbox.runtime` loads them all."""
