"""An origin is trusted by its exact scheme, host and port."""

from __future__ import annotations

import pytest

from todaysmeet.origins import is_trusted_origin, normalized_origin, own_origin


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Meet.Example.org", "https://meet.example.org"),
        ("https://meet.example.org:443/path?q", "https://meet.example.org"),
        ("http://meet.example.org:80", "http://meet.example.org"),
        ("http://meet.example.org:8080", "http://meet.example.org:8080"),
        ("https://user:secret@meet.example.org", "https://meet.example.org"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("null", None),
        ("file:///etc/passwd", None),
        ("javascript:alert(1)", None),
        ("http://", None),
        ("http://meet.example.org:99999", None),
        ("", None),
    ],
)
def test_an_origin_is_its_scheme_host_and_port(url, origin):
    assert normalized_origin(url) == origin


def test_our_own_origin_needs_a_host_we_serve(settings):
    settings.ALLOWED_HOSTS = ["meet.example.org"]

    assert own_origin(scheme="https", host="meet.example.org") == "https://meet.example.org"
    assert own_origin(scheme="https", host="evil.example") is None


@pytest.mark.parametrize(
    ("origin", "trusted"),
    [
        ("https://meet.example.org", True),
        ("https://meet.example.org:443", True),
        ("http://meet.example.org", False),
        ("https://meet.example.org:8443", False),
        ("https://board.example.org", True),
        ("https://a.b.school.example", True),
        ("http://a.school.example", False),
        ("https://school.example.evil", False),
        ("https://evil.example", False),
    ],
)
def test_trusted_origins_are_exact_unless_they_name_every_subdomain(settings, origin, trusted):
    settings.CSRF_TRUSTED_ORIGINS = ["https://board.example.org", "https://*.school.example"]

    assert is_trusted_origin(origin, own="https://meet.example.org") is trusted
