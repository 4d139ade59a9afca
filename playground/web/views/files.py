"""The sandbox as files and code: export and import a sandbox file or RabbitMQ
definitions.json, and the Code panel (the topology as pika and kafka-python scripts).

Uploads go through Django forms with a FileField; the size is checked from the upload's
`size` before anything is read, and the content is checked by replaying it on a fresh
runtime (`sandbox.files.sandbox_json`, `sandbox.files.definitions`), so a bad or oversized file
gets a clear message and changes nothing. A good one replaces the sandbox's topology
through the runtime's `sandbox.load`.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from playground.live.host import caps_from_settings
from playground.models import Sandbox
from playground.web import codegen, page_state
from playground.web.shortcuts import changed, owned
from sandbox.files import definitions, sandbox_json
from sandbox.files.sandbox_json import FileRefused

MAX_UPLOAD = sandbox_json.MAX_BYTES


class UploadForm(forms.Form):
    """One JSON file, refused by size before it is read."""

    file = forms.FileField(allow_empty_file=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {MAX_UPLOAD:,} bytes. "
                "Nothing changed."
            )
        return upload


def _download(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@owned
def export_sandbox(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """The sandbox (seed and topology) as a JSON file."""
    return _download(sandbox_json.dumps(sandbox.seed, sandbox.spec), f"sandbox-{sandbox.id}.json")


@require_GET
@owned
def export_definitions(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """The RabbitMQ part as a definitions.json that `rabbitmqctl import_definitions` reads."""
    doc = definitions.export_definitions(sandbox.spec)
    return _download(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "definitions.json")


def _result(request: HttpRequest, context: dict[str, Any], redraw: bool = False) -> HttpResponse:
    response = render(request, "partials/files_result.html", context)
    return changed(response) if redraw else response


def _read(request: HttpRequest) -> bytes:
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [e for field in form.errors.values() for e in field]
        raise FileRefused(" ".join(errors) or "Choose a file to upload.")
    return form.cleaned_data["file"].read()


@require_POST
@owned
def import_sandbox(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Replace the topology and the seed with an uploaded sandbox file."""
    try:
        loaded = sandbox_json.load_sandbox(_read(request), caps_from_settings())
    except FileRefused as exc:
        return _result(request, {"error": exc.message})
    answer = page_state.run(
        sandbox, {"op": "sandbox.load", "spec": loaded.spec, "seed": loaded.seed}
    )
    if not answer.get("ok"):
        return _result(request, {"error": answer.get("error") or "The sandbox refused the file."})
    Sandbox.objects.filter(id=sandbox.id).update(seed=loaded.seed)
    context = {"message": f"Loaded the sandbox file (seed {loaded.seed}).", "seed": loaded.seed}
    return _result(request, context, redraw=True)


@require_POST
@owned
def import_definitions(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """Merge an uploaded RabbitMQ definitions.json into the topology; show the notices."""
    try:
        imported = definitions.import_definitions(
            _read(request), base=sandbox.spec, caps=caps_from_settings()
        )
    except FileRefused as exc:
        return _result(request, {"error": exc.message})
    answer = page_state.run(sandbox, {"op": "sandbox.load", "spec": imported.spec})
    if not answer.get("ok"):
        return _result(request, {"error": answer.get("error") or "The sandbox refused the file."})
    counts = ", ".join(f"{n} {k}" for k, n in imported.counts.items() if n)
    context = {
        "message": f"Imported definitions.json ({counts or 'nothing to add'}).",
        "notices": imported.notices,
    }
    return _result(request, context, redraw=True)


@require_GET
@owned
def code(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    """The Code panel: the topology as runnable pika and kafka-python scripts."""
    scripts = codegen.generate(sandbox.spec)
    return render(request, "partials/code.html", {"sandbox": sandbox, "scripts": scripts})
