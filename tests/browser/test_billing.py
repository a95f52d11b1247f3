"""Subscribing through the account page's card form (Stripe Elements, here localstripe's stand-in) in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from billing.models import Invoice
from tests.browser.people import PASSWORD
from tests.servers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server_env(stripe_standin, settings) -> dict[str, str]:
    """Billing on, against localstripe."""
    return stripe_standin.settings(price_id=settings.STRIPE_PRICE_ID)


@pytest.fixture
def teacher(open_page, server, stripe_standin) -> Page:
    """A new teacher with a room called biology, on its page; localstripe sends webhooks to the server."""
    stripe_standin.send_webhooks_to(f"{server.url}/webhooks/stripe/")
    page = open_page("/accounts/signup/?next=/rooms/new/")
    page.get_by_label("Email").fill("rivera@school.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_test_id("signup-sent")).to_be_visible()
    page.goto(server.emailed_link("rivera@school.example", "/accounts/signup/confirm/"))
    page.get_by_role("button", name="Finish signing up").click()
    expect(page).to_have_url(re.compile(r"/rooms/new/$"))
    page.get_by_label("Name", exact=True).fill("biology")
    page.get_by_role("button", name="Create room").click()
    expect(page).to_have_url(re.compile(r"/biology/$"))
    return page


def fill_card(page: Page, number: str) -> None:
    card = page.get_by_test_id("card-element")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("12345")


def set_topic(page: Page, topic: str) -> None:
    page.get_by_test_id("topic-input").fill(topic)
    page.get_by_test_id("topic-form").get_by_role("button", name="Save").click()


def test_subscribing_with_the_card_form_unlocks_the_tools_at_once(teacher: Page):
    # Free: the room offers the upgrade, and the topic is refused.
    expect(teacher.get_by_test_id("plan-notice")).to_be_visible()
    set_topic(teacher, "Cells")
    expect(teacher.get_by_test_id("settings-error")).to_contain_text("Teacher Tools plan")

    teacher.get_by_test_id("upgrade-link").click()
    expect(teacher).to_have_url(re.compile(r"/accounts/#plan$"))
    fill_card(teacher, "4242424242424242")
    teacher.get_by_test_id("subscribe").click()

    expect(teacher.get_by_test_id("plan-saved")).to_contain_text("Welcome to Teacher Tools")
    expect(teacher.get_by_test_id("plan-status")).to_contain_text("Renews on")
    expect(teacher.get_by_test_id("card-form")).to_be_hidden()
    expect(teacher.get_by_test_id("plan-cancel")).to_be_visible()

    teacher.goto("/biology/")
    expect(teacher.get_by_test_id("plan-notice")).to_have_count(0)
    set_topic(teacher, "Cells")
    expect(teacher.get_by_test_id("room-topic")).to_have_text("Cells")

    # The receipt arrives by webhook, and the account page lists it.
    wait_until(Invoice.objects.exists, timeout=20, message="no invoice arrived by webhook")
    teacher.goto("/accounts/")
    expect(teacher.get_by_test_id("invoice")).to_have_count(1)
    expect(teacher.get_by_test_id("invoice")).to_contain_text("5.00 USD")


def test_cancelling_and_keeping_the_plan_from_the_account_page(teacher: Page):
    teacher.goto("/accounts/")
    fill_card(teacher, "4242424242424242")
    teacher.get_by_test_id("subscribe").click()
    expect(teacher.get_by_test_id("plan-cancel")).to_be_visible()

    teacher.get_by_test_id("plan-cancel").click()
    expect(teacher.get_by_test_id("plan-status")).to_contain_text("the tools stay on until")
    teacher.get_by_test_id("plan-resume").click()
    expect(teacher.get_by_test_id("plan-status")).to_contain_text("Renews on")


def test_a_declined_card_says_so_and_subscribes_nothing(teacher: Page, server):
    teacher.goto("/accounts/")
    fill_card(teacher, "4000000000000002")
    teacher.get_by_test_id("subscribe").click()

    expect(teacher.get_by_test_id("plan-error")).to_contain_text("declined")
    expect(teacher.get_by_test_id("card-form")).to_be_visible()
    teacher.reload()
    expect(teacher.get_by_test_id("plan-summary")).to_contain_text("Free.")
