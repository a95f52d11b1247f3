"""What the Teacher Tools plan unlocks, and the one check that rooms call before using a tool.

Whose plan counts: the room owner's. A co-moderator acts in the owner's
room with the owner's tools, and a room the owner paid for stays fully
usable by the teachers they invited.

Only turning a tool on, or changing it, needs the plan. Turning one off,
and every setting already in force, never do: a lapsed plan must not make
a room less safe than it was.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Teacher
from billing.selectors import plan_for_teacher
from todaysmeet.errors import PaymentRequired

if TYPE_CHECKING:
    from rooms.models import Room
    from rooms.validation import RoomChanges

# The tools, as error messages name them.
TEACHER_TOOLS = {
    "topic": gettext_lazy("A room topic"),
    "pause": gettext_lazy("Pausing a room"),
    "slow_mode": gettext_lazy("Slow mode"),
    "password": gettext_lazy("A room password"),
    "mute": gettext_lazy("Muting participants"),
    "moderators": gettext_lazy("Co-moderators"),
    "transcripts": gettext_lazy("Transcripts"),
}


def teacher_tools_unlocked(*, teacher: Teacher) -> bool:
    return plan_for_teacher(teacher=teacher).tools_unlocked


def require_teacher_tools(*, owner: Teacher, tools: Collection[str]) -> None:
    """Raise 402 plan_required if `tools` (names from TEACHER_TOOLS) need a plan the room's owner lacks."""
    if not tools or teacher_tools_unlocked(teacher=owner):
        return
    tool = next(iter(tools))
    raise PaymentRequired(
        gettext(
            "%(tool)s is part of the Teacher Tools plan. "
            "The room's owner can upgrade on their account page; turning tools off stays free."
        )
        % {"tool": TEACHER_TOOLS[tool]},
        code="plan_required",
        tool=tool,
        upgrade_url=reverse("accounts:account") + "#plan",
    )


def room_settings_tools(*, room: Room, changes: RoomChanges) -> list[str]:
    """The tools that these room changes turn on or change; nothing for what turns one off."""
    tools = []
    if changes.topic and changes.topic != room.topic:
        tools.append("topic")
    if changes.paused and not room.paused:
        tools.append("pause")
    if changes.slow_mode_seconds and changes.slow_mode_seconds != room.slow_mode_seconds:
        tools.append("slow_mode")
    # Any new password counts: comparing it with the current one costs a hash.
    if changes.password:
        tools.append("password")
    return tools
