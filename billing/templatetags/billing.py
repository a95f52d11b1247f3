"""Billing in templates: `{% teacher_tools_notice room %}` (what the owner's plan leaves locked) and `|money`."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from billing.entitlements import teacher_tools_unlocked
from billing.views import PLAN_PRICE_LABEL

register = template.Library()


@register.inclusion_tag("billing/teacher_tools_notice.html", takes_context=True)
def teacher_tools_notice(context: dict[str, Any], room) -> dict[str, Any]:
    locked = not teacher_tools_unlocked(teacher=room.owner)
    user = context.get("user")
    return {
        "locked": locked,
        "is_owner": user is not None and user.pk == room.owner_id,
        "upgrade_url": reverse("accounts:account") + "#plan",
        "price_label": PLAN_PRICE_LABEL,
    }


# Currencies Stripe counts in whole units (no cents).
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)


@register.filter
def money(amount: int, currency: str) -> str:
    """Stripe's smallest-unit amount for people: 500, "usd" → "5.00 USD"."""
    code = (currency or "").lower()
    if code in ZERO_DECIMAL_CURRENCIES:
        return f"{int(amount)} {code.upper()}"
    return f"{int(amount) / 100:.2f} {code.upper()}"
