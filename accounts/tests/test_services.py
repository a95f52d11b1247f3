from __future__ import annotations

import pytest

from accounts import selectors, services
from accounts.models import Teacher
from conftest import PASSWORD, teacher_signed_up
from todaysmeet.errors import Invalid

pytestmark = pytest.mark.django_db


def signed_up(email: str = "ada@school.example") -> Teacher:
    services.teacher_sign_up(email=email, password=PASSWORD)
    return Teacher.objects.get(email=email.strip().lower())


def test_signing_up_stores_the_email_lowercase_and_answers_it():
    sign_up = services.teacher_sign_up(email="  Ada@School.Example ", password=PASSWORD)

    assert sign_up.email == "ada@school.example"
    assert Teacher.objects.get().email == "ada@school.example"


def test_signing_up_stores_only_a_password_hash():
    teacher = signed_up()

    assert teacher.password != PASSWORD
    assert teacher.check_password(PASSWORD)


def test_a_new_account_waits_for_its_link_and_cannot_sign_in_before():
    teacher = signed_up()

    assert services.is_pending(teacher)
    assert services.teacher_authenticate(email="ada@school.example", password=PASSWORD) is None


def test_confirming_makes_the_account_work_and_verifies_the_address():
    teacher = services.teacher_sign_up_confirm(teacher=signed_up())

    assert teacher.is_active
    assert teacher.email_verified
    assert services.teacher_authenticate(email="ada@school.example", password=PASSWORD) == teacher


def test_signing_up_again_before_confirming_replaces_the_password():
    signed_up()

    services.teacher_sign_up(email="ADA@school.example", password="another long passphrase")

    teacher = Teacher.objects.get()
    assert teacher.check_password("another long passphrase")
    assert services.is_pending(teacher)


def test_signing_up_with_a_known_address_changes_nothing_and_answers_the_same():
    teacher = services.teacher_sign_up_confirm(teacher=signed_up())

    again = services.teacher_sign_up(email="ADA@school.example", password="another long passphrase")

    assert again.email == "ada@school.example"
    assert Teacher.objects.get() == teacher
    assert Teacher.objects.get().check_password(PASSWORD)


def test_signing_up_again_never_revives_an_account_an_operator_switched_off():
    teacher = services.teacher_sign_up_confirm(teacher=signed_up())
    teacher.is_active = False
    teacher.save()

    services.teacher_sign_up(email="ada@school.example", password="another long passphrase")

    assert not services.is_pending(Teacher.objects.get())
    assert Teacher.objects.get().check_password(PASSWORD)


@pytest.mark.parametrize("email", [None, "", "   ", "not-an-email", "two@@signs.example", 42])
def test_an_invalid_email_is_refused(email):
    with pytest.raises(Invalid):
        services.teacher_sign_up(email=email, password=PASSWORD)


@pytest.mark.parametrize("password", [None, "", "short", "12345678901234", "password123", "ada@school.example"])
def test_a_password_that_fails_the_validators_is_refused(password):
    with pytest.raises(Invalid):
        services.teacher_sign_up(email="ada@school.example", password=password)


def test_an_email_longer_than_the_column_is_refused_as_invalid():
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".example"

    with pytest.raises(Invalid):
        services.teacher_sign_up(email=email, password=PASSWORD)


def test_authenticating_ignores_the_email_case():
    teacher = teacher_signed_up("ada@school.example")

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
    teacher_signed_up("ada@school.example")

    assert services.teacher_authenticate(email=email, password=password) is None


def test_an_issued_token_identifies_its_teacher():
    teacher = teacher_signed_up("ada@school.example")

    token = services.teacher_token_issue(teacher=teacher)

    assert selectors.teacher_for_token(token) == teacher


def test_each_issued_token_is_different_and_stored_only_as_a_hash():
    teacher = teacher_signed_up("ada@school.example")

    first = services.teacher_token_issue(teacher=teacher)
    second = services.teacher_token_issue(teacher=teacher)

    assert first != second
    stored = set(teacher.tokens.values_list("key_hash", flat=True))
    assert first not in stored
    assert second not in stored


def test_a_deactivated_teachers_token_identifies_nobody():
    teacher = teacher_signed_up("ada@school.example")
    token = services.teacher_token_issue(teacher=teacher)
    teacher.is_active = False
    teacher.save()

    assert selectors.teacher_for_token(token) is None


def test_an_unknown_token_identifies_nobody():
    assert selectors.teacher_for_token("not-a-token") is None


def test_the_name_in_rooms_defaults_to_the_local_part_of_the_email():
    teacher = teacher_signed_up("ada.lovelace@school.example")

    assert teacher.name_in_rooms == "ada.lovelace"
