"""Signing up on the page: the same answer for every address, then the emailed link that finishes it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client

from accounts.models import Teacher
from conftest import PASSWORD

# Emails go out on commit, so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)

CONFIRM_LINK = re.compile(r"http://127\.0\.0\.1:8000(/accounts/signup/confirm/[^\s]+/)")
# Each browser's own CSRF token (in the footer's language form) tells nothing about the address.
CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def sign_up(client: Client, email: str = "new@school.example", password: str = PASSWORD, **extra):
    return client.post("/accounts/signup/", {"email": email, "password": password, **extra})


def emailed_link(to: str = "new@school.example") -> str:
    [link] = [
        match.group(1) for email in mail.outbox if email.to == [to] for match in CONFIRM_LINK.finditer(email.body)
    ]
    return link


def signed_in_email(client: Client) -> str | None:
    user_id = client.session.get(SESSION_KEY)
    return Teacher.objects.get(pk=user_id).email if user_id else None


def test_signing_up_says_check_your_email_and_signs_nobody_in(client):
    response = sign_up(client, email="New@School.example")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/sent/"
    sent = client.get(response["Location"])
    assert b"Check your email" in sent.content
    assert b"new@school.example" in sent.content
    assert signed_in_email(client) is None
    assert not Teacher.objects.get().is_active


@pytest.mark.parametrize("email", ["owner@school.example", "OWNER@School.example"])
def test_a_known_address_gets_exactly_the_same_pages(owner, email):
    known, new = Client(), Client()

    answers = [sign_up(known, email=email), sign_up(new, email="nobody.yet@school.example")]
    pages = [known.get("/accounts/signup/sent/"), new.get("/accounts/signup/sent/")]

    assert [(answer.status_code, answer["Location"]) for answer in answers] == [(302, "/accounts/signup/sent/")] * 2
    known_page, new_page = (CSRF_TOKEN.sub(b"", page.content) for page in pages)
    assert known_page.replace(email.lower().encode(), b"") == new_page.replace(b"nobody.yet@school.example", b"")
    assert signed_in_email(known) is None
    assert Teacher.objects.get(email="owner@school.example").check_password(PASSWORD)


def test_a_teacher_signing_up_in_spanish_gets_the_pages_and_the_email_in_spanish(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "es-MX,es;q=0.9"

    sign_up(client)
    sent = client.get("/accounts/signup/sent/").content.decode()

    assert "<h1>Revisa tu correo</h1>" in sent
    [email] = mail.outbox
    assert email.subject == "Te damos la bienvenida a todaysmeet: confirma tu correo para terminar el registro"
    assert email.body.startswith("Hola:\n\nTe damos la bienvenida a todaysmeet. Abre este enlace para confirmar")
    assert emailed_link().startswith("/accounts/signup/confirm/")
    assert "no se crea ninguna cuenta hasta que se abre el enlace." in email.body


def test_the_sent_page_without_a_sign_up_goes_back_to_the_form(client):
    assert client.get("/accounts/signup/sent/")["Location"] == "/accounts/signup/"


class TestTheEmailedLink:
    def test_opened_in_the_browser_that_signed_up_one_click_lands_on_create_a_room(self, client):
        sign_up(client)

        page = client.get(emailed_link())
        finished = client.post(emailed_link())

        assert page.status_code == 200
        assert b'name="password"' not in page.content
        assert finished.status_code == 302
        assert finished["Location"] == "/rooms/new/"
        assert signed_in_email(client) == "new@school.example"
        teacher = Teacher.objects.get()
        assert teacher.is_active and teacher.email_verified

    def test_the_browser_that_signed_up_goes_on_to_where_it_was_going(self, client):
        sign_up(client, next="/biology/")

        assert client.post(emailed_link())["Location"] == "/biology/"

    def test_a_sign_up_from_the_login_pages_link_lands_on_create_a_room_not_the_join_box(self, client):
        link = re.search(rb'href="(/accounts/signup/\?next=[^"]*)"', client.get("/accounts/login/").content).group(1)
        assert link == b"/accounts/signup/?next=/"  # where a login that was going nowhere goes
        sign_up(client, next="/")

        assert client.post(emailed_link())["Location"] == "/rooms/new/"

    def test_opened_elsewhere_it_asks_for_the_password_chosen_at_sign_up(self):
        sign_up(Client())
        phone = Client()

        page = phone.get(emailed_link())
        wrong = phone.post(emailed_link(), {"password": "not the one"})
        right = phone.post(emailed_link(), {"password": PASSWORD})

        assert b'name="password"' in page.content
        assert wrong.status_code == 400
        assert b"not the password chosen" in wrong.content
        assert right["Location"] == "/rooms/new/"
        assert signed_in_email(phone) == "new@school.example"

    def test_someone_who_signed_up_an_address_not_theirs_cannot_finish_for_its_owner(self):
        # The owner opens the link; only the stranger knows the password, so
        # the owner signs up again with their own, which replaces it.
        stranger, owner_of_the_address = Client(), Client()
        sign_up(stranger, password="the stranger's passphrase")
        link = emailed_link()
        assert owner_of_the_address.post(link, {"password": PASSWORD}).status_code == 400

        sign_up(owner_of_the_address)
        finished = owner_of_the_address.post(link)

        assert finished["Location"] == "/rooms/new/"
        stranger_signs_in = stranger.post(
            "/accounts/login/", {"email": "new@school.example", "password": "the stranger's passphrase"}
        )
        assert stranger_signs_in.status_code == 400
        assert signed_in_email(stranger) is None

    def test_a_mail_scanner_opening_the_link_signs_nobody_in(self):
        sign_up(Client())

        Client().get(emailed_link())

        assert not Teacher.objects.get().is_active

    def test_opened_again_once_the_account_works_it_asks_to_log_in(self, client):
        sign_up(client)
        link = emailed_link()
        client.post(link)

        again = Client().get(link)

        assert again.status_code == 302
        assert again["Location"] == "/accounts/login/?next=/rooms/new/"

    @pytest.mark.parametrize("path", ["/accounts/signup/confirm/MQ/not-a-token/", "/accounts/signup/confirm/!!/x/"])
    def test_a_bad_link_finishes_nothing(self, client, path):
        sign_up(client)

        response = client.post(path)

        assert response.status_code == 400
        assert b"This link doesn" in response.content
        assert not Teacher.objects.get().is_active

    def test_an_expired_link_finishes_nothing(self, client, settings):
        sign_up(client)
        settings.PASSWORD_RESET_TIMEOUT = -1

        assert client.post(emailed_link()).status_code == 400

    def test_guessing_the_password_on_the_link_page_is_held_back(self, settings):
        settings.SIGN_IN_FAILURES_PER_ACCOUNT = 2
        sign_up(Client())
        guesser = Client()
        for _ in range(2):
            guesser.post(emailed_link(), {"password": "a guess"})

        response = guesser.post(emailed_link(), {"password": PASSWORD})

        assert response.status_code == 429
        assert not Teacher.objects.get().is_active


def test_someone_invited_to_co_moderate_lands_on_their_invitations(owner):
    from rooms import services as room_services

    room = room_services.room_create(owner=owner.obj, name="biology")
    room_services.moderator_invite(room=room, email="new@school.example")
    sign_up(Client())

    finished = Client().post(emailed_link(), {"password": PASSWORD})

    assert finished["Location"] == "/rooms/"


class TestPasswordRules:
    def test_the_sign_up_page_shows_the_rules_under_the_field_before_any_error(self, client):
        page = client.get("/accounts/signup/").content.decode()

        assert 'aria-describedby="password_helptext"' in page
        assert 'id="password_helptext"' in page
        assert "at least 8 characters" in page
        assert 'role="alert"' not in page

    def test_the_rules_are_in_spanish_for_a_spanish_browser(self):
        page = Client(HTTP_ACCEPT_LANGUAGE="es").get("/accounts/signup/").content.decode()

        assert "al menos 8 caracteres" in page
