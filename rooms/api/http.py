"""The JSON edge: parse a request, resolve who sent it, render errors as JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeAlias

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from rooms.access import SESSION_PARTICIPANTS_KEY, Actor, actor_for_session, actor_for_token
from rooms.models import Participant
from todaysmeet.errors import (
    Forbidden,
    Invalid,
    ServiceError,
    TooLarge,
    Unauthenticated,
    UnsupportedMediaType,
    error_response,
    error_response_from,
)
from todaysmeet.logs import log_context_update
from todaysmeet.metrics import room_action_recorder
from todaysmeet.origins import is_trusted_origin, normalized_origin, request_own_origin

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HTTP_METHODS = SAFE_METHODS | {"POST", "PUT", "PATCH", "DELETE"}
FLAG_VALUES = {"1": True, "true": True, "0": False, "false": False}
# Plain ASCII decimal: int() alone would also take " 7", "1_000" and "٣", and
# raise ValueError on thousands of digits.
INTEGER_PATTERN = re.compile(r"-?[0-9]{1,30}")

# A view of one action: the request, who sent it, and the URL's arguments.
ApiView: TypeAlias = Callable[..., HttpResponse]


def json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise TooLarge(gettext("The request body is too large.")) from None
    if len(raw) > settings.API_MAX_BODY_BYTES:
        raise TooLarge(gettext("The request body is too large."))
    if not raw:
        return {}
    try:
        data = json.loads(raw)
        # A "\ud800" escape decodes to a lone surrogate, which neither the
        # database nor the password hasher can encode: refuse it at the edge.
        json.dumps(data, ensure_ascii=False).encode()
    except (ValueError, RecursionError):
        # ValueError covers bad syntax and bad UTF-8; RecursionError, nesting
        # deeper than the parser will follow.
        raise Invalid(gettext("The request body is not valid JSON."), code="invalid_json") from None
    if not isinstance(data, dict):
        raise Invalid(gettext("The request body must be a JSON object."), code="invalid_json")
    return data


def query_int(request: HttpRequest, name: str, *, minimum: int, maximum: int | None = None) -> int | None:
    raw = request.GET.get(name)
    if raw is None:
        return None
    if not INTEGER_PATTERN.fullmatch(raw):
        raise Invalid(gettext("%(name)s must be an integer.") % {"name": name}, field=name)
    value = int(raw)
    if value < minimum or (maximum is not None and value > maximum):
        if maximum is None:
            message = gettext("%(name)s must be at least %(minimum)s.") % {"name": name, "minimum": minimum}
        else:
            message = gettext("%(name)s must be %(minimum)s–%(maximum)s.") % {
                "name": name,
                "minimum": minimum,
                "maximum": maximum,
            }
        raise Invalid(message, field=name)
    return value


def query_flag(request: HttpRequest, name: str) -> bool:
    raw = request.GET.get(name)
    if raw is None:
        return False
    if raw.lower() not in FLAG_VALUES:
        raise Invalid(gettext("%(name)s must be 1 or 0.") % {"name": name}, field=name)
    return FLAG_VALUES[raw.lower()]


def query_optional_flag(request: HttpRequest, name: str) -> bool | None:
    """A flag that filters when given: None when it is absent."""
    return query_flag(request, name) if request.GET.get(name) is not None else None


def query_choice(
    request: HttpRequest, name: str, choices: tuple[str, ...], *, default: str | None = None
) -> str | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise Invalid(
            gettext("%(name)s must be one of: %(choices)s.") % {"name": name, "choices": ", ".join(choices)}, field=name
        )
    return raw


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(gettext("Use 'Authorization: Bearer <token>'."), code="invalid_token")
    return token.strip()


def request_actor(request: HttpRequest) -> Actor:
    token = bearer_token(request)
    if token is not None:
        actor = actor_for_token(token)
        if actor is None:
            raise Unauthenticated(gettext("That token is not valid."), code="invalid_token")
        return actor
    return actor_for_session(user=request.user, session=request.session)


def remember_participant(request: HttpRequest, participant: Participant) -> None:
    remembered = dict(request.session.get(SESSION_PARTICIPANTS_KEY, {}))
    remembered[str(participant.room_id)] = participant.pk
    request.session[SESSION_PARTICIPANTS_KEY] = remembered


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    return CsrfViewMiddleware(lambda _: HttpResponse()).process_view(request, None, (), {})


def _has_body(request: HttpRequest) -> bool:
    return int(request.META.get("CONTENT_LENGTH") or 0) > 0 or "HTTP_TRANSFER_ENCODING" in request.META


def _check_write(request: HttpRequest) -> None:
    """Refuse a write whose body isn't JSON, or that a page on another site made a browser send.

    No HTML form can send application/json, so a browser sends such a body
    only from a script, and a cross-site script only after a CORS preflight
    that we never grant. A write without a body needs no Content-Type.

    A browser marks every cross-site write with its page's Origin (or at
    least a Referer); it is checked even without a session cookie, because a
    write such as join *sets* one: a forged join would sign the visitor out.
    Bearer clients carry no ambient credentials, so there is nothing to forge.
    A cookie write must also pass the CSRF token check Django's middleware makes.
    """
    if _has_body(request) and request.content_type != "application/json":
        raise UnsupportedMediaType(gettext("Send the body as JSON, with Content-Type: application/json."))
    if "Authorization" in request.headers:
        return
    page = request.headers.get("Origin") or normalized_origin(request.headers.get("Referer", ""))
    if page is not None and not is_trusted_origin(page, own=request_own_origin(request)):
        raise Forbidden(gettext("This request came from a page on another site."), code="csrf_failed")
    if settings.SESSION_COOKIE_NAME in request.COOKIES and _csrf_failure(request) is not None:
        raise Forbidden(gettext("CSRF check failed. Reload the page and try again."), code="csrf_failed")


def api_endpoint(**views: ApiView) -> Callable[..., HttpResponse]:
    """One URL's Django view: one view function per method, as in api_endpoint(GET=…, POST=…).

    Answers 405 (with Allow) for any other method, then checks writes (see
    _check_write), authenticates, calls the method's view with the actor,
    and renders every ServiceError as JSON.
    """
    unknown = set(views) - HTTP_METHODS
    if unknown:
        raise ValueError(f"not HTTP methods: {', '.join(sorted(unknown))}")
    allow = ", ".join(sorted(views))
    recorders = {method: room_action_recorder(view) for method, view in views.items()}

    @csrf_exempt
    def endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        view = views.get(request.method)
        if view is None:
            response = error_response(
                "method_not_allowed", gettext("%(method)s is not allowed here.") % {"method": request.method}, 405
            )
            response["Allow"] = allow
            return response
        try:
            return recorders[request.method](lambda: _authenticated_call(view, request, args, kwargs))
        except ServiceError as exception:
            return error_response_from(exception)

    # What the OpenAPI document checks itself against (rooms/api/schema.py).
    endpoint.views = views  # type: ignore[attr-defined]
    return endpoint


def _authenticated_call(view: ApiView, request: HttpRequest, args: tuple, kwargs: dict) -> HttpResponse:
    if request.method not in SAFE_METHODS:
        _check_write(request)
    actor = request_actor(request)
    log_context_update(actor_kind=actor.kind)
    return view(request, actor, *args, **kwargs)
