"""WebSocket routes."""

from django.urls import path

from playground.live.consumers import SandboxConsumer

websocket_urlpatterns: list = [
    path("ws/sandbox/<str:sandbox_id>/", SandboxConsumer.as_asgi()),
]
