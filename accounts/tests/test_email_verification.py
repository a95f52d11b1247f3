"""The welcome email, its verification link, and sending the link again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Teacher

# Emails go out on commit, so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long enough passphrase"
LINK = re.compile(r"http://127\.0\.0\.1:8000(/accounts/verify/[^\s]+/)")


def verification_path(email) -> str:
    return LINK.search(email.body).group(1)


def test_signing_up_through_the_api_sends_a_welcome_email_with_a_verification_link(api):
    api.post("/api/teachers", {"email": "New@School.example", "password": PASSWORD})

    [welcome] = mail.outbox
    assert welcome.to == ["new@school.example"]
    assert welcome.subject == "Welcome to todaysmeet: confirm your email"
    assert verification_path(welcome)


def test_signing_up_on_the_page_sends_the_welcome_email_too(client):
    client.post("/accounts/signup/", {"email": "page@school.example", "password": PASSWORD})

    assert [email.to for email in mail.outbox] == [["page@school.example"]]


def test_links_in_emails_are_built_on_public_url_not_on_the_host_header(settings):
    settings.EMAIL_LINK_BASE = "https://meet.example.org"

    Client(HTTP_HOST="localhost").post("/accounts/signup/", {"email": "p@school.example", "password": PASSWORD})

    assert "https://meet.example.org/accounts/verify/" in mail.outbox[0].body


def test_opening_the_link_verifies_the_address(api, owner):
    client = Client()

    response = client.get(verification_path(mail.outbox[0]))

    assert response.status_code == 200
    assert b"is verified" in response.content
    assert api.get("/api/me", token=owner.token).body["email_verified"] is True


def test_opening_the_link_twice_still_says_verified(owner):
    client = Client()
    path = verification_path(mail.outbox[0])
    client.get(path)

    again = client.get(path)

    assert again.status_code == 200
    assert b"is verified" in again.content


@pytest.mark.parametrize("path", ["/accounts/verify/MQ/not-a-token/", "/accounts/verify/!!/x-y/"])
def test_a_bad_link_verifies_nothing(owner, path):
    response = Client().get(path)

    assert response.status_code == 400
    assert Teacher.objects.get().email_verified_at is None


def test_a_link_for_one_teacher_does_not_verify_another(owner, make_teacher):
    other = make_teacher("other@school.example")
    owners_link = verification_path(mail.outbox[0])
    owners_uid = owners_link.split("/")[3]
    forged = owners_link.replace(owners_uid, urlsafe_base64_encode(force_bytes(other.obj.pk)))

    response = Client().get(forged)

    assert response.status_code == 400
    assert not Teacher.objects.get(pk=other.obj.pk).email_verified


def test_an_expired_link_verifies_nothing(owner, settings):
    path = verification_path(mail.outbox[0])
    settings.PASSWORD_RESET_TIMEOUT = -1

    assert Client().get(path).status_code == 400


def test_sending_the_link_again(api, owner, clock):
    clock.advance(timedelta(minutes=3))
    mail.outbox.clear()

    response = api.post("/api/me/verification-email", token=owner.token)

    assert response.status == 202
    [email] = mail.outbox
    assert Client().get(verification_path(email)).status_code == 200


def test_sending_the_link_again_at_once_is_throttled(api, owner):
    response = api.post("/api/me/verification-email", token=owner.token)

    assert response.status == 429
    assert response.body["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0
    assert len(mail.outbox) == 1


def test_a_verified_teacher_gets_409(api, owner):
    Client().get(verification_path(mail.outbox[0]))

    response = api.post("/api/me/verification-email", token=owner.token)

    assert response.status == 409
    assert response.body["error"]["code"] == "already_verified"


def test_the_account_page_sends_the_link_again(owner, clock):
    clock.advance(timedelta(minutes=3))
    browser = Client()
    browser.force_login(owner.obj)

    response = browser.post("/accounts/verify/send/", follow=True)

    assert b"We sent a new link" in response.content
    assert len(mail.outbox) == 2
