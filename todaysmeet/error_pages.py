"""What people see when a page can't be shown: never Django's technical pages, never a bare "Not Found".

Under /api/ every error stays JSON (ApiErrorMiddleware, and the CSRF
failure below), so clients keep switching on a code.

The 500 page is Django's own handler with our templates/500.html: that
handler renders without a request or context processors, so it needs no
database and no session, which may be what just failed.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from todaysmeet.errors import error_response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent with an old or missing token (a page left open overnight, cookies cleared)."""
    if request.path.startswith("/api/"):
        return error_response("csrf_failed", gettext("CSRF check failed. Reload the page and try again."), 403)
    # Django's reason is for developers; the person only needs to know what to do.
    return render(request, "403_csrf.html", status=403)
