"""The JSON shapes of billing: the plan (also in GET /api/me) and an invoice."""

from __future__ import annotations

from typing import Literal, TypedDict

from billing.models import Invoice, Subscription
from billing.selectors import Plan

PlanStatus = Literal["none", "active", "trialing", "past_due", "canceled", "incomplete"]

# Stripe has more statuses than our clients need to tell apart.
STATUS_SHOWN: dict[str, PlanStatus] = {
    Subscription.Status.ACTIVE: "active",
    Subscription.Status.TRIALING: "trialing",
    Subscription.Status.PAST_DUE: "past_due",
    Subscription.Status.UNPAID: "past_due",
    Subscription.Status.INCOMPLETE: "incomplete",
    Subscription.Status.INCOMPLETE_EXPIRED: "canceled",
    Subscription.Status.CANCELED: "canceled",
    Subscription.Status.PAUSED: "canceled",
}


class PlanPayload(TypedDict):
    billing_enabled: bool
    tier: Literal["free", "teacher_tools"]
    status: PlanStatus
    current_period_end: str | None
    cancel_at_period_end: bool
    tools_unlocked: bool


class InvoicePayload(TypedDict):
    id: str
    number: str
    amount_paid: int
    currency: str
    paid_at: str
    url: str | None


def plan_payload(plan: Plan) -> PlanPayload:
    subscription = plan.subscription
    return {
        "billing_enabled": plan.billing_enabled,
        "tier": "teacher_tools" if plan.billing_enabled and plan.tools_unlocked else "free",
        "status": STATUS_SHOWN.get(subscription.status, "canceled") if subscription else "none",
        "current_period_end": (
            subscription.current_period_end.isoformat() if subscription and subscription.current_period_end else None
        ),
        "cancel_at_period_end": bool(subscription and subscription.cancel_at_period_end),
        "tools_unlocked": plan.tools_unlocked,
    }


def invoice_payload(invoice: Invoice) -> InvoicePayload:
    return {
        "id": invoice.stripe_id,
        "number": invoice.number,
        "amount_paid": invoice.amount_paid,
        "currency": invoice.currency,
        "paid_at": invoice.paid_at.isoformat(),
        "url": invoice.hosted_invoice_url or None,
    }
