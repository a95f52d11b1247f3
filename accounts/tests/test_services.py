from __future__ import annotations

import pytest

from accounts import selectors, services
from todaysmeet.errors import Conflict, Invalid

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase"


def test_creating_a_teacher_stores_the_email_lowercase():
    teacher = services.teacher_create(email="  Ada@School.Example ", password=PASSWORD)

    assert teacher.email == "ada@school.example"


def test_creating_a_teacher_stores_only_a_password_hash():
    teacher = services.teacher_create(email="ada@school.example", password=PASSWORD)

    assert teacher.password != PASSWORD
    assert teacher.check_password(PASSWORD)


def test_an_email_taken_in_another_case_is_a_conflict():
    services.teacher_create(email="ada@school.example", password=PASSWORD)

    with pytest.raises(Conflict) as raised:
        services.teacher_create(email="ADA@school.example", password=PASSWORD)

    assert raised.value.code == "email_taken"


@pytest.mark.parametrize("email", [None, "", "   ", "not-an-email", "two@@signs.example", 42])
def test_an_invalid_email_is_refused(email):
    with pytest.raises(Invalid):
        services.teacher_create(email=email, password=PASSWORD)


@pytest.mark.parametrize("password", [None, "", "short", "12345678901234", "password123", "ada@school.example"])
def test_a_password_that_fails_the_validators_is_refused(password):
    with pytest.raises(Invalid):
        services.teacher_create(email="ada@school.example", password=password)


def test_an_email_longer_than_the_column_is_refused_as_invalid():
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".example"

    with pytest.raises(Invalid):
        services.teacher_create(email=email, password=PASSWORD)


def test_authenticating_ignores_the_email_case():
    teacher = services.teacher_create(email="ada@school.example", password=PASSWORD)

    assert services.teacher_authenticate(email="Ada@School.EXAMPLE", password=PASSWORD) == teacher


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ada@school.example", "the wrong passphrase"),
        ("nobody@school.example", PASSWORD),
        (None, PASSWORD),
        ("ada@school.example", None),
        ("ada\x00@school.example", PASSWORD),
    ],
)
def test_authenticating_with_bad_credentials_finds_nobody(email, password):
    services.teacher_create(email="ada@school.example", password=PASSWORD)

    assert services.teacher_authenticate(email=email, password=password) is None


def test_an_issued_token_identifies_its_teacher():
    teacher = services.teacher_create(email="ada@school.example", password=PASSWORD)

    token = services.teacher_token_issue(teacher=teacher)

    assert selectors.teacher_for_token(token) == teacher


def test_each_issued_token_is_different_and_stored_only_as_a_hash():
    teacher = services.teacher_create(email="ada@school.example", password=PASSWORD)

    first = services.teacher_token_issue(teacher=teacher)
    second = services.teacher_token_issue(teacher=teacher)

    assert first != second
    stored = set(teacher.tokens.values_list("key_hash", flat=True))
    assert first not in stored
    assert second not in stored


def test_a_deactivated_teachers_token_identifies_nobody():
    teacher = services.teacher_create(email="ada@school.example", password=PASSWORD)
    token = services.teacher_token_issue(teacher=teacher)
    teacher.is_active = False
    teacher.save()

    assert selectors.teacher_for_token(token) is None


def test_an_unknown_token_identifies_nobody():
    assert selectors.teacher_for_token("not-a-token") is None


def test_the_name_in_rooms_defaults_to_the_local_part_of_the_email():
    teacher = services.teacher_create(email="ada.lovelace@school.example", password=PASSWORD)

    assert teacher.name_in_rooms == "ada.lovelace"
