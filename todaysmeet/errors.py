"""Errors that services raise and every edge (API, pages, sockets) renders.

Each carries the HTTP status and the stable machine-readable `code` that
clients switch on; the message is for humans, in the request's language
(gettext when raised: the codes are never translated). `error_response` is the one
JSON rendering of an error, for the API's views and the middleware alike.
"""

from __future__ import annotations

from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext


def error_response(code: str, message: str, status: int, **extra: Any) -> JsonResponse:
    """{"error": {"code", "message", ...extra}}, with Retry-After when `extra` says how long to wait."""
    response = JsonResponse({"error": {"code": code, "message": message, **extra}}, status=status)
    if "retry_after" in extra:
        response["Retry-After"] = str(extra["retry_after"])
    return response


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str | Promise, *, code: str | None = None, **extra: Any) -> None:
        # A lazy message is read now, in the language of the request refused.
        message = str(message)
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extra = extra


class Invalid(ServiceError):
    status = 400
    code = "invalid"


class Unauthenticated(ServiceError):
    status = 401
    code = "unauthenticated"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class TooLarge(ServiceError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str | Promise, *, retry_after: float, code: str | None = None) -> None:
        # Whole seconds, rounded up, so a client that waits exactly this long succeeds.
        seconds = max(1, int(-(-retry_after // 1)))
        super().__init__(message, code=code, retry_after=seconds)
        self.retry_after = seconds


class PaymentRequired(ServiceError):
    status = 402
    code = "payment_required"


class Unavailable(ServiceError):
    """A service we depend on (Stripe) did not answer in time; nothing was changed."""

    status = 503
    code = "unavailable"


class Overloaded(ServiceError):
    """The process is too busy to answer soon; nothing was done, so the request may be sent again."""

    status = 503
    code = "overloaded"

    def __init__(self) -> None:
        super().__init__(gettext("The server is busy. Try again in a moment."), retry_after=1)


def error_response_from(exception: ServiceError) -> JsonResponse:
    return error_response(exception.code, exception.message, exception.status, **exception.extra)


def is_database_outage(exception: BaseException) -> bool:
    """Whether `exception` says the database can't be reached, rather than that a query was wrong.

    PostgreSQL's own refusals (a constraint, a deadlock) carry an SQLSTATE;
    a refused or broken connection, raised by the client library, has none.
    """
    if isinstance(exception, InterfaceError):
        return True
    if not isinstance(exception, OperationalError):
        return False
    return getattr(exception.__cause__, "pgcode", None) is None


def database_unavailable_response() -> JsonResponse:
    return error_response(
        "database_unavailable", gettext("The database is unavailable. Try again in a moment."), 503, retry_after=2
    )
