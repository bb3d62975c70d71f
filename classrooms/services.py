"""Classes and who is in them: instructors, joining, the roster, and who may see what."""

import csv
import io
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import Http404

from .models import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH, Classroom, Membership, RosterEntry

INSTRUCTORS_GROUP = "instructors"
NOT_INSTRUCTOR = "Only instructors can create classes."
WRONG_CODE = "No class has the join code {code!r}. Check it with your instructor."
JOINING_CLOSED = "{name} is not taking new students: ask your instructor to open joining."
ALREADY_MEMBER = "You are already in {name}."
NO_SUCH_USER = "No user {username!r}."
ROSTER_HEADER = ("The first line must name the columns username,email,name "
                 "(email and name may be empty).")
ROSTER_ROW = "line {line}: {problem}"


def user_is_instructor(*, user) -> bool:
    return user.is_authenticated and user.groups.filter(name=INSTRUCTORS_GROUP).exists()


def instructor_grant(*, username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError(NO_SUCH_USER.format(username=username))
    group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    user.groups.add(group)
    return user


def join_code_new() -> str:
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if not Classroom.objects.filter(join_code=code).exists():
            return code


def join_code_normalise(code: str) -> str:
    return "".join(code.split()).upper()


def classroom_create(*, name: str, instructor) -> Classroom:
    if not user_is_instructor(user=instructor):
        raise PermissionDenied(NOT_INSTRUCTOR)
    name = name.strip()
    if not name:
        raise ValidationError("A class needs a name.")
    return Classroom.objects.create(name=name, instructor=instructor, join_code=join_code_new())


def classroom_settings_update(*, classroom: Classroom, joining_open: bool | None = None,
                              regenerate_code: bool = False) -> Classroom:
    if joining_open is not None:
        classroom.joining_open = joining_open
    if regenerate_code:
        classroom.join_code = join_code_new()
    classroom.save()
    return classroom


def classroom_join(*, user, code: str) -> Membership:
    """Enrol the user as a student; a hot start deploys the class's open labs for them."""
    classroom = Classroom.objects.filter(join_code=join_code_normalise(code)).first()
    if classroom is None:
        raise ValidationError(WRONG_CODE.format(code=code.strip()))
    if Membership.objects.filter(classroom=classroom, user=user).exists() \
            or classroom.instructor_id == user.pk:
        raise ValidationError(ALREADY_MEMBER.format(name=classroom.name))
    if not classroom.joining_open:
        raise ValidationError(JOINING_CLOSED.format(name=classroom.name))
    try:
        with transaction.atomic():
            membership = Membership.objects.create(classroom=classroom, user=user)
    except IntegrityError:  # the same form sent twice at once
        raise ValidationError(ALREADY_MEMBER.format(name=classroom.name)) from None
    from .hot_start import hot_start_student

    transaction.on_commit(lambda: hot_start_student(membership=membership))
    return membership


def member_remove(*, classroom: Classroom, user_id: int) -> None:
    Membership.objects.filter(classroom=classroom, user_id=user_id).delete()


def ta_add(*, classroom: Classroom, username: str) -> Membership:
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        raise ValidationError(NO_SUCH_USER.format(username=username))
    membership, _ = Membership.objects.update_or_create(classroom=classroom, user=user,
                                                        defaults={"role": Membership.TA})
    return membership


@dataclass
class RosterRow:
    username: str
    email: str
    name: str
    joined: bool


def roster_import(*, classroom: Classroom, text: str) -> int:
    """Invite each row's account (username,email,name); every bad row is named by its line
    and then nothing is imported. Returns how many rows were added or updated."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or "username" not in [f.strip().lower() for f in reader.fieldnames]:
        raise ValidationError([ROSTER_HEADER])
    rows, errors, seen = [], [], set()
    for row in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        line = reader.line_num
        username, email = row.get("username", ""), row.get("email", "")
        if not username:
            errors.append(ROSTER_ROW.format(line=line, problem="no username"))
            continue
        if username in seen:
            errors.append(ROSTER_ROW.format(line=line, problem=f"{username!r} appears twice"))
        seen.add(username)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(ROSTER_ROW.format(line=line, problem=f"{email!r} is not an email"))
        rows.append(RosterEntry(classroom=classroom, username=username, email=email,
                                name=row.get("name", "")))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for entry in rows:
            RosterEntry.objects.update_or_create(
                classroom=classroom, username=entry.username,
                defaults={"email": entry.email, "name": entry.name})
    return len(rows)


def roster_rows(*, classroom: Classroom) -> list[RosterRow]:
    joined = set(Membership.objects.filter(classroom=classroom, role=Membership.STUDENT)
                 .values_list("user__username", flat=True))
    return [RosterRow(username=e.username, email=e.email, name=e.name,
                      joined=e.username in joined) for e in classroom.roster.all()]


# Who may see what. Denials are 404: a class one may not see does not exist for them.

def classroom_for_staff(*, user, classroom_id: int) -> Classroom:
    """The class if the user teaches it (its instructor, or a TA of it)."""
    classroom = Classroom.objects.filter(pk=classroom_id).first()
    if classroom is None or not user_teaches(user=user, classroom=classroom):
        raise Http404("No such class")
    return classroom


def classroom_for_instructor(*, user, classroom_id: int) -> Classroom:
    """The class if the user is its instructor (TAs may not change the class itself)."""
    classroom = Classroom.objects.filter(pk=classroom_id, instructor_id=user.pk).first()
    if classroom is None:
        raise Http404("No such class")
    return classroom


def classroom_for_member(*, user, classroom_id: int) -> Classroom:
    classroom = Classroom.objects.filter(pk=classroom_id).first()
    if classroom is None or not (user_teaches(user=user, classroom=classroom) or Membership
                                 .objects.filter(classroom=classroom, user=user).exists()):
        raise Http404("No such class")
    return classroom


def user_teaches(*, user, classroom: Classroom) -> bool:
    return classroom.instructor_id == user.pk or Membership.objects.filter(
        classroom=classroom, user=user, role=Membership.TA).exists()


def students_of(*, classroom: Classroom):
    return get_user_model().objects.filter(
        class_memberships__classroom=classroom,
        class_memberships__role=Membership.STUDENT).order_by("username")


def classrooms_of(*, user) -> dict:
    """The user's classes: those they teach and those they study in."""
    teaching = Classroom.objects.filter(instructor=user) | Classroom.objects.filter(
        memberships__user=user, memberships__role=Membership.TA)
    studying = Classroom.objects.filter(memberships__user=user,
                                        memberships__role=Membership.STUDENT)
    return {"teaching": teaching.distinct(), "studying": studying.distinct()}
