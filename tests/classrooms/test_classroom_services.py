"""Classes, joining, the roster and instructors."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from classrooms.models import JOIN_CODE_ALPHABET, Membership, RosterEntry
from classrooms.services import (
    ALREADY_MEMBER,
    JOINING_CLOSED,
    WRONG_CODE,
    classroom_create,
    classroom_join,
    classroom_settings_update,
    roster_import,
    roster_rows,
    user_is_instructor,
)


def test_join_codes_avoid_characters_read_aloud_wrong(instructor):
    for char in "0O1lI":
        assert char not in JOIN_CODE_ALPHABET
    codes = {classroom_create(name=f"c{n}", instructor=instructor).join_code for n in range(20)}
    assert len(codes) == 20
    assert all(set(code) <= set(JOIN_CODE_ALPHABET) and len(code) == 6 for code in codes)


def test_only_instructors_create_classes(make_user):
    with pytest.raises(PermissionDenied):
        classroom_create(name="Mine", instructor=make_user("nobody"))


def test_instructor_grant_makes_an_instructor(instructor, make_user):
    assert user_is_instructor(user=instructor)
    assert not user_is_instructor(user=make_user("plain"))


def test_a_student_joins_by_code_typed_loosely(classroom, make_user):
    user = make_user("ada")
    membership = classroom_join(user=user, code=" " + classroom.join_code.lower() + " ")
    assert membership.role == Membership.STUDENT
    assert membership.classroom == classroom


def test_a_wrong_code_is_refused(classroom, make_user):
    with pytest.raises(ValidationError) as e:
        classroom_join(user=make_user("ada"), code="ZZZZZZ")
    assert e.value.messages == [WRONG_CODE.format(code="ZZZZZZ")]
    assert not Membership.objects.filter(user__username="ada").exists()


def test_joining_twice_is_refused(classroom, student):
    with pytest.raises(ValidationError) as e:
        classroom_join(user=student, code=classroom.join_code)
    assert e.value.messages == [ALREADY_MEMBER.format(name=classroom.name)]
    assert Membership.objects.filter(user=student).count() == 1


def test_a_closed_class_refuses_joining_and_a_new_code_retires_the_old(classroom, make_user):
    classroom_settings_update(classroom=classroom, joining_open=False)
    with pytest.raises(ValidationError) as e:
        classroom_join(user=make_user("ada"), code=classroom.join_code)
    assert e.value.messages == [JOINING_CLOSED.format(name=classroom.name)]
    old = classroom.join_code
    classroom_settings_update(classroom=classroom, joining_open=True, regenerate_code=True)
    assert classroom.join_code != old
    with pytest.raises(ValidationError):
        classroom_join(user=make_user("bo"), code=old)
    classroom_join(user=make_user("cy"), code=classroom.join_code)


def test_a_student_can_be_in_several_classes(instructor, student):
    second = classroom_create(name="Second", instructor=instructor)
    classroom_join(user=student, code=second.join_code)
    assert Membership.objects.filter(user=student).count() == 2


def test_roster_import_invites_and_shows_who_joined(classroom, student):
    count = roster_import(classroom=classroom, text="username,email,name\n"
                          "sam,sam@example.edu,Sam Smith\nada,ada@example.edu,Ada L\n")
    assert count == 2
    rows = {r.username: r.joined for r in roster_rows(classroom=classroom)}
    assert rows == {"sam": True, "ada": False}


def test_a_roster_with_bad_rows_names_their_lines_and_imports_nothing(classroom):
    text = ("username,email,name\nada,ada@example.edu,Ada\n,nobody@example.edu,No One\n"
            "bo,not-an-email,Bo\nada,ada2@example.edu,Ada again\n")
    with pytest.raises(ValidationError) as e:
        roster_import(classroom=classroom, text=text)
    assert e.value.messages == ["line 3: no username", "line 4: 'not-an-email' is not an email",
                                "line 5: 'ada' appears twice"]
    assert not RosterEntry.objects.exists()


def test_a_roster_without_a_header_is_refused(classroom):
    with pytest.raises(ValidationError):
        roster_import(classroom=classroom, text="ada,ada@example.edu,Ada\n")
    assert not RosterEntry.objects.exists()
