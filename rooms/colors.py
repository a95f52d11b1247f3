"""The colours participants are told apart by."""

from __future__ import annotations

# Okabe & Ito's palette (2008), made to stay apart for people with any common
# colour vision deficiency: no two are closer than CIE76 ΔE 15 seen with
# normal vision, protanopia, deuteranopia or tritanopia (rooms/tests/test_colors.py).
# The dot also carries the nickname's initials, black or white, whichever
# reads on it (dom.js), so the colour is never the only cue.
PARTICIPANT_COLORS = (
    "#e69f00",  # orange
    "#0072b2",  # blue
    "#009e73",  # bluish green
    "#cc79a7",  # reddish purple
    "#56b4e9",  # sky blue
    "#d55e00",  # vermillion
    "#f0e442",  # yellow
    "#000000",  # black
)


def participant_color(joined_before: int) -> str:
    """The colour of a room's next participant, given how many joined before them."""
    return PARTICIPANT_COLORS[joined_before % len(PARTICIPANT_COLORS)]
