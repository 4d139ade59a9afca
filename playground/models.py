"""What a sandbox keeps between requests: its owner, seed, spec and sharing state."""

from __future__ import annotations

import secrets

from django.db import models


def new_sandbox_id() -> str:
    """An unguessable, URL-safe sandbox id."""
    return secrets.token_urlsafe(9)


class Sandbox(models.Model):
    """One visitor's isolated playground; `spec` is its declarative topology."""

    id = models.CharField(primary_key=True, max_length=32, default=new_sandbox_id)
    owner = models.CharField(max_length=64, db_index=True)
    seed = models.BigIntegerField(default=1)
    backend = models.CharField(max_length=16, default="sim")
    spec = models.JSONField(default=dict)
    watch_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    locked = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return f"sandbox {self.id}"
