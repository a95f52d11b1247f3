"""Static files for a server with no proxy in front (`make run`, tests)."""

from __future__ import annotations

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404


class StaticFiles(ASGIStaticFilesHandler):
    """Django's handler, with a path that climbs out of the static folders answered 404.

    Django's finders refuse such a path (say /static/..%2fsettings.py) with
    SuspiciousFileOperation, which its handler lets escape as a 500 and an
    ERROR traceback; to the client it is simply not a static file.
    """

    def serve(self, request):
        try:
            return super().serve(request)
        except SuspiciousFileOperation:
            raise Http404("No such file.") from None
