"""Fixtures shared by every test: backends, the movable clock, and personas."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from tests.openapi import check_answer
from todaysmeet import clock as app_clock

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_report_header(config) -> list[str]:
    database = "PostgreSQL (DATABASE_URL)" if os.environ.get("DATABASE_URL") else "SQLite (embedded default)"
    layer = "Redis (REDIS_URL)" if os.environ.get("REDIS_URL") else "in-memory (embedded default)"
    browser = CHROMIUM if shutil.which(CHROMIUM) else "none found"
    return [f"backends: database={database}, channel layer={layer}, browser={browser}"]


def pytest_configure(config) -> None:
    if not IN_CI:
        return
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        raise pytest.UsageError(f"CI=true needs {', '.join(missing)}: real services are required, not skipped.")
    if not shutil.which(CHROMIUM):
        raise pytest.UsageError(f"CI=true needs a browser at {CHROMIUM}.")


@pytest.fixture(autouse=True)
def fast_password_hashing(request):
    """PBKDF2 costs ~0.25 s per teacher; tests don't need it to be slow.

    Browser tests keep the real hasher: the Daphne process they log in through
    runs the production settings and must be able to check the hash.
    """
    if request.node.get_closest_marker("browser"):
        yield
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield


@pytest.fixture(autouse=True)
def fresh_attempt_counters(settings, monkeypatch):
    """Counts of failed guesses start from nothing in each test, in this process and in the servers it starts."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
    caches["default"].clear()
    monkeypatch.setenv("CACHE_KEY_PREFIX", f"test-{uuid.uuid4().hex}")


@pytest.fixture(autouse=True)
def clock():
    """The application's clock; tests move it with clock.advance(timedelta)."""
    app_clock.reset()
    yield app_clock
    app_clock.reset()


@dataclass
class ApiResponse:
    status: int
    body: Any
    headers: dict[str, str]


class ApiClient:
    """Calls the JSON API the way an external client would: JSON bodies, bearer tokens."""

    def __init__(self, client: Client | None = None) -> None:
        self.client = client or Client()

    def request(self, method: str, path: str, data: Any = None, *, token: str | None = None, **extra) -> ApiResponse:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = json.dumps(data) if data is not None and not isinstance(data, (str, bytes)) else data
        response = self.client.generic(
            method, path, data=body or "", content_type="application/json", headers=headers, **extra
        )
        content = b"".join(response.streaming_content) if response.streaming else response.content
        content_type = response.get("Content-Type", "")
        parsed = json.loads(content) if content and content_type.startswith("application/json") else None
        check_answer(method, path, response.status_code, parsed, content_type)
        return ApiResponse(response.status_code, parsed, dict(response.headers))

    def get(self, path: str, **kwargs) -> ApiResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: Any = None, **kwargs) -> ApiResponse:
        return self.request("POST", path, data, **kwargs)

    def patch(self, path: str, data: Any = None, **kwargs) -> ApiResponse:
        return self.request("PATCH", path, data, **kwargs)

    def delete(self, path: str, **kwargs) -> ApiResponse:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(db) -> ApiClient:
    return ApiClient()


@dataclass
class Persona:
    """Someone using the product: their row and the bearer token they hold."""

    obj: Any
    token: str


PASSWORD = "a long enough passphrase"


def teacher_signed_up(email: str, password: str = PASSWORD) -> Any:
    """A teacher who signed up and opened the link in their welcome email."""
    from accounts import services
    from accounts.models import Teacher

    services.teacher_sign_up(email=email, password=password)
    return services.teacher_sign_up_confirm(teacher=Teacher.objects.get(email=email.strip().lower()))


def moderator_made(room: Any, teacher: Any) -> None:
    """`teacher` was invited to co-moderate `room`, and accepted."""
    from rooms import services

    invitation, _ = services.moderator_invite(room=room, email=teacher.email)
    services.moderator_invitation_accept(invitation=invitation, teacher=teacher)


@pytest.fixture
def make_teacher(db):
    from accounts import services

    def make(email: str = "owner@school.example") -> Persona:
        teacher = teacher_signed_up(email)
        return Persona(teacher, services.teacher_token_issue(teacher=teacher))

    return make


@pytest.fixture
def owner(make_teacher) -> Persona:
    return make_teacher("owner@school.example")


@pytest.fixture
def other_teacher(make_teacher) -> Persona:
    return make_teacher("colleague@school.example")


@pytest.fixture
def room(owner):
    from rooms import services

    return services.room_create(owner=owner.obj, name="biology", topic="Cells")


@pytest.fixture
def make_participant(db):
    from rooms import services

    def make(room, nickname: str = "sam") -> Persona:
        participant, token = services.participant_join(room=room, nickname=nickname)
        return Persona(participant, token)

    return make


@pytest.fixture
def participant(room, make_participant) -> Persona:
    return make_participant(room, "sam")


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """localstripe for the whole run: the one .ci/run started (LOCALSTRIPE_URL), or one of our own."""
    from tests.localstripe import LocalStripe

    url = os.environ.get("LOCALSTRIPE_URL")
    if url:
        instance = LocalStripe(url)
        if not instance.answers():
            pytest.fail(f"LOCALSTRIPE_URL={url} does not answer.")
    else:
        instance = LocalStripe.start(tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    yield instance
    instance.stop()


def billing_setup() -> str:
    """Run `manage.py billing_setup`; the price id it prints."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("billing_setup", stdout=out)
    return out.getvalue().strip().splitlines()[-1].removeprefix("STRIPE_PRICE_ID=")


@pytest.fixture
def stripe_standin(localstripe, settings):
    """Billing on, against an empty localstripe holding only the plan's price (made by billing_setup)."""
    localstripe.reset()
    for name, value in localstripe.settings().items():
        setattr(settings, name, value)
    settings.BILLING_ENABLED = True
    settings.STRIPE_PRICE_ID = billing_setup()
    return localstripe
