"""The participant palette: told apart with any common colour vision deficiency, with initials readable on it."""

from __future__ import annotations

import itertools

import pytest

from rooms.colors import PARTICIPANT_COLORS

# How a person with the deficiency sees linear RGB: Machado, Oliveira and
# Fernandes (2009), "A Physiologically-based Model for Simulation of Color
# Vision Deficiency", at severity 1.0 (the full dichromacy).
SIMULATIONS = {
    "normal vision": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}
# CIE76: about 2.3 is just noticeable; 15 is two colours nobody mixes up at a glance.
MINIMUM_DELTA_E = 15


def linear_rgb(color: str) -> tuple[float, float, float]:
    def channel(value: int) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return tuple(channel(int(color[index : index + 2], 16)) for index in (1, 3, 5))


def simulated(rgb: tuple[float, float, float], matrix) -> tuple[float, ...]:
    mixed = (sum(weight * value for weight, value in zip(row, rgb, strict=True)) for row in matrix)
    return tuple(min(1.0, max(0.0, value)) for value in mixed)


def cie_lab(rgb: tuple[float, ...]) -> tuple[float, float, float]:
    red, green, blue = rgb
    # sRGB (D65) to XYZ, relative to the D65 white.
    x = (0.4124 * red + 0.3576 * green + 0.1805 * blue) / 0.95047
    y = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    z = (0.0193 * red + 0.1192 * green + 0.9505 * blue) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e(first: str, second: str, matrix) -> float:
    a, b = (cie_lab(simulated(linear_rgb(color), matrix)) for color in (first, second))
    return sum((p - q) ** 2 for p, q in zip(a, b, strict=True)) ** 0.5


def luminance(color: str) -> float:
    red, green, blue = linear_rgb(color)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: float, second: float) -> float:
    return (max(first, second) + 0.05) / (min(first, second) + 0.05)


@pytest.mark.parametrize("vision", SIMULATIONS)
def test_every_two_colours_stay_far_apart(vision):
    closest = min(
        (delta_e(first, second, SIMULATIONS[vision]), first, second)
        for first, second in itertools.combinations(PARTICIPANT_COLORS, 2)
    )

    assert closest[0] >= MINIMUM_DELTA_E, closest


def test_the_palette_has_no_repeats_and_only_hex_colours():
    assert len(set(PARTICIPANT_COLORS)) == len(PARTICIPANT_COLORS) >= 8
    assert all(len(color) == 7 and color == color.lower() and color.startswith("#") for color in PARTICIPANT_COLORS)


@pytest.mark.parametrize("color", PARTICIPANT_COLORS)
def test_the_initials_read_at_wcag_aa_on_every_colour(color):
    # dom.js's rule: black initials above luminance 0.179, white below.
    ink = 0.0 if luminance(color) > 0.179 else 1.0

    assert contrast(luminance(color), ink) >= 4.5
