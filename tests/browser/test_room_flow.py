"""The room page in a real Chromium against a real Daphne: what each person sees."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from rooms import services
from rooms.models import Message
from tests.browser.people import expect_live, join, log_in, message_with, overloaded_once, post, texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MESSAGES_API = "**/api/rooms/biology/messages"
# The first try and the resends of stream.js's RESEND_DELAYS_MS.
SENDS_BEFORE_GIVING_UP = 5
# Reconnecting waits a jittered backoff after the server is back; allow for it.
RECONNECT_TIMEOUT_MS = 30_000


def test_a_message_reaches_everyone_and_vanishes_when_the_owner_deletes_it(open_page, room):
    teacher = open_page("/accounts/login/?next=/biology/")
    log_in(teacher, "owner@school.example")
    expect(teacher).to_have_url(re.compile(r"/biology/$"))
    expect(teacher.get_by_test_id("composer")).to_be_visible()
    expect(teacher.get_by_test_id("room-topic")).to_have_text("Cells")
    alice = open_page("/biology/")
    join(alice, "alice")
    bob = open_page("/biology/")
    join(bob, "bob")

    post(alice, "Is a virus alive?")

    for page in (alice, bob, teacher):
        expect(message_with(page, "Is a virus alive?")).to_have_count(1)
        expect(message_with(page, "Is a virus alive?")).to_have_attribute("data-state", "confirmed")
        expect(message_with(page, "Is a virus alive?").get_by_test_id("message-nickname")).to_have_text("alice")

    post(teacher, "Good question, let's vote.")
    for page in (alice, bob):
        expect(texts(page)).to_have_text(["Is a virus alive?", "Good question, let's vote."])
        expect(page.get_by_test_id("delete-message")).to_have_count(0)
    expect(teacher.get_by_test_id("delete-message")).to_have_count(2)

    message_with(teacher, "Is a virus alive?").get_by_test_id("delete-message").click()

    for page in (alice, bob, teacher):
        expect(message_with(page, "Is a virus alive?")).to_have_count(0)
        expect(texts(page)).to_have_text(["Good question, let's vote."])
    assert Message.objects.get(text="Is a virus alive?").deleted_at is not None


def test_user_text_is_shown_as_text_not_markup(open_page, room):
    mallory = open_page("/biology/")
    join(mallory, "<img src=x onerror=alert(1)>")
    reader = open_page("/biology/")

    post(mallory, "<b>bold</b> & <script>alert(2)</script>")

    message = message_with(reader, "<b>bold</b> & <script>alert(2)</script>")
    expect(message).to_have_count(1)
    expect(message.get_by_test_id("message-nickname")).to_have_text("<img src=x onerror=alert(1)>")
    expect(reader.get_by_test_id("messages").locator("b, img, script")).to_have_count(0)


def test_a_dropped_connection_resumes_without_losing_or_repeating_messages(open_page, server, room):
    kim, kim_token = services.participant_join(room=room, nickname="kim")
    sam = open_page("/biology/")
    join(sam, "sam")
    expect_live(sam)
    assert server.api("POST", "/api/rooms/biology/messages", {"text": "before the outage"}, token=kim_token)[0] == 201
    expect(message_with(sam, "before the outage")).to_have_count(1)
    notice = sam.get_by_test_id("connection-notice")
    expect(notice).to_be_hidden()

    server.stop()
    expect(notice).to_be_visible()
    expect(notice).to_have_text("Reconnecting…")
    # What happens while the page is away must show up (or vanish) when it is back.
    services.message_post(room=room, author=kim, text="while you were away")
    services.message_delete(room=room, message=Message.objects.get(text="before the outage"), deleted_by=room.owner)
    server.start()

    expect(notice).to_be_hidden(timeout=RECONNECT_TIMEOUT_MS)
    expect(texts(sam)).to_have_text(["while you were away"])
    assert server.api("POST", "/api/rooms/biology/messages", {"text": "after the restart"}, token=kim_token)[0] == 201
    expect(texts(sam)).to_have_text(["while you were away", "after the restart"])


def test_a_message_posted_while_the_page_loads_is_not_missed(open_page, server, room):
    _, kim_token = services.participant_join(room=room, nickname="kim")

    def post_while_the_history_is_in_flight(route):
        history = route.fetch()
        status, _ = server.api("POST", "/api/rooms/biology/messages", {"text": "sent during load"}, token=kim_token)
        assert status == 201
        route.fulfill(response=history)

    page = open_page(
        "/biology/",
        prepare=lambda page: page.route(
            re.compile(r"/api/rooms/biology/messages\?limit="), post_while_the_history_is_in_flight, times=1
        ),
    )

    expect_live(page)
    expect(texts(page)).to_have_text(["sent during load"])


def test_a_frame_lost_in_transit_is_fetched_from_the_events_endpoint(open_page, server, room):
    _, kim_token = services.participant_join(room=room, nickname="kim")
    dropped = []

    def drop_the_first_new_message(socket):
        upstream = socket.connect_to_server()

        def forward(text):
            if json.loads(text)["type"] == "message.created" and not dropped:
                dropped.append(text)
                return
            socket.send(text)

        upstream.on_message(forward)

    page = open_page(
        "/biology/", prepare=lambda page: page.route_web_socket("**/ws/rooms/biology/**", drop_the_first_new_message)
    )
    expect_live(page)
    gap_fills = []
    page.on("request", lambda request: "/events?since=" in request.url and gap_fills.append(request.url))

    for text in ("lost in transit", "arrives after a gap"):
        assert server.api("POST", "/api/rooms/biology/messages", {"text": text}, token=kim_token)[0] == 201

    expect(texts(page)).to_have_text(["lost in transit", "arrives after a gap"])
    assert len(dropped) == 1
    assert gap_fills == [f"{server.url}/api/rooms/biology/events?since=0"]


@pytest.mark.parametrize("server_env", [{"STREAM_REPLAY_LIMIT": "2"}])
def test_a_page_too_far_behind_reloads_the_history_instead(open_page, server, room):
    kim, kim_token = services.participant_join(room=room, nickname="kim")
    page = open_page("/biology/")
    expect_live(page)
    history_loads = []
    page.on("request", lambda request: "/messages?limit=" in request.url and history_loads.append(request.url))

    server.stop()
    expect(page.get_by_test_id("connection-notice")).to_be_visible()
    for text in ("one", "two", "three"):
        services.message_post(room=room, author=kim, text=text)
    server.start()

    expect(page.get_by_test_id("connection-notice")).to_be_hidden(timeout=RECONNECT_TIMEOUT_MS)
    expect(texts(page)).to_have_text(["one", "two", "three"])
    assert len(history_loads) == 1
    assert server.api("POST", "/api/rooms/biology/messages", {"text": "four"}, token=kim_token)[0] == 201
    expect(texts(page)).to_have_text(["one", "two", "three", "four"])


def test_the_counter_counts_code_points_like_the_server(open_page, room):
    page = open_page("/biology/")
    join(page, "sam")
    composer = page.get_by_test_id("composer-text")
    counter = page.get_by_test_id("char-counter")
    send = page.get_by_test_id("send")

    composer.fill("😀")
    expect(counter).to_have_text("1/280")
    composer.fill("  hi 😀 \n\n")
    expect(counter).to_have_text("4/280")
    composer.fill("😀" * 281)
    expect(counter).to_have_text("281/280")
    expect(counter).to_have_class(re.compile(r"\bover\b"))
    expect(send).to_be_disabled()
    composer.fill("😀" * 280)
    expect(counter).to_have_text("280/280")
    expect(send).to_be_enabled()

    send.click()

    expect(message_with(page, "😀" * 280)).to_have_attribute("data-state", "confirmed")
    expect(counter).to_have_text("0/280")


def test_enter_posts_and_shift_enter_starts_a_new_line(open_page, room):
    page = open_page("/biology/")
    join(page, "sam")
    composer = page.get_by_test_id("composer-text")

    composer.click()
    composer.press_sequentially("line one")
    composer.press("Shift+Enter")
    composer.press_sequentially("line two")
    expect(texts(page)).to_have_count(0)
    composer.press("Enter")

    expect(texts(page)).to_have_text(["line one\nline two"])
    expect(composer).to_have_value("")


def test_a_failed_post_can_be_retried_with_the_same_client_id(open_page, room):
    page = open_page("/biology/")
    join(page, "sam")
    refused = []

    def refuse(route):
        refused.append(route.request.post_data_json)
        route.abort()

    page.route(MESSAGES_API, refuse)
    post(page, "second try")
    failed = message_with(page, "second try")
    expect(failed).to_have_attribute("data-state", "failed")
    expect(failed.get_by_test_id("message-error")).to_have_text("Could not reach the server. Check your connection.")
    page.unroute(MESSAGES_API, refuse)
    # "Not sent" only once the page's own resends, a bounded few, were unanswered too.
    assert len(refused) == SENDS_BEFORE_GIVING_UP
    assert {body["client_id"] for body in refused} == {refused[0]["client_id"]}

    with page.expect_request(lambda request: request.method == "POST" and "/messages" in request.url) as retry:
        failed.get_by_test_id("retry").click()

    assert retry.value.post_data_json["client_id"] == refused[0]["client_id"]
    expect(failed).to_have_attribute("data-state", "confirmed")
    expect(message_with(page, "second try")).to_have_count(1)
    assert Message.objects.filter(text="second try").count() == 1


@pytest.mark.parametrize("proxy_answers", [[502], [503, 502], ["no answer", 503]])
def test_a_post_no_server_took_is_sent_again_by_itself_and_stored_once(open_page, room, proxy_answers):
    page = open_page("/biology/")
    join(page, "sam")
    sent = []
    # What nginx answers while the process behind it restarts: its own error page, or nothing.
    unanswered = iter(proxy_answers)

    def restarting_server(route):
        sent.append(route.request.post_data_json)
        answer = next(unanswered, None)
        if answer is None:
            route.continue_()
        elif answer == "no answer":
            route.abort()
        else:
            route.fulfill(status=answer, content_type="text/html", body=f"<html><h1>{answer}</h1></html>")

    page.route(MESSAGES_API, restarting_server)
    post(page, "sent during a deploy")

    expect(message_with(page, "sent during a deploy")).to_have_attribute("data-state", "confirmed")
    expect(message_with(page, "sent during a deploy")).to_have_count(1)
    expect(page.get_by_test_id("message-error")).to_have_count(0)
    assert [body["client_id"] for body in sent] == [sent[0]["client_id"]] * (len(proxy_answers) + 1)
    assert Message.objects.filter(text="sent during a deploy").count() == 1


def test_a_post_refused_as_overloaded_is_sent_again_no_sooner_than_retry_after(open_page, room):
    page = open_page("/biology/")
    join(page, "sam")
    sent_at = []

    page.route(MESSAGES_API, overloaded_once(sent_at))
    post(page, "sent to a busy server")

    expect(message_with(page, "sent to a busy server")).to_have_attribute("data-state", "confirmed")
    # The page's own first resend comes after 125 to 250 ms; the server asked for 1 s.
    assert len(sent_at) == 2
    assert sent_at[1] - sent_at[0] >= 1.0
    assert Message.objects.filter(text="sent to a busy server").count() == 1


def test_a_join_no_server_took_is_sent_again_by_itself(open_page, room):
    page = open_page("/biology/")
    sent = []

    def dropped_once(route):
        sent.append(route.request.post_data_json)
        if len(sent) == 1:
            route.abort()
        else:
            route.continue_()

    page.route("**/api/rooms/biology/join", dropped_once)
    join(page, "sam")

    assert sent == [{"nickname": "sam"}, {"nickname": "sam"}]
    expect(page.get_by_test_id("join-error")).to_be_hidden()
    assert list(room.participants.values_list("nickname", flat=True)) == ["sam"]


def test_a_post_whose_answer_is_lost_is_confirmed_once_by_the_stream(open_page, room):
    page = open_page("/biology/")
    join(page, "sam")
    expect_live(page)

    def lose_the_answer(route):
        route.fetch()
        route.abort()

    page.route(MESSAGES_API, lose_the_answer)
    post(page, "did it arrive?")

    expect(message_with(page, "did it arrive?")).to_have_attribute("data-state", "confirmed")
    expect(message_with(page, "did it arrive?")).to_have_count(1)
    expect(page.get_by_test_id("message-error")).to_have_count(0)
    assert Message.objects.filter(text="did it arrive?").count() == 1


def test_an_invalid_message_shows_the_servers_reason_and_can_be_edited(open_page, room):
    page = open_page("/biology/")
    join(page, "sam")
    sent = []
    page.on("request", lambda request: request.method == "POST" and "/messages" in request.url and sent.append(1))

    post(page, "flip \u202e this")

    failed = message_with(page, "flip \u202e this")
    expect(failed.get_by_test_id("message-error")).to_have_text("The message contains characters that are not allowed.")
    # A refusal is an answer: sending it again could not help.
    assert len(sent) == 1
    failed.get_by_test_id("edit-failed").click()
    expect(failed).to_have_count(0)
    expect(page.get_by_test_id("composer-text")).to_have_value("flip \u202e this")


@pytest.mark.parametrize("server_env", [{"POST_RATE_BURST": "1", "POST_RATE_PER_MINUTE": "1"}])
def test_posting_too_fast_says_when_to_retry(open_page, room):
    page = open_page("/biology/")
    join(page, "sam")
    post(page, "first")
    expect(message_with(page, "first")).to_have_attribute("data-state", "confirmed")

    post(page, "second")

    error = message_with(page, "second").get_by_test_id("message-error")
    expect(error).to_have_text(re.compile(r"^You are posting too fast\. .* You can retry in \d+ s\.$"))
    expect(message_with(page, "second").get_by_test_id("retry")).to_be_visible()


def test_scrolling_up_loads_older_messages_and_keeps_the_view_still(open_page, room):
    for number in range(1, 121):
        services.message_post(room=room, author=room.owner, text=f"message {number}")
    page = open_page("/biology/")
    scroller = page.get_by_test_id("scroller")
    expect(texts(page)).to_have_count(50)
    expect(texts(page).first).to_have_text("message 71")
    expect(message_with(page, "message 120")).to_be_in_viewport()
    expect(page.get_by_test_id("history-start")).to_be_hidden()

    # Scroll to the top and note where the oldest loaded message sits, in one
    # step, before the page can react.
    top_before = scroller.evaluate(
        """scroller => {
            scroller.scrollTop = 0;
            return document.querySelector("[data-seq='71']").getBoundingClientRect().top;
        }"""
    )
    expect(texts(page)).to_have_count(100)
    top_after = message_with(page, "message 71").evaluate("item => item.getBoundingClientRect().top")
    assert abs(top_after - top_before) < 2

    scroller.evaluate("scroller => { scroller.scrollTop = 0; }")
    expect(texts(page)).to_have_count(120)
    expect(texts(page)).to_have_text([f"message {number}" for number in range(1, 121)])
    expect(page.get_by_test_id("history-start")).to_be_visible()
    expect(page.get_by_test_id("load-older")).to_be_hidden()
