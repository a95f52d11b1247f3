"""axe-core in the browser tests: the WCAG 2.2 AA rules, run on a page as it is now."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

# WCAG 2.0, 2.1 and 2.2 at levels A and AA; target-size (2.5.8) is tagged
# wcag22aa, and named again so that a change of its tags can't drop it.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "rules": {"target-size": {"enabled": True}},
    "resultTypes": ["violations"],
}

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
SCHEMES = ("light", "dark")

# Axe.run injects axe-core with page.evaluate, which Playwright sends over the
# DevTools protocol: the page's Content-Security-Policy doesn't apply to it, so
# the tests keep the real CSP (and its violation check) on.
_axe = Axe()


def axe_violations(page: Page) -> list[str]:
    """Every axe violation on the page, one line each: rule, impact, and the elements it found."""
    results = _axe.run(page, options=AXE_OPTIONS)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + "; ".join(" ".join(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
    ]


def violations_in_every_look(page: Page) -> list[str]:
    """axe on the page at phone and desktop sizes, in light and dark colour schemes; what it found, labelled."""
    found = []
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            found += [f"{page.url} {size_name} {scheme}: {line}" for line in axe_violations(page)]
    return found
