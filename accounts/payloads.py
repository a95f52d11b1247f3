"""The JSON shape of a teacher's own account (GET /api/me)."""

from __future__ import annotations

from typing import TypedDict

from accounts.models import Teacher
from billing.payloads import PlanPayload, plan_payload
from billing.selectors import plan_for_teacher


class MePayload(TypedDict):
    email: str
    display_name: str
    email_verified: bool
    email_deliverable: bool
    newsletter: bool
    # The browser's IANA time zone, which transcripts use; "" until one said.
    time_zone: str
    plan: PlanPayload


def me_payload(teacher: Teacher) -> MePayload:
    return {
        "email": teacher.email,
        # What rooms show: the chosen name, or the part of the email before the @.
        "display_name": teacher.name_in_rooms,
        "email_verified": teacher.email_verified,
        "email_deliverable": teacher.email_deliverable,
        "newsletter": teacher.newsletter,
        "time_zone": teacher.time_zone,
        "plan": plan_payload(plan_for_teacher(teacher=teacher)),
    }
