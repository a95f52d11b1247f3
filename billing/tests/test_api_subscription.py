"""POST, PATCH and DELETE /api/billing/subscription, against localstripe."""

from __future__ import annotations

import pytest

from billing.models import Customer, Subscription

pytestmark = pytest.mark.django_db

PATH = "/api/billing/subscription"


def subscribe(api, owner, payment_method: str = "pm_card_visa"):
    return api.post(PATH, {"payment_method": payment_method}, token=owner.token)


def test_subscribing_answers_201_with_an_active_plan(api, owner, stripe_standin):
    response = subscribe(api, owner)

    assert response.status == 201
    plan = response.body["plan"]
    assert plan["billing_enabled"] is True
    assert plan["tier"] == "teacher_tools"
    assert plan["status"] == "active"
    assert plan["cancel_at_period_end"] is False
    assert plan["current_period_end"] is not None
    assert api.get("/api/me", token=owner.token).body["plan"] == plan


def test_subscribing_makes_a_stripe_customer_for_the_teacher(api, owner, stripe_standin):
    subscribe(api, owner)

    customer = Customer.objects.get(teacher=owner.obj)
    stripe_customer = stripe_standin.request("GET", f"/v1/customers/{customer.stripe_id}")
    assert stripe_customer["email"] == owner.obj.email
    assert stripe_customer["metadata"] == {"teacher_id": str(owner.obj.pk)}


def test_subscribing_twice_answers_409(api, owner, stripe_standin):
    subscribe(api, owner)

    response = subscribe(api, owner)

    assert response.status == 409
    assert response.body["error"]["code"] == "already_subscribed"
    assert Subscription.objects.count() == 1


def test_a_declined_card_answers_402_and_leaves_nothing_behind(api, owner, stripe_standin):
    response = subscribe(api, owner, "pm_card_visa_chargeDeclined")

    assert response.status == 402
    assert response.body["error"]["code"] == "card_declined"
    assert not Customer.objects.exists()
    assert not Subscription.objects.exists()
    # The customer made for the attempt is gone from Stripe too.
    assert stripe_standin.request("GET", "/v1/customers")["data"] == []
    assert api.get("/api/me", token=owner.token).body["plan"]["tier"] == "free"


def test_a_declined_card_then_a_good_one_subscribes(api, owner, stripe_standin):
    subscribe(api, owner, "pm_card_visa_chargeDeclined")

    response = subscribe(api, owner)

    assert response.status == 201
    assert response.body["plan"]["tier"] == "teacher_tools"


@pytest.mark.parametrize("payment_method", [None, "", "card_123", "pm_" + "x" * 300, 42, "pm_bad id"])
def test_a_malformed_payment_method_answers_400(api, owner, stripe_standin, payment_method):
    response = api.post(PATH, {"payment_method": payment_method}, token=owner.token)

    assert response.status == 400
    assert response.body["error"]["field"] == "payment_method"
    assert not Customer.objects.exists()


def test_a_payment_method_stripe_never_made_answers_400_and_leaves_nothing_behind(api, owner, stripe_standin):
    response = subscribe(api, owner, "pm_1NeverMadeByStripe")

    assert response.status == 400
    assert response.body["error"]["field"] == "payment_method"
    assert not Customer.objects.exists()
    assert stripe_standin.request("GET", "/v1/customers")["data"] == []


def test_cancelling_keeps_the_tools_until_the_period_ends(api, owner, stripe_standin):
    subscribe(api, owner)

    response = api.delete(PATH, token=owner.token)

    assert response.status == 200
    plan = response.body["plan"]
    assert plan["tier"] == "teacher_tools"
    assert plan["status"] == "active"
    assert plan["cancel_at_period_end"] is True
    stripe_id = Subscription.objects.get().stripe_id
    assert stripe_standin.request("GET", f"/v1/subscriptions/{stripe_id}")["cancel_at_period_end"] is True


def test_cancelling_twice_changes_nothing_more(api, owner, stripe_standin):
    subscribe(api, owner)
    first = api.delete(PATH, token=owner.token)

    second = api.delete(PATH, token=owner.token)

    assert second.status == 200
    assert second.body == first.body


def test_keeping_the_plan_after_cancelling_it(api, owner, stripe_standin):
    subscribe(api, owner)
    api.delete(PATH, token=owner.token)

    response = api.patch(PATH, {"cancel_at_period_end": False}, token=owner.token)

    assert response.status == 200
    assert response.body["plan"]["cancel_at_period_end"] is False
    stripe_id = Subscription.objects.get().stripe_id
    assert stripe_standin.request("GET", f"/v1/subscriptions/{stripe_id}")["cancel_at_period_end"] is False


@pytest.mark.parametrize("body", [{}, {"cancel_at_period_end": "no"}, {"cancel_at_period_end": False, "other": 1}])
def test_changing_the_plan_wants_one_boolean(api, owner, stripe_standin, body):
    subscribe(api, owner)

    response = api.patch(PATH, body, token=owner.token)

    assert response.status == 400


def test_cancelling_without_a_plan_answers_404(api, owner, stripe_standin):
    response = api.delete(PATH, token=owner.token)

    assert response.status == 404
    assert response.body["error"]["code"] == "no_subscription"


def test_the_card_form_gets_a_setup_intent_for_the_teachers_customer(api, owner, stripe_standin):
    response = api.post("/api/billing/setup-intent", token=owner.token)

    assert response.status == 201
    secret = response.body["client_secret"]
    intent_id = secret.split("_secret_")[0]
    intent = stripe_standin.request("GET", f"/v1/setup_intents/{intent_id}")
    assert intent["customer"] == Customer.objects.get(teacher=owner.obj).stripe_id


def test_only_teachers_may_subscribe(api, participant, stripe_standin):
    assert api.post(PATH, {"payment_method": "pm_card_visa"}).status == 401
    assert api.post(PATH, {"payment_method": "pm_card_visa"}, token=participant.token).status == 403


def test_with_billing_off_the_endpoints_answer_404(api, owner):
    response = subscribe(api, owner)

    assert response.status == 404
    assert response.body["error"]["code"] == "billing_disabled"
    assert api.get("/api/billing/invoices", token=owner.token).status == 404
