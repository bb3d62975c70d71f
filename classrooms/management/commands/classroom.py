"""`classroom instructor | create | assign | roster | gradebook`: hosting a class from the
shell. Errors go to stderr, the exit status is 1, and nothing is half done."""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand
from django.utils import timezone

from classrooms.assignments import assignment_create
from classrooms.dashboard import gradebook_csv
from classrooms.fixit_catalog import fixit_tasks
from classrooms.models import Assignment, Classroom
from classrooms.services import classroom_create, instructor_grant, roster_import


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    when = datetime.fromisoformat(text)
    return when if timezone.is_aware(when) else when.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Host a class: make instructors, classes and lab assignments; import a roster; " \
           "export the gradebook."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        ins = commands.add_parser("instructor", help="make USERNAME an instructor")
        ins.add_argument("username")
        new = commands.add_parser("create", help="a class; prints its id and join code")
        new.add_argument("name")
        new.add_argument("--instructor", required=True)
        new.add_argument("--json", action="store_true")
        assign = commands.add_parser("assign", help="a lab (or --fixit: a fix-it lab) "
                                     "assignment of pattern SLUG")
        assign.add_argument("class_id", type=int)
        assign.add_argument("slug")
        assign.add_argument("--scenario", action="append", dest="scenarios",
                            help="a scenario that must pass (repeat; default: the pattern's)")
        assign.add_argument("--fixit", metavar="FIXIT",
                            help="a fix-it lab instead: the slug of one of the pattern's fix-its")
        assign.add_argument("--title")
        assign.add_argument("--opens", help="ISO date-time (UTC unless it names a zone)")
        assign.add_argument("--due", help="ISO date-time (UTC unless it names a zone)")
        assign.add_argument("--json", action="store_true")
        roster = commands.add_parser("roster", help="invite a CSV of username,email,name")
        roster.add_argument("class_id", type=int)
        roster.add_argument("--csv", required=True, metavar="FILE")
        book = commands.add_parser("gradebook", help="scores per student and assignment")
        book.add_argument("class_id", type=int)
        book.add_argument("--csv", action="store_true", required=True)
        book.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args, action, **options):
        try:
            getattr(self, "do_" + action)(**options)
        except (ValidationError, PermissionDenied) as e:
            self.fail(getattr(e, "messages", None) or [str(e)])
        except ValueError as e:  # a malformed ISO date
            self.fail([str(e)])

    def fail(self, messages: list[str]):
        for message in messages:
            self.stderr.write(message)
        sys.exit(1)

    def _classroom(self, class_id: int) -> Classroom:
        found = Classroom.objects.filter(pk=class_id).first()
        if found is None:
            self.fail([f"No class {class_id}."])
        return found

    def do_instructor(self, *, username, **options):
        instructor_grant(username=username)
        self.stdout.write(f"{username} is an instructor.")

    def do_create(self, *, name, instructor, json: bool = False, **options):
        user = get_user_model().objects.filter(username=instructor).first()
        if user is None:
            self.fail([f"No user {instructor!r}."])
        found = classroom_create(name=name, instructor=user)
        self._print({"id": found.pk, "name": found.name, "join_code": found.join_code,
                     "join_path": f"/classes/join/{found.join_code}/"}, json,
                    f"Class {found.pk} {found.name!r}: join code {found.join_code}")

    def do_assign(self, *, class_id, slug, scenarios=None, fixit=None, title=None, opens=None,
                  due=None, json: bool = False, **options):
        kind = {"kind": Assignment.FIX, "fixit": fixit} if fixit else {"scenarios": scenarios}
        found = assignment_create(classroom=self._classroom(class_id),
                                  title=title or (f"{slug}: {fixit}" if fixit else slug),
                                  pattern=slug, opens_at=_when(opens), due_at=_when(due), **kind)
        checks = [t["id"] for t in fixit_tasks(assignment=found)] if fixit \
            else [c["id"] for c in found.checks]
        self._print({"id": found.pk, "class_id": class_id, "kind": found.kind, "pattern": slug,
                     "fixit": found.fixit, "scenarios": found.scenarios, "checks": checks,
                     "opens": found.opens_at.isoformat(),
                     "due": found.due_at.isoformat() if found.due_at else None}, json,
                    f"Assignment {found.pk}: {slug} fix-it {fixit}, {len(checks)} check(s)"
                    if fixit else f"Assignment {found.pk}: {slug} "
                    f"({', '.join(found.scenarios)}), {len(checks)} check(s)")

    def do_roster(self, *, class_id, csv, **options):
        classroom = self._classroom(class_id)
        try:
            text = Path(csv).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            self.fail([f"{csv}: {e}"])
        count = roster_import(classroom=classroom, text=text)
        self.stdout.write(f"{count} student(s) on the roster of {classroom.name}.")

    def do_gradebook(self, *, class_id, output=None, **options):
        text = gradebook_csv(classroom=self._classroom(class_id))
        if output:
            Path(output).write_text(text)
        else:
            self.stdout.write(text, ending="")

    def _print(self, document: dict, as_json: bool, line: str):
        self.stdout.write(json.dumps(document) if as_json else line)
