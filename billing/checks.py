"""Billing on (STRIPE_SECRET_KEY set) needs the rest of its settings: refuse to start without them.

`manage.py billing_setup` skips these, since it is how STRIPE_PRICE_ID is made.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

REQUIRED_WITH_BILLING = {
    "STRIPE_PUBLISHABLE_KEY": "the card form's Stripe.js needs it (pk_…)",
    "STRIPE_WEBHOOK_SECRET": "Stripe's webhooks can't be verified without it (whsec_…)",
    "STRIPE_PRICE_ID": "teachers subscribe to it; `manage.py billing_setup` prints it",
}


@register()
def billing_settings_check(app_configs, **kwargs) -> list[Error]:
    if not settings.BILLING_ENABLED:
        return []
    return [
        Error(f"STRIPE_SECRET_KEY is set but {name} is not: {why}.", id="billing.E001")
        for name, why in REQUIRED_WITH_BILLING.items()
        if not getattr(settings, name)
    ]
