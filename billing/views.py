"""Billing's parts of pages: the plan section of the account page, and the page a locked tool shows."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from csp.decorators import csp_update
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from accounts.models import Teacher
from billing import selectors
from billing.payloads import plan_payload
from todaysmeet.errors import PaymentRequired

PLAN_PRICE_LABEL = gettext_lazy("$5 a month")


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


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def allows_stripe_js(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Widen the Content-Security-Policy of the page with the card form, and of no other, for Stripe.js.

    Read per request, not at import: STRIPE_JS_URL and STRIPE_API_BASE point
    at localstripe in development and tests. Stripe.js loads from its own
    origin, frames its card fields (and 3-D Secure) from there and from
    hooks.stripe.com, and calls the API origin.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.BILLING_ENABLED:
            return view(request, *args, **kwargs)
        script_origin = _origin(settings.STRIPE_JS_URL)
        policy = {
            "script-src": [script_origin],
            "frame-src": [script_origin, "https://hooks.stripe.com"],
            "connect-src": [_origin(settings.STRIPE_API_BASE)],
        }
        return csp_update(policy)(view)(request, *args, **kwargs)

    return wrapped
