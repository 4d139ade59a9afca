"""The message inspector's views: one message's journey, search, and a node's messages.

Each answers an htmx GET with a partial for the inspector drawer
(`partials/inspector_*.html`); every text the runtime returns is escaped there. Only
the sandbox's owner gets an answer; anyone else gets 404, as everywhere under /s/<id>/.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from playground.models import Sandbox
from playground.web import page_state
from playground.web.shortcuts import owned
from sandbox.runtime.ops.inspector import TAPE_CELLS

MAX_QUERY = 200
MAX_NODE = 600
KIND_CLASS = {  # step kind -> how its badge reads: good, bad, warn or plain
    "acked": "good",
    "produce_acked": "good",
    "committed": "good",
    "processed": "good",
    "unroutable": "bad",
    "returned": "bad",
    "dead_lettered": "bad",
    "expired": "bad",
    "dropped": "bad",
    "lost": "bad",
    "produce_failed": "bad",
    "retention_deleted": "bad",
    "compacted": "bad",
    "leader_changed": "bad",
    "nacked": "warn",
    "rejected": "warn",
    "requeued": "warn",
    "offset_reset": "warn",
    "ack_lost": "warn",
}


class SearchForm(forms.Form):
    q = forms.CharField(max_length=MAX_QUERY, required=False, strip=True)


class NodeForm(forms.Form):
    node = forms.CharField(max_length=MAX_NODE)
    cell = forms.IntegerField(required=False, min_value=0, max_value=TAPE_CELLS - 1)


def journey_context(answer: dict[str, Any]) -> dict[str, Any]:
    """What partials/inspector_journey.html draws from a `message.journey` answer."""
    journey = answer.get("journey") or {}
    steps = [
        {**s, "tone": KIND_CLASS.get(s["kind"], "plain"), "label": s["kind"].replace("_", " ")}
        for s in journey.get("steps", [])
    ]
    headers = answer.get("headers") or {}
    return {
        "journey": journey,
        "steps": steps,
        "summary": journey.get("summary") or {},
        "body": answer.get("body"),
        "headers": sorted(headers.items()),
    }


def _journey(request: HttpRequest, sandbox: Sandbox, msg: str) -> HttpResponse:
    answer = page_state.run(sandbox, {"op": "message.journey", "msg": msg})
    context = {"sandbox": sandbox, "msg": msg, "error": answer.get("error", "")}
    if answer.get("ok"):
        context.update(journey_context(answer))
    return render(request, "partials/inspector_journey.html", context)


@require_GET
@owned
def inspect_message(request: HttpRequest, sandbox: Sandbox, msg: str) -> HttpResponse:
    """One message's journey, step by step, with the reasons."""
    return _journey(request, sandbox, msg[:MAX_QUERY])


@require_GET
@owned
def search(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Messages whose id, routing key, record key or payload contains `q`."""
    form = SearchForm(request.GET)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    context: dict[str, Any] = {"sandbox": sandbox, "title": f"Search: {q}", "items": []}
    if not q:
        context["note"] = "Type a message id (m7, k3), a routing or record key, or payload text."
        return render(request, "partials/inspector_list.html", context)
    answer = page_state.run(sandbox, {"op": "message.search", "text": q})
    context["items"] = [{"msg": m} for m in answer.get("msgs") or []]
    context["error"] = answer.get("error", "")
    context["note"] = "" if context["items"] else "No message in the recent history matches."
    return render(request, "partials/inspector_list.html", context)


@require_GET
@owned
def node_messages(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """The messages one diagram node saw lately; a tape cell opens its record's journey."""
    form = NodeForm(request.GET)
    if not form.is_valid():
        context = {"sandbox": sandbox, "error": "Pick a queue, consumer, partition or member."}
        return render(request, "partials/inspector_list.html", context)
    node, cell = form.cleaned_data["node"], form.cleaned_data["cell"]
    command: dict[str, Any] = {"op": "message.recent", "node": node}
    if cell is not None:
        command["cell"] = cell
    answer = page_state.run(sandbox, command)
    if cell is not None and answer.get("msg"):
        return _journey(request, sandbox, answer["msg"])
    kind, _, name = node.partition(":")
    context = {
        "sandbox": sandbox,
        "title": _title(kind, name),
        "items": (answer.get("items") or [])[::-1],  # newest first
        "error": answer.get("error", ""),
        "note": _empty_note(kind, answer, cell),
    }
    return render(request, "partials/inspector_list.html", context)


def _title(kind: str, name: str) -> str:
    what = {
        "q": "Queue",
        "c": "Consumer",
        "tp": "Partition",
        "m": "Member",
        "x": "Exchange",
        "p": "Producer",
    }.get(kind, "Node")
    return f"{what} {name or '(default)'}"


def _empty_note(kind: str, answer: dict[str, Any], cell: int | None) -> str:
    if cell is not None and "offset" in answer:
        return f"Offset {answer['offset']} holds no record from the recent history."
    if answer.get("items"):
        return {
            "q": "Ready and unacked messages (or the last ones it held), newest first.",
            "tp": "Records by offset, newest first.",
            "c": "Its recent deliveries, newest first.",
            "m": "Records it fetched and processed, newest first.",
        }.get(kind, "Newest first.")
    return "No messages here in the recent history."
