"""The OpenAPI 3.1 document of the API, served at GET /api/openapi.json.

One entry in OPERATIONS per URL name and method under /api/
(rooms/api/urls.py, accounts/api_urls.py, billing/urls.py): what it takes
and what it answers. Shapes are the TypedDicts of rooms/payloads.py (and the
envelopes and bodies below), turned into JSON Schema by
rooms/api/json_schema.py, so they are written once.

Adding an endpoint: add its `path(...)` to its app's API URL conf, then its entry
here with the same URL name and method. rooms/tests/test_openapi.py fails
until both exist, and every answer the test suite gets from the API is
checked against this document (conftest.py's ApiClient).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, NotRequired, TypedDict

from accounts.payloads import MePayload
from billing.payloads import InvoicePayload, PlanPayload
from rooms.api.json_schema import Components
from rooms.payloads import (
    DeletedMessagePayload,
    EventPayload,
    InvitationPayload,
    MessageForModeratorsPayload,
    MessageModeratorPayload,
    MessagePayload,
    ModeratorInvitationPayload,
    ParticipantModeratorPayload,
    ParticipantPayload,
    ReportPayload,
    RoomModeratorPayload,
    RoomPayload,
    TranscriptRow,
)
from streaming import close_codes

# Every error code a client can get, by status: mirrors docs/api.md's table.
ERROR_CODES: dict[str, int] = {
    "invalid": 400,
    "invalid_json": 400,
    "name_reserved": 400,
    "nickname_reserved": 400,
    "text_too_long": 400,
    "conflicting_cursors": 400,
    "unauthenticated": 401,
    "invalid_token": 401,
    "invalid_credentials": 401,
    "plan_required": 402,
    "card_declined": 402,
    "teacher_only": 403,
    "not_participant": 403,
    "not_moderator": 403,
    "not_owner": 403,
    "room_closed": 403,
    "room_paused": 403,
    "muted": 403,
    "password_required": 403,
    "wrong_password": 403,
    "csrf_failed": 403,
    "removed": 403,
    "joining_locked": 403,
    "email_unverified": 403,
    "forbidden": 403,
    "room_not_found": 404,
    "message_not_found": 404,
    "participant_not_found": 404,
    "report_not_found": 404,
    "invitation_not_found": 404,
    "not_found": 404,
    "billing_disabled": 404,
    "no_subscription": 404,
    "method_not_allowed": 405,
    "name_taken": 409,
    "nickname_taken": 409,
    "already_subscribed": 409,
    "already_verified": 409,
    "email_undeliverable": 409,
    "already_reported": 409,
    "already_moderator": 409,
    "message_held": 409,
    "message_rejected": 409,
    "message_published": 409,
    "reset": 409,
    "request_timeout": 408,
    "too_large": 413,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "slow_mode": 429,
    "too_many_attempts": 429,
    "internal_error": 500,
    "billing_unavailable": 503,
    "database_unavailable": 503,
    "overloaded": 503,
}


# --- Envelopes: what the API wraps its payloads in ------------------------------------
class LockedRoom(TypedDict):
    name: str
    is_private: Literal[True]


class ErrorDetail(TypedDict):
    code: str
    message: str
    field: NotRequired[str]
    retry_after: NotRequired[int]
    seq: NotRequired[int]
    room: NotRequired[LockedRoom]
    # plan_required: the tool, and where the owner upgrades.
    tool: NotRequired[str]
    upgrade_url: NotRequired[str]
    # card_declined: Stripe's reason, when it gives one.
    decline_code: NotRequired[str]
    # nickname_taken: a nickname like the one asked for that is free.
    suggestion: NotRequired[str]


class Error(TypedDict):
    """Every error, whatever the status."""

    error: ErrorDetail


class TeacherEmail(TypedDict):
    email: str


class SignUpAnswer(TypedDict):
    """The same for a new address and a known one: the email says which it was."""

    email: str


class TokenIssued(TypedDict):
    token: str


class RoomList(TypedDict):
    rooms: list[RoomModeratorPayload]


class Joined(TypedDict):
    token: str
    participant: ParticipantPayload


class MessageRead(MessagePayload):
    """A message as one reader gets it over HTTP: with whether they upvoted it (frames never carry that)."""

    upvoted: bool


class MessageReadByModerator(MessageForModeratorsPayload):
    upvoted: bool


class MessageEvidenceRead(MessageModeratorPayload):
    upvoted: bool


class MessagePage(TypedDict):
    messages: list[MessageRead | MessageReadByModerator | MessageEvidenceRead | DeletedMessagePayload]
    has_more: bool
    seq: int
    # The room's pinned message, wherever it is in the history.
    pinned: MessageRead | MessageReadByModerator | None


class MessageAnswer(TypedDict):
    message: MessageRead | MessageReadByModerator | DeletedMessagePayload
    status: Literal["published", "held", "rejected"]


class MessageOnlyAnswer(TypedDict):
    message: MessageRead | MessageReadByModerator | DeletedMessagePayload


class VoteAnswer(TypedDict):
    message_id: int
    upvotes: int
    upvoted: bool


class ReportAnswer(TypedDict):
    report: ReportPayload


class ReportList(TypedDict):
    reports: list[ReportPayload]


class EventPage(TypedDict):
    events: list[EventPayload]
    seq: int
    has_more: bool


class ModeratorList(TypedDict):
    moderators: list[TeacherEmail]
    invitations: list[ModeratorInvitationPayload]


class InvitationSent(TypedDict):
    invitation: ModeratorInvitationPayload


class InvitationList(TypedDict):
    invitations: list[InvitationPayload]


class InvitationAccepted(TypedDict):
    room: RoomModeratorPayload


class ParticipantList(TypedDict):
    participants: list[ParticipantModeratorPayload]


class ParticipantAnswer(TypedDict):
    participant: ParticipantModeratorPayload


class Transcript(TypedDict):
    room: str
    # The IANA zone of every time in it.
    time_zone: str
    messages: list[TranscriptRow]


class PlanAnswer(TypedDict):
    plan: PlanPayload


class InvoiceList(TypedDict):
    invoices: list[InvoicePayload]


class SetupIntentCreated(TypedDict):
    client_secret: str


# --- Request bodies -------------------------------------------------------------------
class Credentials(TypedDict):
    email: str
    password: str


class RoomCreateBody(TypedDict):
    name: str
    topic: NotRequired[str | None]
    lifetime: NotRequired[Literal["2h", "1d", "1w", "1mo", "1y"]]


class RoomChangesBody(TypedDict, total=False):
    topic: str | None
    paused: bool
    closed: bool
    slow_mode_seconds: int
    password: str | None
    review: bool
    word_filter: Literal["off", "hold", "mask"]
    blocked_words: list[str]
    anonymous: bool
    joining_locked: bool


class MessageChangesBody(TypedDict, total=False):
    pinned: bool
    answered: bool


class JoinBody(TypedDict):
    nickname: str
    password: NotRequired[str]


class PostBody(TypedDict):
    text: str
    client_id: NotRequired[str]


class ReportBody(TypedDict, total=False):
    reason: str


class ModeratorBody(TypedDict):
    email: str


class MeChangesBody(TypedDict, total=False):
    display_name: str
    newsletter: bool
    # An IANA name, or "" to forget it.
    time_zone: str


class SubscribeBody(TypedDict):
    payment_method: str


class SubscriptionChangeBody(TypedDict):
    cancel_at_period_end: bool


class ResolveBody(TypedDict):
    action: Literal["delete", "dismiss"]


# --- Websocket frames (the appendix) -----------------------------------------------------
class HelloFrame(TypedDict):
    type: Literal["hello"]
    room: RoomPayload
    seq: int


class ResetFrame(TypedDict):
    type: Literal["reset"]
    seq: int


@dataclass(frozen=True)
class Query:
    name: str
    schema: dict[str, Any]
    description: str
    required: bool = False


SINCE = Query("since", {"type": "integer", "minimum": 0}, "Events or messages after this seq.")
LIMIT = Query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Page size.")
INCLUDE_DELETED = Query("include_deleted", {"enum": ["1", "0", "true", "false"]}, "Moderators: deleted ones too.")


@dataclass(frozen=True)
class Operation:
    summary: str
    # Status → the TypedDict of the body (None: no body; a str: a media type that is not JSON).
    answers: dict[int, Any]
    body: type | None = None
    query: tuple[Query, ...] = ()
    # Error statuses beyond those every operation of its kind can give (see _error_statuses).
    errors: frozenset[int] = field(default_factory=frozenset)


# (URL name in rooms/api/urls.py, method) → what it does.
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("teachers", "POST"): Operation(
        "Sign up as a teacher: the emailed link finishes it", {202: SignUpAnswer}, Credentials, errors={429}
    ),
    ("tokens", "POST"): Operation("Sign in: a new teacher token", {200: TokenIssued}, Credentials, errors={429}),
    ("me", "GET"): Operation("The teacher's own account and plan", {200: MePayload}, errors={403}),
    ("me", "PATCH"): Operation(
        "Change the display name, the newsletter choice or the time zone", {200: MePayload}, MeChangesBody, errors={403}
    ),
    ("me-verification-email", "POST"): Operation(
        "Send the email verification link again", {202: None}, errors={403, 409, 429}
    ),
    ("setup-intent", "POST"): Operation(
        "A SetupIntent for the card form (billing on)", {201: SetupIntentCreated}, errors={403, 404, 503}
    ),
    ("subscription", "POST"): Operation(
        "Subscribe to Teacher Tools", {201: PlanAnswer}, SubscribeBody, errors={402, 403, 404, 409, 503}
    ),
    ("subscription", "PATCH"): Operation(
        "Cancel at the period end, or keep the plan", {200: PlanAnswer}, SubscriptionChangeBody, errors={403, 404, 503}
    ),
    ("subscription", "DELETE"): Operation("Cancel at the period end", {200: PlanAnswer}, errors={403, 404, 503}),
    ("invoices", "GET"): Operation("Paid invoices", {200: InvoiceList}, errors={403, 404}),
    ("rooms", "GET"): Operation(
        "The rooms the teacher owns or moderates",
        {200: RoomList},
        query=(
            Query("q", {"type": "string"}, "Part of a room name."),
            Query("state", {"enum": ["open", "closed"]}, "Open or closed rooms only."),
        ),
        errors={400, 403},
    ),
    ("rooms", "POST"): Operation("Create a room", {201: RoomModeratorPayload}, RoomCreateBody, errors={402, 409}),
    ("room", "GET"): Operation("A room", {200: RoomPayload | RoomModeratorPayload}),
    ("room", "PATCH"): Operation("Change a room", {200: RoomModeratorPayload}, RoomChangesBody, errors={402}),
    ("room", "DELETE"): Operation("Delete a room and everything in it", {204: None}),
    ("room-join", "POST"): Operation("Join a room", {200: Joined, 201: Joined}, JoinBody, errors={409, 429}),
    ("room-messages", "GET"): Operation(
        "A page of history",
        {200: MessagePage},
        query=(
            Query("before", {"type": "integer", "minimum": 0}, "Messages before this seq."),
            SINCE,
            LIMIT,
            INCLUDE_DELETED,
            Query("order", {"enum": ["seq", "top"]}, "seq (default), or the most upvoted first."),
            Query("answered", {"enum": ["1", "0", "true", "false"]}, "Only answered (1) or unanswered (0) ones."),
            Query("status", {"enum": ["published", "held"]}, "held: the review queue (a participant: their own)."),
        ),
        errors={400},
    ),
    ("room-messages", "POST"): Operation(
        "Post a message (idempotent with client_id); 202 when it waits for review",
        {200: MessageAnswer, 201: MessageAnswer, 202: MessageAnswer},
        PostBody,
        errors={429},
    ),
    ("room-message", "PATCH"): Operation("Pin or mark answered", {200: MessageOnlyAnswer}, MessageChangesBody),
    ("room-message", "DELETE"): Operation("Delete a message for everyone", {204: None}, errors={409}),
    ("room-message-restore", "POST"): Operation(
        "Undo a delete: the message is back for everyone (not deleted: no change)", {200: MessageOnlyAnswer}
    ),
    ("room-message-upvote", "POST"): Operation("Upvote a message", {200: VoteAnswer}),
    ("room-message-upvote", "DELETE"): Operation("Take an upvote back", {200: VoteAnswer}),
    ("room-message-approve", "POST"): Operation(
        "Publish a held post to everyone", {200: MessageOnlyAnswer}, errors={409}
    ),
    ("room-message-reject", "POST"): Operation("Reject a held post", {200: MessageOnlyAnswer}, errors={409}),
    ("room-message-report", "POST"): Operation(
        "Report a message to the teachers", {200: ReportAnswer, 201: ReportAnswer}, ReportBody, errors={409}
    ),
    ("room-events", "GET"): Operation(
        "The event log after a seq, to fill gaps",
        {200: EventPage},
        query=(Query("since", SINCE.schema, SINCE.description, required=True), LIMIT),
        errors={400, 409},
    ),
    ("room-moderators", "GET"): Operation("The co-moderators", {200: ModeratorList}),
    ("room-moderators", "POST"): Operation(
        "Invite a co-moderator by email", {202: InvitationSent}, ModeratorBody, errors={402, 409}
    ),
    ("invitations", "GET"): Operation("The teacher's invitations to co-moderate", {200: InvitationList}, errors={403}),
    ("invitation-accept", "POST"): Operation(
        "Accept an invitation: co-moderate the room", {200: InvitationAccepted}, errors={403, 404}
    ),
    ("invitation-decline", "POST"): Operation("Decline an invitation", {204: None}, errors={403, 404}),
    ("room-moderator", "DELETE"): Operation("Remove a co-moderator", {204: None}),
    ("room-participants", "GET"): Operation("Who joined", {200: ParticipantList}),
    ("room-participant-mute", "POST"): Operation("Mute a participant", {200: ParticipantAnswer}, errors={402}),
    ("room-participant-unmute", "POST"): Operation("Unmute a participant", {200: ParticipantAnswer}),
    ("room-participant-block", "POST"): Operation(
        "Remove and block a participant: their sockets close, their browser can't come back", {200: ParticipantAnswer}
    ),
    ("room-participant-unblock", "POST"): Operation("Let a removed participant back", {200: ParticipantAnswer}),
    ("room-reports", "GET"): Operation(
        "Open (or all) reports",
        {200: ReportList},
        query=(Query("state", {"enum": ["open", "all"]}, "Open reports (default) or all."),),
        errors={400},
    ),
    ("room-report-resolve", "POST"): Operation(
        "Delete the reported message or dismiss the report", {200: ReportAnswer}, ResolveBody
    ),
    ("room-transcript-csv", "GET"): Operation(
        "The transcript as CSV", {200: "text/csv"}, query=(INCLUDE_DELETED,), errors={400, 402}
    ),
    ("room-transcript-json", "GET"): Operation(
        "The transcript as JSON", {200: Transcript}, query=(INCLUDE_DELETED,), errors={400, 402}
    ),
    ("openapi", "GET"): Operation("This document", {200: dict}),
}

ERROR_DESCRIPTIONS = {
    400: "Bad input; `field` names it.",
    401: "No credentials, or a malformed or unknown token.",
    402: "The room owner's plan doesn't include this tool, or the card was declined.",
    403: "Not allowed (the code says why).",
    404: "No such room, or no such object in it.",
    409: "Conflict (the code says which).",
    413: "The body is too large.",
    415: "The body is not application/json.",
    429: "Too fast; `retry_after` seconds (also in Retry-After).",
    503: (
        "The database (or, for billing, Stripe) is unavailable, or the server is overloaded; "
        "retry after Retry-After seconds."
    ),
}


def _error_statuses(path: str, method: str, operation: Operation) -> set[int]:
    # Any request may carry a malformed token (401), and meet a database outage or overload (503).
    statuses = {401, 503} | set(operation.errors)
    if method != "GET":
        statuses |= {403}  # a cookie write without its CSRF token
    if operation.body is not None:
        statuses |= {400, 413, 415}
    if "{" in path:
        statuses |= {403, 404}  # a private room; no such room or object
    return statuses


def _openapi_path(route: str) -> tuple[str, list[dict[str, Any]]]:
    """/api/rooms/<str:name> → /api/rooms/{name}, with its path parameters."""
    parameters = []
    parts = []
    for part in route.split("/"):
        if part.startswith("<") and part.endswith(">"):
            converter, _, name = part[1:-1].partition(":")
            schema = {"type": "integer", "minimum": 0} if converter == "int" else {"type": "string"}
            parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
            parts.append(f"{{{name}}}")
        else:
            parts.append(part)
    return "/api/" + "/".join(parts), parameters


def _content(components: Components, answer: Any) -> dict[str, Any] | None:
    if answer is None:
        return None
    if isinstance(answer, str):
        return {answer: {"schema": {"type": "string"}}}
    return {"application/json": {"schema": components.schema(answer)}}


def api_routes() -> dict[str, tuple[str, frozenset[str]]]:
    """URL name → (its route under /api/, the methods its api_endpoint serves), from every API URL conf."""
    from django.urls import URLPattern, URLResolver, get_resolver

    routes: dict[str, tuple[str, frozenset[str]]] = {}

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "views"):
                route = prefix + str(pattern.pattern)
                assert pattern.name not in routes, f"two API URLs are named {pattern.name!r}"
                routes[pattern.name] = (route.removeprefix("api/"), frozenset(pattern.callback.views))

    walk(get_resolver().url_patterns, "")
    return routes


@cache
def openapi_document() -> dict[str, Any]:
    components = Components()
    error = components.ref(Error)
    paths: dict[str, dict[str, Any]] = {}
    for name, (route, methods) in api_routes().items():
        path, parameters = _openapi_path(route)
        for method in sorted(methods):
            operation = OPERATIONS[(name, method)]
            responses: dict[str, Any] = {}
            for status, answer in operation.answers.items():
                responses[str(status)] = {"description": "OK" if status < 300 else "Created"}
                content = _content(components, answer)
                if content:
                    responses[str(status)]["content"] = content
            for status in sorted(_error_statuses(path, method, operation)):
                responses[str(status)] = {
                    "description": ERROR_DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": error}},
                }
            entry: dict[str, Any] = {
                "operationId": f"{method.lower()}-{name}",
                "summary": operation.summary,
                "security": [{}, {"bearer": []}],
                "parameters": parameters
                + [
                    {
                        "name": query.name,
                        "in": "query",
                        "required": query.required,
                        "schema": query.schema,
                        "description": query.description,
                    }
                    for query in operation.query
                ],
                "responses": responses,
            }
            if operation.body is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": components.ref(operation.body, closed=False)}},
                }
            paths.setdefault(path, {})[method.lower()] = entry
    components.schemas["Error"]["properties"]["error"] = {"$ref": "#/components/schemas/ErrorDetail"}
    components.schemas["ErrorDetail"]["properties"]["code"] = {"enum": sorted(ERROR_CODES)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "todaysmeet API",
            "version": "1",
            "description": "Real-time classroom chat rooms. See docs/api.md; the websocket is in x-websocket.",
        },
        "paths": paths,
        "components": {
            "schemas": components.schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "x-websocket": _websocket_appendix(components),
    }


def _websocket_appendix(components: Components) -> dict[str, Any]:
    """The live stream, which OpenAPI can't describe: its URL, its frames, its close codes."""
    return {
        "path": "/ws/rooms/{name}/",
        "query": {
            "since": {"type": "integer", "minimum": 0, "description": "Resume after this seq."},
            "token": {"type": "string", "description": "A participant or teacher token, for a private room."},
        },
        "frames": {
            "anyOf": [
                components.schema(HelloFrame),
                components.schema(ResetFrame),
                *components.schema(EventPayload)["anyOf"],
            ]
        },
        "closeCodes": _close_codes(),
    }


def _close_codes() -> dict[str, str]:
    """Code → its names in streaming/close_codes.py (1013 has two: the client does the same for both)."""
    names: dict[str, list[str]] = {}
    for name, value in vars(close_codes).items():
        if name.startswith("CLOSE_") and isinstance(value, int):
            names.setdefault(str(value), []).append(name.removeprefix("CLOSE_").lower())
    return {code: " or ".join(found) for code, found in sorted(names.items())}
