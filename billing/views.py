"""Billing's parts of pages: the plan section of the account page, and the page a locked tool shows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Teacher
from billing import selectors
from billing.payloads import plan_payload
from todaysmeet.errors import PaymentRequired

PLAN_PRICE_LABEL = "$5 a month"


def plan_section_context(*, teacher: Teacher) -> dict[str, Any]:
    """What the account page's plan section shows and its script starts from."""
    plan = selectors.plan_for_teacher(teacher=teacher)
    return {
        "plan": plan_payload(plan),
        "invoices": list(selectors.invoice_list(teacher=teacher)) if plan.billing_enabled else [],
        "price_label": PLAN_PRICE_LABEL,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "billing_config": {
            "publishableKey": settings.STRIPE_PUBLISHABLE_KEY,
            "plan": plan_payload(plan),
        },
    }


def plan_required_page(request: HttpRequest, refusal: PaymentRequired) -> HttpResponse:
    """The page a locked tool answers with (402), offering the upgrade."""
    return render(
        request,
        "billing/plan_required.html",
        {"message": refusal.message, "upgrade_url": refusal.extra.get("upgrade_url"), "price_label": PLAN_PRICE_LABEL},
        status=refusal.status,
    )
