"""The colours participants are told apart by."""

from __future__ import annotations

# Each reads at WCAG AA (4.5:1 or better) on white, and neighbours differ in
# hue, so the first dozen people in a room all look different.
PARTICIPANT_COLORS = (
    "#b91c1c",
    "#0f766e",
    "#6d28d9",
    "#a16207",
    "#1d4ed8",
    "#be123c",
    "#15803d",
    "#a21caf",
    "#c2410c",
    "#0369a1",
    "#4d7c0f",
    "#475569",
)


def participant_color(joined_before: int) -> str:
    """The colour of a room's next participant, given how many joined before them."""
    return PARTICIPANT_COLORS[joined_before % len(PARTICIPANT_COLORS)]
