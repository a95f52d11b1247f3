"""Signing up in Chromium: the page answers every address alike, and the emailed link finishes it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.people import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONFIRM = "/accounts/signup/confirm/"


def sign_up(page: Page, email: str, password: str = PASSWORD) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_test_id("signup-sent")).to_be_visible()
    expect(page.get_by_test_id("signup-sent-email")).to_have_text(email.lower())


def test_a_new_teacher_signs_up_opens_the_emailed_link_and_lands_on_create_a_room(open_page, server):
    page = open_page("/accounts/signup/")
    sign_up(page, "Rivera@School.example")

    page.goto(server.emailed_link("rivera@school.example", CONFIRM))
    expect(page.get_by_test_id("signup-confirm-email")).to_have_text("rivera@school.example")
    page.get_by_role("button", name="Finish signing up").click()

    expect(page).to_have_url(re.compile(r"/rooms/new/$"))
    page.get_by_label("Name", exact=True).fill("biology")
    page.get_by_role("button", name="Create room").click()
    expect(page).to_have_url(re.compile(r"/biology/$"))
    expect(page.get_by_test_id("moderator-tools")).to_be_visible()


def test_the_link_opened_on_another_device_asks_for_the_password(open_page, server):
    sign_up(open_page("/accounts/signup/"), "rivera@school.example")
    phone = open_page(server.emailed_link("rivera@school.example", CONFIRM))

    phone.get_by_label("The password you chose when signing up").fill(PASSWORD)
    phone.get_by_role("button", name="Finish signing up").click()

    expect(phone).to_have_url(re.compile(r"/rooms/new/$"))


def test_a_known_address_sees_the_same_page_and_gets_sign_in_links_by_email(open_page, server, owner):
    page = open_page("/accounts/signup/")

    sign_up(page, "owner@school.example", "another long passphrase")

    page.goto(server.emailed_link("owner@school.example", "/accounts/login/"))
    assert not [path for path in server.emailed_paths("owner@school.example") if path.startswith(CONFIRM)]
    page.get_by_label("Email").fill("owner@school.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-form").get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("logout")).to_be_visible()
