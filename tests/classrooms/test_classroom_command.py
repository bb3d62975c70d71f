"""`manage.py classroom`: from the first command to the gradebook."""

import json

import pytest
from django.core.management import call_command

from classrooms.models import Assignment, Classroom, RosterEntry, Submission


def _run(*args, capsys):
    call_command("classroom", *args)
    return capsys.readouterr().out


def test_a_class_from_the_shell(make_user, capsys, tmp_path):
    make_user("ines")
    assert _run("instructor", "ines", capsys=capsys) == "ines is an instructor.\n"
    created = json.loads(_run("create", "Serverless 101", "--instructor", "ines", "--json",
                              capsys=capsys))
    classroom = Classroom.objects.get(pk=created["id"])
    assert created["join_code"] == classroom.join_code
    assigned = json.loads(_run("assign", str(classroom.pk), "async-queue", "--scenario",
                               "poison-message", "--opens", "2026-12-01T09:00",
                               "--due", "2026-12-08T09:00+01:00", "--json", capsys=capsys))
    found = Assignment.objects.get(pk=assigned["id"])
    assert found.scenarios == ["poison-message"]
    assert assigned["opens"] == "2026-12-01T09:00:00+00:00"
    assert found.due_at.isoformat() == "2026-12-08T08:00:00+00:00"
    roster = tmp_path / "roster.csv"
    roster.write_text("username,email,name\nsam,sam@example.edu,Sam\n")
    assert "1 student(s)" in _run("roster", str(classroom.pk), "--csv", str(roster),
                                  capsys=capsys)
    student = make_user("sam")
    from classrooms.services import classroom_join

    classroom_join(user=student, code=classroom.join_code)
    Submission.objects.create(assignment=found, student=student, score=80, results=[],
                              status=Submission.FAILED)
    out = tmp_path / "grades.csv"
    _run("gradebook", str(classroom.pk), "--csv", "--output", str(out), capsys=capsys)
    assert out.read_text().splitlines() == ["username,email,async-queue",
                                            "sam,sam@example.edu,80"]


@pytest.mark.parametrize("args, message", [
    (["instructor", "ghost"], "No user 'ghost'."),
    (["create", "X", "--instructor", "plain"], "Only instructors can create classes."),
    (["assign", "999", "rest-api"], "No class 999."),
])
def test_errors_go_to_stderr_with_status_1(make_user, capsys, args, message):
    make_user("plain")
    with pytest.raises(SystemExit) as e:
        call_command("classroom", *args)
    assert e.value.code == 1
    assert message in capsys.readouterr().err


def test_a_bad_roster_imports_nothing(classroom, capsys, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("username,email\nada,nope\n")
    with pytest.raises(SystemExit):
        call_command("classroom", "roster", str(classroom.pk), "--csv", str(roster))
    assert "line 2: 'nope' is not an email" in capsys.readouterr().err
    assert not RosterEntry.objects.exists()


def test_a_due_date_before_the_opening_is_refused(classroom, capsys):
    with pytest.raises(SystemExit):
        call_command("classroom", "assign", str(classroom.pk), "rest-api",
                     "--opens", "2026-12-10T00:00", "--due", "2026-12-01T00:00")
    assert "The due date is before the opening date." in capsys.readouterr().err
    assert not Assignment.objects.exists()
