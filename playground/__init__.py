"""Broker Playground's Django project and app: settings, views, WebSocket, runtime."""
