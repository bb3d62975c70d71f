"""`quiz load | import FILE | export | export-results`: the bank and results in and out.

Errors go to stderr as `FILE:LINE: message`, the exit status is 1, and the database is left
as it was.
"""

import re
import sys
from dataclasses import replace
from pathlib import Path

from django.core.management.base import BaseCommand

from quizzes import bank
from quizzes.interchange import FORMATS, format_for
from quizzes.models import Answer
from quizzes.progress import results_csv_write
from quizzes.store import bank_check, bank_export, bank_store

EXPORT_FORMATS = [name for name, module in FORMATS.items() if hasattr(module, "dump")]
LINE_PREFIX = re.compile(r"^line (\d+):\s*")


class Command(BaseCommand):
    help = "Load the question bank, import or export questions, export results as CSV."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        commands.add_parser("load", help="store quizzes/bank/*.yaml in the database")
        imp = commands.add_parser("import", help="import a GIFT, Moodle XML or Aiken file")
        imp.add_argument("file")
        imp.add_argument("--format", choices=FORMATS)
        imp.add_argument("--default", action="append", default=[], metavar="FIELD=VALUE",
                         help="a field the file does not carry, e.g. domain=cost (Aiken has "
                              "no domain and no explanations); repeat for more")
        exp = commands.add_parser("export", help="write the whole bank as GIFT or Moodle XML")
        exp.add_argument("--format", choices=EXPORT_FORMATS, required=True)
        exp.add_argument("--output", help="file to write (default: standard output)")
        res = commands.add_parser("export-results", help="write every answer as CSV")
        res.add_argument("--output", required=True)

    def handle(self, *args, action, **options):
        getattr(self, "do_" + action.replace("-", "_"))(**options)

    def fail(self, messages: list[str]):
        for message in messages:
            self.stderr.write(message)
        sys.exit(1)

    def do_load(self, **options):
        try:
            count = bank_store(questions=bank.bank_read())
        except bank.BankError as e:
            self.fail(str(e).splitlines())
        self.stdout.write(f"Loaded {count} questions from {bank.BANK_DIR}.")

    def do_import(self, *, file, format=None, default=(), **options):
        path = Path(file)
        try:
            format = format or format_for(file)
        except ValueError as e:
            self.fail([f"{file}:0: {e}; or pass --format"])
        defaults = {k: int(v) if k == "difficulty" and v.isdigit() else v
                    for k, v in (d.partition("=")[::2] for d in default)}
        try:
            text = path.read_text(encoding="utf-8")
            parse = FORMATS[format].parse
            questions = parse(text, defaults=defaults) if defaults else parse(text)
        except bank.BankError as e:
            self.fail([located(file, e)])
        except (OSError, ValueError) as e:
            self.fail([f"{file}:0: {getattr(e, 'strerror', None) or e}"])
        # Name the file in each question's source; the parser gave the line.
        questions = [replace(q, source_file=file) for q in questions]
        if problems := bank_check(questions=questions):
            self.fail(problems)
        count = bank_store(questions=questions)
        self.stdout.write(f"Imported {count} questions from {file}.")

    def do_export(self, *, format, output=None, **options):
        text = FORMATS[format].dump(bank_export())
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")

    def do_export_results(self, *, output, **options):
        with open(output, "w", newline="", encoding="utf-8") as out:
            count = results_csv_write(answers=Answer.objects.all(), out=out)
        self.stdout.write(f"Wrote {count} answers to {output}.")


def located(file: str, error: bank.BankError) -> str:
    """`line 12: message` from a parser becomes `FILE:12: message`."""
    message = str(error)
    if match := LINE_PREFIX.match(message):
        return f"{file}:{match.group(1)}: {message[match.end():]}"
    return f"{file}:0: {message}"
