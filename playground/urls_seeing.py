"""Routes for seeing why: the inspector, the compare page, files and code (owner-only)."""

from django.urls import path

from playground import views_compare, views_files, views_inspect

S = "s/<str:sandbox_id>/"

urlpatterns = [
    path(S + "inspect/<str:msg>/", views_inspect.inspect_message, name="inspect_message"),
    path(S + "search/", views_inspect.search, name="message_search"),
    path(S + "messages/", views_inspect.node_messages, name="node_messages"),
    path(S + "compare/", views_compare.compare_page, name="compare"),
    path(S + "compare/load/", views_compare.compare_load, name="compare_load"),
    path(S + "code/", views_files.code, name="sandbox_code"),
    path(S + "export/sandbox.json", views_files.export_sandbox, name="export_sandbox"),
    path(S + "export/definitions.json", views_files.export_definitions, name="export_definitions"),
    path(S + "import/sandbox/", views_files.import_sandbox, name="import_sandbox"),
    path(S + "import/definitions/", views_files.import_definitions, name="import_definitions"),
]
