"""What every API test checks about an error: status, stable code, and the JSON shape."""

from __future__ import annotations


def error_of(response) -> tuple[int, str]:
    """The (status, code) of an error response, after checking it is our JSON error shape."""
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    error = response.body["error"]
    assert isinstance(error["message"], str)
    assert error["message"]
    return response.status, error["code"]
