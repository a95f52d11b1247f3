"""Which web pages may act on this site, by their exact origin (scheme, host and port).

The rule of Django's CSRF check, used for websockets and for API writes that
carry no bearer token: an origin is trusted if it is the request's own (the
scheme the request arrived with, behind the proxy as SECURE_PROXY_SSL_HEADER
says, and its Host, which must be in ALLOWED_HOSTS), or one of
CSRF_TRUSTED_ORIGINS, to which the settings add PUBLIC_URL's. A trusted origin
may stand for every subdomain with "*.", as Django allows.

A host alone is not enough: a page on http://our-host:9999 or on the plain
http:// twin of an https:// site is another origin, and may be anyone's.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

DEFAULT_PORTS = {"http": "80", "https": "443"}


def normalized_origin(url: str) -> str | None:
    """scheme://host[:port] of an http(s) URL, lowercase and without a default port; None otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is None or str(port) == DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def own_origin(*, scheme: str, host: str) -> str | None:
    """The origin a request for `host` over `scheme` came to; None if the host isn't ours."""
    domain, _ = split_domain_port(host.lower())
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return normalized_origin(f"{scheme}://{host}")


def request_own_origin(request: HttpRequest) -> str | None:
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return normalized_origin(f"{request.scheme}://{host}")


def is_trusted_origin(origin: str, *, own: str | None) -> bool:
    candidate = normalized_origin(origin)
    if candidate is None:
        return False
    if candidate == own:
        return True
    scheme, _, netloc = candidate.partition("://")
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        trusted_scheme, _, trusted_netloc = trusted.lower().partition("://")
        if trusted_netloc.startswith("*."):
            if scheme == trusted_scheme and is_same_domain(netloc, trusted_netloc[1:]):
                return True
        elif candidate == normalized_origin(trusted):
            return True
    return False
