"""The sandbox core, between the web app and the engine: no Django here.

`protocol` (the commands and their limits), `runtime/` (one sandbox's state machine over a
`brokers.backend.Backend`), `frames` (what viewers are sent), `scenarios/` (the gallery's
scripted stories), `compare/` (the compare page's presets and geometry), `files/` (sandbox
JSON and RabbitMQ definitions), `layout` (the diagram's geometry), `editing` (an edit as
commands), `fairshare` (how the runtime host divides a tick). `playground/` imports this
package; this package imports `brokers/` and never `playground/` or Django.
"""
