"""How the processes log: plain lines for people, or one JSON object per line for a log pipeline.

Every record carries the request (or websocket) it belongs to, when there is
one: its `request_id`, `room` and `actor_kind` come from a context variable
that todaysmeet/request_log.py and the room consumer set, so a warning deep
in a service can be found with the access line of its request.

Nothing secret reaches a log: bearer tokens and `?token=` values are
redacted from every message, here, whoever logged it.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.json import JsonFormatter

LOG_FORMATS = ("plain", "json")
# The fields a record takes from the request or socket it belongs to.
CONTEXT_FIELDS = ("request_id", "room", "actor_kind")

_context: ContextVar[dict[str, Any] | None] = ContextVar("log_context", default=None)

# `token=<value>` in a query string, and `Bearer <value>` wherever a header was echoed.
_SECRETS = re.compile(r"(?P<key>(?:[?&;]|\b)token=|\bBearer\s+)(?P<secret>[^&\s\"';]+)", re.IGNORECASE)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` with every bearer token and `token=` value replaced."""
    if "oken" not in text and "earer" not in text:
        return text
    return _SECRETS.sub(lambda match: match["key"] + REDACTED, text)


def log_context_start(**fields: Any) -> object:
    """Begin a request's or socket's context; returns what log_context_end needs."""
    return _context.set(dict(fields))


def log_context_update(**fields: Any) -> None:
    """Add what is learnt along the way (the room, who is asking) to the current context."""
    current = _context.get()
    if current is not None:
        current.update(fields)


def log_context_end(token: object) -> None:
    _context.reset(token)  # type: ignore[arg-type]


class ContextFilter(logging.Filter):
    """Stamps every record with the current request's fields, and redacts secrets from its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        for name in CONTEXT_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, context.get(name) if context else None)
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class PlainFormatter(logging.Formatter):
    """The development format, with the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [{request_id}]" if request_id else line


def json_formatter() -> logging.Formatter:
    """LOG_FORMAT=json: time (ISO 8601, UTC), level, logger, message, then the context and extra fields."""
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The LOGGING setting for LOG_FORMAT and LOG_LEVEL."""
    if log_format not in LOG_FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    formatters = {
        "plain": {"()": PlainFormatter, "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": json_formatter},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["context"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django gives its own loggers a console handler of their own in
            # DEBUG, and they also reach the root's: every 4xx came out twice.
            # They go through the root only, like everything else.
            "django": {"handlers": [], "level": level, "propagate": True},
            # Every answer is one access line (todaysmeet/request_log.py);
            # django.request would add a second for each 4xx. Its 5xx
            # records carry the traceback, and stay.
            "django.request": {"level": "ERROR"},
            "django.channels.server": {"level": "WARNING"},
            # stripe-python logs every request and answer at INFO.
            "stripe": {"level": "WARNING"},
        },
    }
