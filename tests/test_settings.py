"""Settings come from the environment; production refuses insecure or unreadable values.

Each case starts a fresh `manage.py check`, because settings are read once at import.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIGURATION = (
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "PUBLIC_URL",
    "CSRF_TRUSTED_ORIGINS",
    "POST_RATE_BURST",
    "POST_RATE_PER_MINUTE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_PRICE_ID",
    "STRIPE_TIMEOUT_SECONDS",
    "MANDRILL_API_KEY",
)


def production_env(**overrides: str) -> dict[str, str]:
    return {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "example.org"} | (
        overrides
    )


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {name: value for name, value in os.environ.items() if name not in CONFIGURATION}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=base | {"DJANGO_SETTINGS_MODULE": "todaysmeet.settings"} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_development_needs_nothing_set():
    result = manage("check", env={})

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_is_clean_under_the_deploy_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_with_redis_is_clean_under_the_deploy_checks():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(REDIS_URL="redis://127.0.0.1:6379/0")
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_at_the_public_url_are_trusted_origins():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.CSRF_TRUSTED_ORIGINS)",
        env=production_env(PUBLIC_URL="https://meet.example.org/", CSRF_TRUSTED_ORIGINS="https://board.example.org"),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['https://board.example.org', 'https://meet.example.org']"


def test_a_public_url_that_is_not_an_http_url_refuses_to_start():
    result = manage("check", env={"PUBLIC_URL": "meet.example.org"})

    assert result.returncode != 0
    assert "PUBLIC_URL must be an http(s) URL" in result.stderr


def test_production_without_a_secret_key_refuses_to_start():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param("too-short", id="short"),
        pytest.param("   ", id="blank"),
        pytest.param("development-only-secret-key-never-use-in-production", id="the-development-key"),
    ],
)
def test_production_with_a_weak_secret_key_refuses_to_start(secret):
    result = manage("check", env=production_env(DJANGO_SECRET_KEY=secret))

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_without_allowed_hosts_refuses_to_start():
    env = production_env()
    del env["ALLOWED_HOSTS"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("DJANGO_DEBUG", "2"),
        ("ALLOWED_HOSTS", "example.org,,other.example"),
        ("ALLOWED_HOSTS", ""),
        ("POST_RATE_BURST", "lots"),
        ("POST_RATE_BURST", "0"),
        ("POST_RATE_PER_MINUTE", "1.5"),
        ("SECURE_SSL_REDIRECT", "sometimes"),
        ("SECURE_HSTS_SECONDS", "-1"),
    ],
)
def test_an_unreadable_value_fails_loudly_naming_the_variable(name, value):
    result = manage("check", env=production_env(**{name: value}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


def test_debug_accepts_the_usual_spellings_of_false():
    for spelling in ("0", "false", "No", "OFF"):
        result = manage("check", env=production_env(DJANGO_DEBUG=spelling))
        assert result.returncode == 0, (spelling, result.stderr)


BILLING = {
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example",
    "STRIPE_PRICE_ID": "price_example",
}


def test_production_with_billing_and_email_is_clean_under_the_deploy_checks():
    env = production_env(**BILLING, MANDRILL_API_KEY="md-example", PUBLIC_URL="https://meet.example.org")

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_PRICE_ID"])
def test_billing_refuses_to_start_half_configured(missing):
    env = {name: value for name, value in BILLING.items() if name != missing}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert f"STRIPE_SECRET_KEY is set but {missing} is not" in result.stderr


def test_billing_setup_runs_before_the_price_exists():
    # It refuses for want of a reachable Stripe, not for want of STRIPE_PRICE_ID.
    env = {"STRIPE_SECRET_KEY": "sk_test_example", "STRIPE_API_BASE": "http://127.0.0.1:9"}

    result = manage("billing_setup", env=env)

    assert result.returncode != 0
    assert "Billing is unavailable" in result.stderr
    assert "STRIPE_PRICE_ID" not in result.stderr


def test_a_stripe_budget_that_breaks_the_ten_second_promise_is_refused():
    result = manage("check", env={"STRIPE_TIMEOUT_SECONDS": "12"})

    assert result.returncode != 0
    assert "STRIPE_TIMEOUT_SECONDS must be at most 9" in result.stderr


def test_sending_email_in_production_needs_public_url_for_its_links():
    result = manage("check", env=production_env(MANDRILL_API_KEY="md-example"))

    assert result.returncode != 0
    assert "MANDRILL_API_KEY needs PUBLIC_URL" in result.stderr
