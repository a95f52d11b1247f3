"""Moderation that holds, in a real Chromium against a real Daphne.

Every page here comes from 127.0.0.1, as a class behind one school address
would: a new browser context is a student's private window, or a classmate.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from conftest import moderator_made
from tests.browser.people import expect_live, join, message_with, participant_page, post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def participant_row(teacher: Page, nickname: str):
    return teacher.get_by_test_id("participant").filter(
        has=teacher.get_by_test_id("participant-nickname").get_by_text(nickname, exact=True)
    )


def test_a_muted_student_gets_no_fresh_voice_from_a_reload_a_new_nickname_or_a_private_window(
    open_page, teacher_page, room
):
    loud = participant_page(open_page, "loud")
    teacher = teacher_page()
    participant_row(teacher, "loud").get_by_test_id("mute").click()
    expect(loud.get_by_test_id("muted-notice")).to_be_visible()

    loud.reload()
    expect(loud.get_by_test_id("muted-notice")).to_be_visible()
    expect(loud.get_by_test_id("composer-text")).to_be_disabled()

    private_window = open_page("/biology/")
    join(private_window, "not loud")

    expect(private_window.get_by_test_id("muted-notice")).to_be_visible()
    expect(private_window.get_by_test_id("composer-text")).to_be_disabled()
    # The teacher sees why someone nobody muted is muted, and may unmute them alone.
    teacher.get_by_test_id("refresh-participants").click()
    newcomer = participant_row(teacher, "not loud")
    expect(newcomer.get_by_test_id("participant-muted-from")).to_contain_text("same network as loud")
    newcomer.get_by_test_id("unmute").click()
    expect(private_window.get_by_test_id("muted-notice")).to_be_hidden()
    post(private_window, "I am someone else")
    expect(message_with(teacher, "I am someone else")).to_have_count(1)
    expect(loud.get_by_test_id("muted-notice")).to_be_visible()


def test_removing_a_student_cuts_them_off_at_once_and_they_stay_out(open_page, teacher_page, room):
    alice = participant_page(open_page, "alice")
    bob = participant_page(open_page, "bob")
    teacher = teacher_page()
    teacher.once("dialog", lambda dialog: dialog.accept())

    participant_row(teacher, "alice").get_by_test_id("block").click()

    expect(alice.get_by_test_id("removed-notice")).to_be_visible()
    expect(alice.get_by_test_id("composer")).to_be_hidden()
    expect(alice.get_by_test_id("join-form")).to_be_hidden()
    expect(alice.get_by_test_id("scroller")).to_have_attribute("data-stream", "removed")
    row = participant_row(teacher, "alice")
    expect(row.get_by_test_id("participant-removed")).to_be_visible()
    expect(row.get_by_test_id("unblock")).to_be_visible()
    post(bob, "still here")
    expect(message_with(teacher, "still here")).to_have_count(1)

    alice.reload()
    expect(alice.get_by_test_id("removed-notice")).to_be_visible()
    expect(alice.get_by_test_id("join-form")).to_be_hidden()


def test_a_declined_confirmation_removes_nobody(open_page, teacher_page, room):
    participant_page(open_page, "alice")
    teacher = teacher_page()
    teacher.once("dialog", lambda dialog: dialog.dismiss())

    participant_row(teacher, "alice").get_by_test_id("block").click()

    expect(participant_row(teacher, "alice").get_by_test_id("block")).to_be_enabled()
    expect(participant_row(teacher, "alice").get_by_test_id("participant-removed")).to_have_count(0)


def test_locking_joining_keeps_newcomers_out_and_the_class_in(open_page, teacher_page, room):
    alice = participant_page(open_page, "alice")
    latecomer = open_page("/biology/")
    expect_live(latecomer)
    teacher = teacher_page()

    teacher.get_by_test_id("toggle-joining").click()

    expect(teacher.get_by_test_id("toggle-joining")).to_have_text("Unlock joining")
    expect(teacher.get_by_test_id("room-status")).to_contain_text("joining locked")
    expect(latecomer.get_by_test_id("joining-locked-notice")).to_be_visible()
    expect(latecomer.get_by_test_id("join-form")).to_be_hidden()
    alice.reload()
    expect(alice.get_by_test_id("composer")).to_be_visible()
    post(alice, "I was here before")
    expect(message_with(teacher, "I was here before")).to_have_count(1)

    teacher.get_by_test_id("toggle-joining").click()

    expect(latecomer.get_by_test_id("join-form")).to_be_visible()
    join(latecomer, "bob")


def test_a_co_moderator_removed_by_the_owner_loses_the_tools_at_once(open_page, teacher_page, other_teacher, room):
    moderator_made(room, other_teacher.obj)
    colleague = teacher_page("colleague@school.example")
    expect(colleague.get_by_test_id("moderator-tools")).to_be_visible()
    owner = teacher_page()
    owner.get_by_test_id("moderators-panel").locator("summary").click()

    owner.get_by_test_id("moderator").get_by_test_id("remove-moderator").click()

    # Its socket is closed (4401), and the page comes back as what they now are.
    expect(colleague.get_by_test_id("moderator-tools")).to_have_count(0)
    expect(colleague.get_by_test_id("join-form")).to_be_visible()
    expect_live(colleague)


def test_a_teacher_who_signs_out_in_another_tab_loses_the_room_tab_at_once(teacher_page, server, owner, room):
    assert server.api("PATCH", "/api/rooms/biology", {"password": "open sesame"}, token=owner.token)[0] == 200
    room_tab = teacher_page()
    other_tab = room_tab.context.new_page()
    other_tab.goto("/accounts/logout/")

    other_tab.get_by_test_id("logout-form").get_by_role("button", name="Log out").click()

    expect(room_tab.get_by_test_id("moderator-tools")).to_have_count(0)
    expect(room_tab.get_by_test_id("unlock-form")).to_be_visible()
