"""Live Q&A in a real Chromium against a real Daphne: upvotes, the review queue, anonymity, the projector."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from rooms import services
from tests.browser.people import expect_live, message_with, overloaded_once, participant_page, post, texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOM_API = "/api/rooms/biology"


def test_a_class_upvotes_and_the_top_order_follows_live(open_page, server, room, owner):
    for question in ("What is a gene?", "Is a virus alive?", "Why do cells die?"):
        services.message_post(room=room, author=owner.obj, text=question)
    alice, bob, cara = (participant_page(open_page, name) for name in ("alice", "bob", "cara"))
    alice.get_by_test_id("order-top").click()
    expect(texts(alice)).to_have_text(["Why do cells die?", "Is a virus alive?", "What is a gene?"])

    message_with(bob, "What is a gene?").get_by_test_id("upvote").click()
    message_with(cara, "What is a gene?").get_by_test_id("upvote").click()
    message_with(cara, "Is a virus alive?").get_by_test_id("upvote").click()

    expect(texts(alice)).to_have_text(["What is a gene?", "Is a virus alive?", "Why do cells die?"])
    expect(message_with(alice, "What is a gene?").get_by_test_id("upvote-count")).to_have_text("2")
    expect(message_with(bob, "Is a virus alive?").get_by_test_id("upvote-count")).to_have_text("1")
    expect(message_with(cara, "What is a gene?").get_by_test_id("upvote")).to_have_attribute("aria-pressed", "true")
    expect(message_with(bob, "Is a virus alive?").get_by_test_id("upvote")).to_have_attribute("aria-pressed", "false")

    # Taking a vote back counts down everywhere, and a reload remembers whose votes are whose.
    message_with(cara, "What is a gene?").get_by_test_id("upvote").click()
    expect(message_with(alice, "What is a gene?").get_by_test_id("upvote-count")).to_have_text("1")
    bob.reload()
    expect_live(bob)
    expect(message_with(bob, "What is a gene?").get_by_test_id("upvote")).to_have_attribute("aria-pressed", "true")


def test_a_vote_refused_as_overloaded_is_sent_again_no_sooner_than_retry_after(open_page, room, owner):
    question, _ = services.message_post(room=room, author=owner.obj, text="Is a virus alive?")
    alice = participant_page(open_page, "alice")
    sent_at = []

    alice.route(f"**{ROOM_API}/messages/{question.pk}/upvote", overloaded_once(sent_at))
    message_with(alice, "Is a virus alive?").get_by_test_id("upvote").click()

    expect(message_with(alice, "Is a virus alive?").get_by_test_id("upvote")).to_have_attribute("aria-pressed", "true")
    expect(message_with(alice, "Is a virus alive?").get_by_test_id("upvote-count")).to_have_text("1")
    assert len(sent_at) == 2
    assert sent_at[1] - sent_at[0] >= 1.0
    question.refresh_from_db()
    assert question.upvotes == 1


def test_answered_questions_are_marked_and_can_be_hidden(open_page, teacher_page, server, room, owner):
    services.message_post(room=room, author=owner.obj, text="Done with this one")
    alice = participant_page(open_page, "alice")
    teacher = teacher_page()

    message_with(teacher, "Done with this one").get_by_test_id("mark-answered").click()

    expect(message_with(alice, "Done with this one").get_by_test_id("answered-badge")).to_be_visible()
    alice.get_by_test_id("hide-answered").check()
    expect(message_with(alice, "Done with this one")).to_be_hidden()


def test_a_held_post_appears_for_the_teacher_and_nobody_else_until_approved(open_page, teacher_page, server, room):
    teacher = teacher_page()
    teacher.get_by_test_id("review-toggle").check()
    expect(teacher.get_by_test_id("settings-saved")).to_contain_text("review")
    alice = participant_page(open_page, "alice")
    bob = participant_page(open_page, "bob")
    expect(alice.get_by_test_id("review-hint")).to_be_visible()

    post(alice, "Can we have a break?")

    expect(message_with(alice, "Can we have a break?").get_by_test_id("post-status")).to_have_text(
        "Waiting for the teacher"
    )
    queued = teacher.get_by_test_id("queued-message").filter(has_text="Can we have a break?")
    expect(queued).to_have_count(1)
    expect(teacher.get_by_test_id("queue-count")).to_have_text("1")
    expect(message_with(teacher, "Can we have a break?")).to_have_count(0)
    # The teacher's post comes after it, and reaches bob; the held one does not.
    post(teacher, "after it")
    expect(message_with(bob, "after it")).to_have_count(1)
    expect(message_with(bob, "Can we have a break?")).to_have_count(0)

    queued.get_by_test_id("approve").click()

    for page in (alice, bob, teacher):
        expect(message_with(page, "Can we have a break?")).to_have_attribute("data-state", "confirmed")
    expect(teacher.get_by_test_id("queued-message")).to_have_count(0)
    expect(message_with(alice, "Can we have a break?")).to_have_count(1)


def test_a_rejected_post_is_told_to_its_author_only(open_page, teacher_page, server, room, owner):
    services.room_update(room=room, changes={"review": True})
    alice = participant_page(open_page, "alice")
    teacher = teacher_page()

    post(alice, "something silly")
    teacher.get_by_test_id("queued-message").filter(has_text="something silly").get_by_test_id("reject").click()

    expect(message_with(alice, "something silly").get_by_test_id("post-status")).to_have_text(
        "The teacher did not publish this"
    )
    expect(teacher.get_by_test_id("queued-message")).to_have_count(0)


def test_an_anonymous_room_shows_no_names_to_students(open_page, teacher_page, server, room):
    teacher = teacher_page()
    teacher.get_by_test_id("anonymous-toggle").check()
    expect(teacher.get_by_test_id("settings-saved")).to_contain_text("anonymous")
    alice = participant_page(open_page, "secret-alice")
    bob = participant_page(open_page, "bob")
    expect(bob.get_by_test_id("anonymous-hint")).to_be_visible()

    post(alice, "I did not understand anything")

    asked = message_with(bob, "I did not understand anything")
    expect(asked.get_by_test_id("message-nickname")).to_have_text("Anonymous")
    expect(message_with(alice, "I did not understand anything")).to_have_attribute("data-state", "confirmed")
    expect(message_with(teacher, "I did not understand anything").get_by_test_id("message-nickname")).to_have_text(
        "secret-alice"
    )
    bob.reload()
    expect_live(bob)
    expect(texts(bob)).to_have_text(["I did not understand anything"])
    assert "secret-alice" not in bob.content()
    assert "secret-alice" not in bob.get_by_test_id("messages").inner_text()


def test_the_projector_shows_the_pinned_question_and_the_qr_code(open_page, teacher_page, server, room, owner):
    services.message_post(room=room, author=owner.obj, text="What is osmosis?")
    projector = open_page("/biology/projector/")
    expect_live(projector)
    qr = projector.get_by_test_id("room-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0")
    expect(projector.get_by_test_id("pinned")).to_be_hidden()
    teacher = teacher_page()

    message_with(teacher, "What is osmosis?").get_by_test_id("pin-message").click()

    expect(projector.get_by_test_id("pinned-message").get_by_test_id("message-text")).to_have_text("What is osmosis?")
    expect(teacher.get_by_test_id("pinned-message")).to_contain_text("What is osmosis?")
    expect(teacher.get_by_test_id("room-qr")).to_be_visible()
    expect(teacher.get_by_test_id("join-url")).to_have_text(f"{server.url}/biology/")

    message_with(teacher, "What is osmosis?").get_by_test_id("pin-message").click()

    expect(projector.get_by_test_id("pinned")).to_be_hidden()
