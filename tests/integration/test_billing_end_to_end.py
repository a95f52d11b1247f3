"""Subscribe, cancel, and the plan lapsing, as a client sees it, with localstripe sending its own webhooks."""

from __future__ import annotations

import pytest

from accounts.models import SentEmail
from billing.models import Subscription
from tests.integration.clients import WAIT_TIMEOUT_SECONDS, HttpApi
from tests.integration.rooms import signed_up_teacher_token
from tests.servers import wait_until
from webhooks.models import Delivery

pytestmark = pytest.mark.integration


def test_subscribe_then_cancel_then_the_plan_lapses(billing_daphne, stripe_standin):
    api = HttpApi(billing_daphne.http_url)
    token = signed_up_teacher_token(api, "rivera@school.example", "a long passphrase")
    assert api.request("POST", "/api/rooms", {"name": "biology"}, token=token)[0] == 201

    def set_topic(topic: str) -> tuple[int, dict]:
        return api.request("PATCH", "/api/rooms/biology", {"topic": topic}, token=token)

    def plan() -> dict:
        return api.request("GET", "/api/me", token=token)[1]["plan"]

    # Free: the topic is a Teacher Tool.
    status, body = set_topic("Cells")
    assert (status, body["error"]["code"]) == (402, "plan_required")

    # Subscribing unlocks the tools at once.
    status, body = api.request("POST", "/api/billing/subscription", {"payment_method": "pm_card_visa"}, token=token)
    assert status == 201
    assert body["plan"]["tier"] == "teacher_tools"
    assert set_topic("Cells")[0] == 200

    # localstripe's webhooks bring the receipt.
    def invoices() -> list[dict]:
        return api.request("GET", "/api/billing/invoices", token=token)[1]["invoices"]

    wait_until(lambda: invoices(), timeout=WAIT_TIMEOUT_SECONDS, message="no invoice arrived by webhook")
    [invoice] = invoices()
    assert (invoice["amount_paid"], invoice["currency"]) == (500, "usd")
    wait_until(
        lambda: SentEmail.objects.filter(kind="receipt", outcome="sent").exists(),
        timeout=WAIT_TIMEOUT_SECONDS,
        message="no receipt was sent",
    )

    # Cancelling keeps the tools until the period ends.
    status, body = api.request("DELETE", "/api/billing/subscription", token=token)
    assert status == 200
    assert body["plan"]["cancel_at_period_end"] is True
    assert body["plan"]["tier"] == "teacher_tools"
    assert set_topic("Mitosis")[0] == 200

    # The period ends: Stripe ends the subscription and sends customer.subscription.deleted.
    subscription_id = Subscription.objects.get().stripe_id
    stripe_standin.request("DELETE", f"/v1/subscriptions/{subscription_id}")
    wait_until(lambda: plan()["tier"] == "free", timeout=WAIT_TIMEOUT_SECONDS, message="the plan did not lapse")
    assert plan()["status"] == "canceled"
    status, body = set_topic("Meiosis")
    assert (status, body["error"]["code"]) == (402, "plan_required")
    # Turning the tool off stays free, and what was set stays until then.
    assert api.request("GET", "/api/rooms/biology")[1]["topic"] == "Mitosis"
    assert set_topic("")[0] == 200

    wait_until(
        lambda: SentEmail.objects.filter(kind="plan_canceled").exists(),
        timeout=WAIT_TIMEOUT_SECONDS,
        message="the teacher was not told the plan ended",
    )
    received = set(Delivery.objects.values_list("event_type", flat=True))
    assert {"customer.subscription.created", "invoice.payment_succeeded", "customer.subscription.deleted"} <= received
    assert not Delivery.objects.filter(status="failed").exists()
