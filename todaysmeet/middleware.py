"""Keep /api/ answers JSON even when Django itself produces the error, and a database outage a 503."""

from __future__ import annotations

import logging

from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext, gettext_lazy

from todaysmeet.errors import database_unavailable_response, error_response, is_database_outage
from todaysmeet.metrics import DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)

# Exceptions Django itself turns into 400/403/404 answers; they are not our bugs.
CLIENT_ERRORS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)

_STATUS_CODES = {
    400: "invalid",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    500: "internal_error",
}


# What Django's own 4xx answers say, for people: its reason phrases are English.
_STATUS_MESSAGES = {
    400: gettext_lazy("The request is not valid."),
    403: gettext_lazy("That is not allowed."),
    404: gettext_lazy("Not found."),
    405: gettext_lazy("That method is not allowed here."),
    413: gettext_lazy("The request body is too large."),
}


def _api_error(status: int, message: str) -> HttpResponse:
    return error_response(_STATUS_CODES.get(status, "error"), message, status)


class ApiErrorMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_api = request.path.startswith("/api/")
        if (
            is_api
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return _api_error(
                response.status_code, str(_STATUS_MESSAGES.get(response.status_code, response.reason_phrase))
            )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_outage(exception):
            # Not a bug, and the same for every request until it is back:
            # one line each, no traceback, and an answer the client can retry.
            DATABASE_UNAVAILABLE.inc()
            logger.warning("database unavailable: %s", (str(exception).strip() or repr(exception)).splitlines()[0])
            if request.path.startswith("/api/"):
                return database_unavailable_response()
            response = HttpResponse(
                gettext("The service is briefly unavailable. Try again in a moment.") + "\n",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = "2"
            return response
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, RequestDataTooBig):
            return _api_error(413, str(_STATUS_MESSAGES[413]))
        if isinstance(exception, CLIENT_ERRORS):
            # Django answers these with a 4xx, which __call__ then renders as JSON.
            return None
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return _api_error(500, gettext("Something went wrong on our side. Try again."))
