"""Forgot password: Django's views and tokens, our email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from accounts import services

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "another long passphrase"
LINK = re.compile(r"http://127\.0\.0\.1:8000(/accounts/password/reset/[^\s]+/)")


@pytest.fixture
def client() -> Client:
    return Client()


def ask_for_reset(client: Client, email: str):
    mail.outbox.clear()
    return client.post("/accounts/password/reset/", {"email": email})


def test_the_login_page_links_to_the_reset(client):
    assert b'href="/accounts/password/reset/"' in client.get("/accounts/login/").content


def test_a_reset_link_lets_the_teacher_choose_a_new_password(client, owner):
    response = ask_for_reset(client, "Owner@School.example")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    [email] = mail.outbox
    assert email.to == [owner.obj.email]
    link = client.get(LINK.search(email.body).group(1), follow=True)
    assert b"Choose a new password" in link.content
    # The rules come before the first try, under the field they are about.
    assert b'aria-describedby="id_new_password1_helptext"' in link.content
    assert b'id="id_new_password1_helptext"' in link.content
    assert b"at least 8 characters" in link.content
    done = client.post(
        link.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert b"Your password is changed" in done.content
    assert services.teacher_authenticate(email=owner.obj.email, password=NEW_PASSWORD) == owner.obj


def test_a_reset_link_works_once(client, owner):
    ask_for_reset(client, owner.obj.email)
    path = LINK.search(mail.outbox[0].body).group(1)
    set_password = client.get(path, follow=True).redirect_chain[-1][0]
    client.post(set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = Client().get(path, follow=True)

    assert b"This link no longer works" in again.content


def test_an_unknown_address_gets_the_same_answer_and_no_email(client):
    response = ask_for_reset(client, "nobody@school.example")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert not mail.outbox


def test_asking_again_at_once_sends_no_second_email(client, owner):
    ask_for_reset(client, owner.obj.email)
    mail.outbox.clear()

    client.post("/accounts/password/reset/", {"email": owner.obj.email})

    assert not mail.outbox


def test_a_signed_in_teacher_can_change_their_password(client, owner):
    client.force_login(owner.obj)

    response = client.post(
        "/accounts/password/",
        {"old_password": "a long enough passphrase", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert b"Your password is changed" in response.content
    assert services.teacher_authenticate(email=owner.obj.email, password=NEW_PASSWORD) == owner.obj


def test_the_change_form_shows_the_new_passwords_rules_before_any_error(client, owner):
    client.force_login(owner.obj)

    page = client.get("/accounts/password/").content.decode()

    assert 'aria-describedby="id_new_password1_helptext"' in page
    assert 'id="id_new_password1_helptext"' in page
    assert "at least 8 characters" in page
    assert 'role="alert"' not in page
