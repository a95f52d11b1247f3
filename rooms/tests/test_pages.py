"""The HTML pages for rooms: home, new room, and the room page."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from rooms import services
from rooms.models import Room

pytestmark = pytest.mark.django_db

ROOM_CONFIG = re.compile(r'<script id="room-config" type="application/json">(.*?)</script>', re.DOTALL)
ROOM_PASSWORD = "open sesame"


def logged_in(persona) -> Client:
    client = Client()
    client.force_login(persona.obj)
    return client


@pytest.fixture
def owner_client(owner) -> Client:
    return logged_in(owner)


def join(client: Client, nickname: str, **extra) -> dict:
    answer = client.post("/api/rooms/biology/join", {"nickname": nickname, **extra}, content_type="application/json")
    assert answer.status_code in (200, 201), answer.content
    return answer.json()["participant"]


def make_private(room, password: str = ROOM_PASSWORD) -> None:
    services.room_update(room=room, changes={"password": password})


def room_config(response) -> dict:
    match = ROOM_CONFIG.search(response.content.decode())
    assert match, "the room page embeds its config with json_script"
    return json.loads(match.group(1))


# --- Home --------------------------------------------------------------------


def test_home_offers_joining_and_creating_a_room(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'name="room"' in response.content
    assert b'href="/rooms/new/"' in response.content


def test_joining_by_name_redirects_to_the_room(client, room):
    response = client.get("/", {"room": "  Biology "})
    assert response.status_code == 302
    assert response["Location"] == "/biology/"


def test_joining_an_unknown_room_shows_an_error(client):
    response = client.get("/", {"room": "nowhere"})
    assert response.status_code == 200
    assert "There is no room called “nowhere”." in response.content.decode()
    assert b'value="nowhere"' in response.content


def test_an_unknown_room_name_is_shown_escaped(client):
    response = client.get("/", {"room": "<b>x</b>"})
    assert b"<b>x</b>" not in response.content
    assert b"&lt;b&gt;x&lt;/b&gt;" in response.content


def test_navigation_offers_sign_up_and_log_in_to_strangers(client):
    content = client.get("/").content.decode()
    assert 'href="/accounts/signup/"' in content
    assert 'href="/accounts/login/"' in content
    assert "Log out" not in content


def test_navigation_shows_the_signed_in_teacher_with_a_logout_form(owner_client):
    content = owner_client.get("/").content.decode()
    assert "owner@school.example" in content
    assert re.search(r'<form method="post" action="/accounts/logout/"', content)
    assert 'href="/accounts/login/"' not in content


# --- New room ----------------------------------------------------------------


def test_creating_a_room_requires_logging_in(client):
    response = client.get("/rooms/new/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/rooms/new/"


def test_a_teacher_creates_a_room_through_the_form(owner_client, owner):
    assert owner_client.get("/rooms/new/").status_code == 200

    response = owner_client.post("/rooms/new/", {"name": "Chem-101", "topic": "Acids and bases"})

    assert response.status_code == 302
    assert response["Location"] == "/chem-101/"
    room = Room.objects.get(name="chem-101")
    assert room.owner == owner.obj
    assert room.topic == "Acids and bases"


def test_the_form_offers_each_lifetime_with_a_week_chosen(owner_client):
    content = owner_client.get("/rooms/new/").content.decode()

    choices = re.findall(r'<input type="radio" name="lifetime" value="([^"]+)"( checked)?>\s*([^<]+)</label>', content)
    assert [(value, label.strip()) for value, _, label in choices] == [
        ("2h", "2 hours"),
        ("1d", "1 day"),
        ("1w", "1 week"),
        ("1mo", "1 month"),
        ("1y", "1 year"),
    ]
    assert [value for value, checked, _ in choices if checked] == ["1w"]


@pytest.mark.parametrize(("lifetime", "span"), [("2h", timedelta(hours=2)), ("1y", timedelta(days=365))])
def test_the_chosen_lifetime_sets_when_the_room_closes(owner_client, clock, lifetime, span):
    clock.freeze()

    response = owner_client.post("/rooms/new/", {"name": "chem-101", "lifetime": lifetime})

    assert response.status_code == 302
    room = Room.objects.get(name="chem-101")
    assert room.lifetime == lifetime
    assert room.closes_at == clock.now() + span


def test_a_room_created_without_a_lifetime_lasts_a_week(owner_client, clock):
    clock.freeze()

    owner_client.post("/rooms/new/", {"name": "chem-101"})

    assert Room.objects.get(name="chem-101").closes_at == clock.now() + timedelta(days=7)


def test_an_unknown_lifetime_is_refused_and_the_form_kept(owner_client):
    response = owner_client.post("/rooms/new/", {"name": "chem-101", "topic": "Kept", "lifetime": "forever"})

    assert response.status_code == 400
    assert "The lifetime is one of" in response.content.decode()
    assert 'value="chem-101"' in response.content.decode()
    assert not Room.objects.exists()


def test_an_invalid_room_name_shows_the_error_and_keeps_what_was_typed(owner_client):
    response = owner_client.post("/rooms/new/", {"name": "-bad name-", "topic": "Kept topic"})

    assert response.status_code == 400
    content = response.content.decode()
    assert "A room name is 3–40 lowercase letters" in content
    assert 'value="-bad name-"' in content
    assert 'value="Kept topic"' in content
    assert not Room.objects.exists()


def test_a_reserved_room_name_is_refused(owner_client):
    response = owner_client.post("/rooms/new/", {"name": "admin"})
    assert response.status_code == 400
    assert "is reserved" in response.content.decode()


def test_a_taken_room_name_is_refused(owner_client, room):
    response = owner_client.post("/rooms/new/", {"name": "biology"})
    assert response.status_code == 400
    assert "That room name is taken." in response.content.decode()


# --- Room page ---------------------------------------------------------------


def test_an_unknown_room_is_404(client):
    assert client.get("/nowhere/").status_code == 404


def test_the_room_page_redirects_to_the_lowercase_name(client, room):
    response = client.get("/BIOLOGY/")
    assert response.status_code == 302
    assert response["Location"] == "/biology/"


def test_the_room_page_shows_name_topic_and_share_url(client, room):
    content = client.get("/biology/").content.decode()
    assert '<h1 data-testid="room-name">biology</h1>' in content
    assert "Cells" in content
    assert "http://testserver/biology/" in content


def test_the_room_page_sets_the_csrf_cookie_its_script_posts_with(client, room):
    response = client.get("/biology/")
    assert settings.CSRF_COOKIE_NAME in response.cookies


def test_a_stranger_is_asked_for_a_nickname(client, room):
    config = room_config(client.get("/biology/"))
    assert config["me"] is None
    assert config["role"] is None
    assert config["locked"] is False
    assert config["room"]["name"] == "biology"
    assert config["maxLength"] == 280


def test_the_owner_posts_under_their_display_name_without_joining(owner_client, room):
    config = room_config(owner_client.get("/biology/"))
    assert config["role"] == "owner"
    assert config["me"] == {"nickname": "owner", "role": "owner"}


def test_a_browser_that_joined_is_remembered_with_its_colour(client, room):
    participant = join(client, "sam")

    config = room_config(client.get("/biology/"))

    assert config["me"] == {
        "id": participant["id"],
        "nickname": "sam",
        "color": participant["color"],
        "muted": False,
        "removed": False,
    }
    assert re.fullmatch(r"#[0-9a-f]{6}", config["me"]["color"])
    assert config["role"] is None


def test_a_muted_participant_learns_it_from_the_page(client, room):
    participant = join(client, "sam")
    services.participant_mute(room=room, participant=room.participants.get(pk=participant["id"]), muted=True)

    config = room_config(client.get("/biology/"))

    assert config["me"]["muted"] is True


def test_another_teacher_is_not_the_owner(other_teacher, room):
    config = room_config(logged_in(other_teacher).get("/biology/"))
    assert config["role"] is None
    assert config["me"] is None


def test_the_owner_gets_the_moderator_view_of_the_room_and_every_tool(owner_client, room):
    response = owner_client.get("/biology/")

    config = room_config(response)
    assert config["room"]["role"] == "owner"
    assert config["room"]["open_reports"] == 0
    content = response.content.decode()
    for tool in ("room-panel", "reports-panel", "participants-panel", "messages-panel", "moderators-panel"):
        assert f'data-testid="{tool}"' in content
    assert 'data-testid="delete-room"' in content
    assert 'href="/biology/projector/"' in content
    assert 'href="/biology/transcript/"' in content
    assert 'href="/api/rooms/biology/transcript.csv"' in content
    assert 'href="/api/rooms/biology/transcript.json"' in content


def test_a_moderator_gets_the_tools_but_not_the_owners(moderator, room, make_participant):
    reporter = make_participant(room, "kim")
    message, _ = services.message_post(room=room, author=reporter.obj, text="mean words")
    services.report_create(room=room, reporter=reporter.obj, message=message)

    response = logged_in(moderator).get("/biology/")

    config = room_config(response)
    assert config["role"] == "moderator"
    assert config["me"] == {"nickname": "helper", "role": "moderator"}
    assert config["room"]["role"] == "moderator"
    assert config["room"]["open_reports"] == 1
    content = response.content.decode()
    assert 'data-testid="reports-panel"' in content
    assert 'data-testid="moderators-panel"' not in content
    assert 'data-testid="delete-room"' not in content


@pytest.mark.parametrize("who", ["anonymous", "participant", "other_teacher"])
def test_people_who_do_not_run_the_room_get_no_tools_and_no_moderator_fields(who, room, other_teacher):
    client = logged_in(other_teacher) if who == "other_teacher" else Client()
    if who == "participant":
        join(client, "sam")

    response = client.get("/biology/")

    config = room_config(response)
    assert config["role"] is None
    assert "role" not in config["room"]
    assert "open_reports" not in config["room"]
    assert 'data-testid="moderator-tools"' not in response.content.decode()


def test_the_page_config_carries_the_rooms_state(owner_client, room):
    services.room_update(room=room, changes={"paused": True, "slow_mode_seconds": 30})

    config = room_config(owner_client.get("/biology/"))

    assert config["room"]["paused"] is True
    assert config["room"]["slow_mode_seconds"] == 30
    assert config["room"]["is_private"] is False
    assert config["room"]["lifetime"] == "1w"


def test_a_closed_room_says_so_in_its_config(client, room, clock):
    clock.advance(timedelta(days=8))

    config = room_config(client.get("/biology/"))

    assert config["room"]["is_open"] is False


# --- Private rooms -------------------------------------------------------------


def test_a_private_room_asks_a_stranger_for_the_password_and_shows_nothing_inside(client, room):
    make_private(room)

    response = client.get("/biology/")

    assert response.status_code == 200
    config = room_config(response)
    assert config["locked"] is True
    assert config["me"] is None
    assert config["room"] == {
        "name": "biology",
        "url": "http://testserver/biology/",
        "is_private": True,
        "is_open": True,
    }
    content = response.content.decode()
    assert "Cells" not in content
    assert 'data-testid="unlock-form"' in content


def test_a_participant_who_joined_with_the_password_reads_the_private_room(client, room):
    make_private(room)
    join(client, "sam", password=ROOM_PASSWORD)

    response = client.get("/biology/")

    config = room_config(response)
    assert config["locked"] is False
    assert config["me"]["nickname"] == "sam"
    assert config["room"]["topic"] == "Cells"


def test_a_new_password_locks_out_who_joined_before_and_remembers_their_nickname(client, room):
    join(client, "sam")
    make_private(room)

    config = room_config(client.get("/biology/"))

    assert config["locked"] is True
    assert config["me"] is None
    assert config["rememberedNickname"] == "sam"


def test_a_moderator_reads_a_private_room_without_the_password(moderator, room):
    make_private(room)

    config = room_config(logged_in(moderator).get("/biology/"))

    assert config["locked"] is False
    assert config["room"]["topic"] == "Cells"


def test_a_private_room_page_asks_who_a_participant_is_once(client, room, django_assert_num_queries):
    make_private(room)
    join(client, "sam", password=ROOM_PASSWORD)

    # The room, the session, and the session's participant in the room.
    with django_assert_num_queries(3):
        response = client.get("/biology/")

    assert room_config(response)["me"]["nickname"] == "sam"


def test_a_private_room_page_asks_who_a_moderator_is_once(moderator, room, django_assert_num_queries):
    make_private(room)
    client = logged_in(moderator)

    # The room, the session, the teacher, their moderator link, and the open reports they are shown.
    with django_assert_num_queries(5):
        response = client.get("/biology/")

    assert room_config(response)["role"] == "moderator"


def test_user_text_in_the_room_page_is_escaped(client, owner):
    services.room_create(owner=owner.obj, name="xss", topic="<script>alert('topic')</script>")

    response = client.get("/xss/")

    content = response.content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(&#x27;topic&#x27;)&lt;/script&gt;" in content
    # json_script escapes "<" so the config can't close its own <script> tag.
    assert "\\u003Cscript\\u003Ealert('topic')\\u003C/script\\u003E" in content
    assert room_config(response)["room"]["topic"] == "<script>alert('topic')</script>"
    scripts = re.findall(r"<script\b[^>]*>", content)
    assert scripts == [
        '<script src="/jsi18n/">',
        '<script id="room-config" type="application/json">',
        '<script type="module" src="/static/rooms/room.js">',
    ]


def test_templates_and_scripts_never_insert_raw_html():
    root = Path(settings.BASE_DIR)
    for template in (root / "templates").rglob("*.html"):
        assert "|safe" not in template.read_text(), template
        assert "autoescape off" not in template.read_text(), template
    for script in (root / "rooms" / "static").rglob("*.js"):
        text = script.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert sink not in text, f"{script} uses {sink}"
