"""The view shortcuts: htmx-aware redirects, the flash partial, the redraw event."""

from __future__ import annotations

from django.test import RequestFactory

from playground.web.shortcuts import CHANGED, changed, flash, go


def request(htmx: bool):
    req = RequestFactory().post("/", **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
    req.htmx = htmx  # what django_htmx's middleware sets
    return req


def test_go_is_a_302_for_a_plain_request_and_a_client_redirect_for_htmx():
    plain, htmx = go(request(False), "/s/x/"), go(request(True), "/s/x/")
    assert (plain.status_code, plain["Location"]) == (302, "/s/x/")
    assert (htmx.status_code, htmx["HX-Redirect"]) == (200, "/s/x/")


def test_flash_shows_an_error_before_a_message_and_nothing_when_both_are_empty():
    assert 'role="alert">No.<' in flash(request(True), error="No.", message="Yes.").text
    assert "Yes." in flash(request(True), message="Yes.").text
    assert flash(request(True)).text.strip() == ""


def test_flash_escapes_what_it_shows():
    assert "&lt;b&gt;" in flash(request(True), error="<b>").text


def test_changed_tells_the_page_to_redraw_the_diagram():
    response = changed(flash(request(True), message="ok"))
    assert CHANGED in response["HX-Trigger"]
