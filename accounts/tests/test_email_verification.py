"""Verifying an address later: the link a teacher asks for again, and what it does.

Sign-ups verify their address by opening the welcome link (test_pages_sign_up.py);
teachers who signed up before that (their account worked at once) verify
with a link they ask for from the account page or the API.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import services
from accounts.models import Teacher
from conftest import PASSWORD, Persona

# Emails go out on commit, so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"http://127\.0\.0\.1:8000(/accounts/verify/[^\s]+/)")


def verification_path(email) -> str:
    return LINK.search(email.body).group(1)


@pytest.fixture
def unverified(db) -> Persona:
    """A teacher whose account worked from sign-up, before sign-ups waited for their link."""
    teacher = Teacher.objects.create_user("early@school.example", PASSWORD)
    return Persona(teacher, services.teacher_token_issue(teacher=teacher))


@pytest.fixture
def link_sent(api, unverified) -> str:
    assert api.post("/api/me/verification-email", token=unverified.token).status == 202
    return verification_path(mail.outbox[-1])


def test_asking_for_the_link_sends_it(api, unverified, link_sent):
    [email] = mail.outbox
    assert email.to == ["early@school.example"]
    assert email.subject == "Confirm your email for todaysmeet"


def test_links_in_emails_are_built_on_public_url_not_on_the_host_header(api, unverified, settings):
    settings.EMAIL_LINK_BASE = "https://meet.example.org"

    api.post("/api/me/verification-email", token=unverified.token, HTTP_HOST="localhost")

    assert "https://meet.example.org/accounts/verify/" in mail.outbox[0].body


def test_opening_the_link_verifies_the_address(api, unverified, link_sent):
    response = Client().get(link_sent)

    assert response.status_code == 200
    assert b"is verified" in response.content
    assert api.get("/api/me", token=unverified.token).body["email_verified"] is True


def test_opening_the_link_twice_still_says_verified(unverified, link_sent):
    client = Client()
    client.get(link_sent)

    again = client.get(link_sent)

    assert again.status_code == 200
    assert b"is verified" in again.content


@pytest.mark.parametrize("path", ["/accounts/verify/MQ/not-a-token/", "/accounts/verify/!!/x-y/"])
def test_a_bad_link_verifies_nothing(unverified, path):
    response = Client().get(path)

    assert response.status_code == 400
    assert Teacher.objects.get().email_verified_at is None


def test_a_link_for_one_teacher_does_not_verify_another(unverified, link_sent):
    other = Teacher.objects.create_user("other@school.example", PASSWORD)
    uid = link_sent.split("/")[3]
    forged = link_sent.replace(uid, urlsafe_base64_encode(force_bytes(other.pk)))

    response = Client().get(forged)

    assert response.status_code == 400
    assert not Teacher.objects.get(pk=other.pk).email_verified


def test_an_expired_link_verifies_nothing(unverified, link_sent, settings):
    settings.PASSWORD_RESET_TIMEOUT = -1

    assert Client().get(link_sent).status_code == 400


def test_sending_the_link_again_at_once_is_throttled(api, unverified, link_sent):
    response = api.post("/api/me/verification-email", token=unverified.token)

    assert response.status == 429
    assert response.body["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0
    assert len(mail.outbox) == 1


def test_sending_the_link_again_later(api, unverified, link_sent, clock):
    clock.advance(timedelta(minutes=3))

    assert api.post("/api/me/verification-email", token=unverified.token).status == 202
    assert Client().get(verification_path(mail.outbox[-1])).status_code == 200


def test_a_verified_teacher_gets_409(api, owner):
    response = api.post("/api/me/verification-email", token=owner.token)

    assert response.status == 409
    assert response.body["error"]["code"] == "already_verified"


def test_the_account_page_sends_the_link(unverified):
    browser = Client()
    browser.force_login(unverified.obj)

    response = browser.post("/accounts/verify/send/", follow=True)

    assert b"We sent a new link" in response.content
    assert len(mail.outbox) == 1
