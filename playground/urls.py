"""URL routes. Every /s/<id>/ URL answers 404 to anyone but the sandbox's owner."""

from django.urls import include, path

from playground import views, views_backend

urlpatterns = [
    path("", views.index, name="index"),
    path("sandbox/new/", views.sandbox_new, name="sandbox_new"),
    path("s/<str:sandbox_id>/", views.sandbox_page, name="sandbox"),
    path("s/<str:sandbox_id>/diagram/", views.diagram, name="diagram"),
    path("", include("playground.urls_seeing")),  # inspector, compare, files, code
    path("", include("playground.urls_class")),  # gallery, narration, share, watch, fork
    path("s/<str:sandbox_id>/reset/", views.sandbox_reset, name="sandbox_reset"),
    path("s/<str:sandbox_id>/delete/", views.sandbox_delete, name="sandbox_delete"),
    path("s/<str:sandbox_id>/backend/", views_backend.backend_switch, name="backend_switch"),
    path("s/<str:sandbox_id>/node/", views.node, name="node"),
    path("s/<str:sandbox_id>/action/", views.action, name="action"),
    path("s/<str:sandbox_id>/speed/", views.speed, name="speed"),
    path("s/<str:sandbox_id>/group-reset/", views.group_reset, name="group_reset"),
    path("s/<str:sandbox_id>/<slug:kind>/", views.entity, name="entity"),
    path("s/<str:sandbox_id>/<slug:kind>/delete/", views.entity_delete, name="entity_delete"),
]
