"""Page views. Thin: parse, call one function, render."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from playground.features import FEATURES


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The start page: what the playground is and what the simulator models."""
    return render(request, "index.html", {"features": FEATURES})
