"""URL routes, by area. Every /s/<id>/ URL answers 404 to anyone but the sandbox's owner;
a /w/<token>/ URL answers whoever holds the sandbox's current watch link.

Order matters once: `s/<id>/<kind>/` (an entity's form) comes last, so it never hides a
fixed path such as `s/<id>/share/`.
"""

from django.urls import path

from playground.web.views import backend, classroom, compare, entities, files, inspector, sandbox

S = "s/<str:sandbox_id>/"
W = "w/<str:token>/"

sandbox_page = [
    path("", sandbox.index, name="index"),
    path("sandbox/new/", sandbox.sandbox_new, name="sandbox_new"),
    path(S, sandbox.sandbox_page, name="sandbox"),
    path(S + "diagram/", sandbox.diagram, name="diagram"),
]

seeing_why = [  # the inspector, the compare page, files and code
    path(S + "inspect/<str:msg>/", inspector.inspect_message, name="inspect_message"),
    path(S + "search/", inspector.search, name="message_search"),
    path(S + "messages/", inspector.node_messages, name="node_messages"),
    path(S + "compare/", compare.compare_page, name="compare"),
    path(S + "compare/load/", compare.compare_load, name="compare_load"),
    path(S + "code/", files.code, name="sandbox_code"),
    path(S + "export/sandbox.json", files.export_sandbox, name="export_sandbox"),
    path(S + "export/definitions.json", files.export_definitions, name="export_definitions"),
    path(S + "import/sandbox/", files.import_sandbox, name="import_sandbox"),
    path(S + "import/definitions/", files.import_definitions, name="import_definitions"),
]

classroom_and_talk = [  # gallery, narration, sharing, lock, watch, fork
    path("scenario/<slug:slug>/start/", classroom.scenario_start, name="scenario_start"),
    path(S + "scenario/<slug:op>/", classroom.scenario_op, name="scenario_op"),
    path(S + "share/", classroom.share_panel, name="share_panel"),
    path(S + "share/link/", classroom.share_link, name="share_link"),
    path(S + "share/revoke/", classroom.revoke_link, name="revoke_link"),
    path(S + "lock/", classroom.lock, name="lock"),
    path(W, classroom.watch_page, name="watch"),
    path(W + "diagram/", classroom.watch_diagram, name="watch_diagram"),
    path(W + "fork/", classroom.fork, name="fork"),
]

editing = [  # the topology and the clock; the entity catch-all last
    path(S + "reset/", sandbox.sandbox_reset, name="sandbox_reset"),
    path(S + "delete/", sandbox.sandbox_delete, name="sandbox_delete"),
    path(S + "backend/", backend.backend_switch, name="backend_switch"),
    path(S + "node/", entities.node, name="node"),
    path(S + "action/", sandbox.action, name="action"),
    path(S + "speed/", sandbox.speed, name="speed"),
    path(S + "group-reset/", entities.group_reset, name="group_reset"),
    path(S + "<slug:kind>/", entities.entity, name="entity"),
    path(S + "<slug:kind>/delete/", entities.entity_delete, name="entity_delete"),
]

urlpatterns = sandbox_page + seeing_why + classroom_and_talk + editing
