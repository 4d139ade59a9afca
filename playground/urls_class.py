"""Routes for the classroom and the talk: gallery, narration, sharing, lock, watch, fork."""

from django.urls import path

from playground import views_class

S = "s/<str:sandbox_id>/"
W = "w/<str:token>/"

urlpatterns = [
    path("scenario/<slug:slug>/start/", views_class.scenario_start, name="scenario_start"),
    path(S + "scenario/<slug:op>/", views_class.scenario_op, name="scenario_op"),
    path(S + "share/", views_class.share_panel, name="share_panel"),
    path(S + "share/link/", views_class.share_link, name="share_link"),
    path(S + "share/revoke/", views_class.revoke_link, name="revoke_link"),
    path(S + "lock/", views_class.lock, name="lock"),
    path(W, views_class.watch_page, name="watch"),
    path(W + "diagram/", views_class.watch_diagram, name="watch_diagram"),
    path(W + "fork/", views_class.fork, name="fork"),
]
