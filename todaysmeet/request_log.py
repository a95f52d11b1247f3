"""One access line per answer, under a request id the client can quote back to us.

The id comes from the client's (or the proxy's) `X-Request-ID` when it is a
sensible one, is made up otherwise, and goes back in the answer's
`X-Request-ID`. Every line logged while the request runs carries it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.http import HttpRequest, HttpResponseBase

from todaysmeet.logs import log_context_end, log_context_start, log_context_update, redact
from todaysmeet.metrics import record_http_request

logger = logging.getLogger("todaysmeet.access")

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or a client may name a request: a UUID, a hex string, a
# trace id. Anything else (too long, spaces, quotes) is not echoed into logs.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def request_id_from(header: str | None) -> str:
    if header is not None and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _level(status: int) -> int:
    if status >= 500:
        return logging.ERROR
    if status >= 400:
        return logging.WARNING
    return logging.INFO


class RequestLogMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        context = log_context_start(request_id=request_id, room=None, actor_kind=None)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            match = request.resolver_match
            seconds = time.perf_counter() - started
            record_http_request(
                view=match.view_name if match else None,
                method=request.method,
                status=response.status_code,
                seconds=seconds,
            )
            path = redact(request.get_full_path())
            logger.log(
                _level(response.status_code),
                "%s %s %s",
                request.method,
                path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": path,
                    "view": match.view_name if match else None,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            return response
        finally:
            log_context_end(context)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        # Pages and the API name their room `name` in the URL.
        log_context_update(room=view_kwargs.get("name"))
