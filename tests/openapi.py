"""Every answer the test suite gets from the API, checked against GET /api/openapi.json's document.

So a field added to a payload without its TypedDict, a status an operation
does not declare, or an error code the document doesn't list fails the test
that produced it, wherever it is.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
from django.urls import Resolver404, resolve

from rooms.api.schema import openapi_document


@cache
def _validator(path: str, method: str, status: str) -> Any:
    document = openapi_document()
    answer = document["paths"][path][method]["responses"][status]
    schema = answer.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    return jsonschema_rs.validator_for({**schema, "components": document["components"]})


def _operation_path(url: str) -> str | None:
    """The document's path for a request URL (/api/rooms/bio → /api/rooms/{name}), None for no operation."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return None
    route = match.route
    if not route.startswith("api/"):
        return None
    for name in match.kwargs:
        for converter in ("str", "int"):
            route = route.replace(f"<{converter}:{name}>", f"{{{name}}}")
    return "/" + route


def check_answer(method: str, url: str, status: int, body: Any, content_type: str) -> None:
    path = _operation_path(url)
    document = openapi_document()
    if path is None or method.lower() not in document["paths"].get(path, {}):
        # Not an operation (an unknown path or method): the error shape is still checked.
        if status >= 400 and content_type.startswith("application/json"):
            _validator("/api/openapi.json", "get", "401").validate(body)
        return
    responses = document["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}, which the OpenAPI document doesn't declare"
    validator = _validator(path, method.lower(), str(status))
    if validator is not None and content_type.startswith("application/json"):
        errors = [f"{error.instance_path}: {error.message}" for error in validator.iter_errors(body)]
        assert not errors, f"{method} {path} {status} does not match the OpenAPI document: {errors}"
