"""The account page: profile, email status, and the plan section when billing is on."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(owner) -> Client:
    client = Client()
    client.force_login(owner.obj)
    return client


def test_the_account_page_needs_a_signed_in_teacher():
    response = Client().get("/accounts/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_account_page_shows_the_email_and_its_state(browser):
    page = browser.get("/accounts/").content.decode()

    assert "owner@school.example" in page
    assert 'data-testid="email-verified"' in page
    assert 'data-testid="resend-verification"' not in page


def test_a_teacher_who_signed_up_before_links_were_needed_may_ask_for_one():
    client = Client()
    client.force_login(Teacher.objects.create_user("early@school.example", "a long enough passphrase"))

    page = client.get("/accounts/").content.decode()

    assert 'data-testid="email-unverified"' in page
    assert 'data-testid="resend-verification"' in page


def test_saving_the_profile(browser):
    response = browser.post("/accounts/", {"display_name": "Ms Rivera", "newsletter": "on"}, follow=True)

    assert b"Saved." in response.content
    teacher = Teacher.objects.get()
    assert (teacher.display_name, teacher.newsletter) == ("Ms Rivera", True)


def test_a_bad_display_name_is_refused_with_the_reason(browser):
    response = browser.post("/accounts/", {"display_name": "x" * 40})

    assert response.status_code == 400
    assert b"at most 32 characters" in response.content


def test_with_billing_off_the_page_loads_no_stripe(browser):
    page = browser.get("/accounts/").content.decode()

    assert "stripe" not in page.lower()
    assert 'data-testid="plan-section"' not in page


def test_with_billing_on_the_page_has_the_card_form_from_stripe_js_url(browser, settings):
    settings.BILLING_ENABLED = True
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_123"

    page = browser.get("/accounts/").content.decode()

    assert '<script src="https://js.stripe.com/v3/"></script>' in page
    assert 'data-testid="card-form"' in page
    assert "pk_test_123" in page
    assert 'data-testid="no-invoices"' in page
