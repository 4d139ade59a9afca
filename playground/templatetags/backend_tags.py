"""`{% backend_switch sandbox %}`: the backend selector in the sandbox page's top bar."""

from __future__ import annotations

from typing import Any

from django import template

from playground.models import Sandbox

register = template.Library()


@register.inclusion_tag("partials/backend_switch.html", takes_context=True)
def backend_switch(context: template.Context, sandbox: Sandbox) -> dict[str, Any]:
    from playground.web.views.backend import selector_context

    return {**selector_context(sandbox), "csrf_token": context.get("csrf_token")}
