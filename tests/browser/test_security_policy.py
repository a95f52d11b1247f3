"""Every page runs under the Content-Security-Policy, and the policy blocks what it should.

Every browser test fails on any violation (tests/browser/conftest.py); this
file visits each page once more, and shows that the check sees a violation.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.people import expect_live, join, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLICY_PARTS = (
    "default-src 'none'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)


def policy_of(page, path: str) -> str:
    response = page.goto(path)
    assert response is not None and response.ok, path
    return response.headers.get("content-security-policy", "")


def test_every_page_has_the_policy_and_nothing_on_it_is_blocked(open_page, owner, room):
    teacher = open_page("/accounts/login/?next=/rooms/")
    log_in(teacher, owner.obj.email)
    expect(teacher.get_by_test_id("room-search")).to_be_visible()
    student = open_page("/")

    pages = [
        (teacher, "/rooms/"),
        (teacher, "/rooms/new/"),
        (teacher, "/biology/"),
        (teacher, "/biology/transcript/"),
        (student, "/"),
        (student, "/accounts/login/"),
        (student, "/accounts/signup/"),
        (student, "/biology/projector/"),
        (student, "/biology/"),
    ]
    for page, path in pages:
        policy = policy_of(page, path)
        assert all(part in policy for part in POLICY_PARTS), (path, policy)
    join(student, "Sam")
    expect_live(student)


def test_the_check_sees_inline_code_that_the_policy_blocks(open_page, csp_violations, room):
    page = open_page("/biology/")
    expect_live(page)

    blocked = page.evaluate(
        """() => new Promise((resolve) => {
            const seen = (event) => resolve(event.effectiveDirective);
            document.addEventListener("securitypolicyviolation", seen, {once: true});
            // Without a policy nothing is blocked and no event comes.
            setTimeout(() => resolve(null), 5000);
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.body.append(script);
        })"""
    )

    assert blocked == "script-src-elem"
    assert page.evaluate("window.inlineRan") is None
    assert csp_violations == [f"{page.url}: script-src-elem blocked inline"]
    # Seen and checked: the fixture's own check is for violations nobody expected.
    csp_violations.clear()
