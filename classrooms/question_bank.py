"""A class's own question bank: the instructor imports GIFT or Moodle XML as Moodle exports
them, lists, deletes and exports them; quiz assignments of that class may use them.

Class questions are quizzes.Question rows with `classroom` set, so grading, item analysis
and review work on them as on the public bank's; `Question.objects` (the public bank, read
by practice, mock exams and the question pages) never returns them. Their ids carry the
class (`class<pk>-<id in the file>`), so two classes importing the same file stay apart.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from quizzes.bank import BankError
from quizzes.interchange import class_gift, class_xml
from quizzes.interchange.classbank import MULTICHOICE, TRUEFALSE, ClassOption, ClassQuestion
from quizzes.models import Option, Question

from .models import Classroom

MAX_BYTES = 2 * 1024 * 1024
READERS = {".gift": class_gift, ".txt": class_gift, ".xml": class_xml}
EXPORTS = {"gift": ("text/plain", "gift"), "xml": ("application/xml", "xml")}
UNKNOWN_FORMAT = ("Cannot tell the format of {name!r}: upload GIFT (.gift or Moodle's .txt "
                  "export) or Moodle XML (.xml).")
TOO_BIG = "The file is larger than {mb} MB."
NOT_UTF8 = "The file is not UTF-8 text (Moodle exports UTF-8)."
UNREADABLE = "Nothing was imported. {name}, {error}"
NOTHING_USABLE = "Nothing was imported: no question in {name} can be used here."
IN_USE = "{title!r} is used by the assignment(s) {assignments}: remove it from them first."
NO_SUCH_QUESTION = "No such question in this class's bank."


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)  # "line N: 'name' (type) not imported: why"


def class_bank_id(*, classroom: Classroom, ident: str) -> str:
    return f"class{classroom.pk}-{ident}"


def class_questions(*, classroom: Classroom) -> QuerySet[Question]:
    return Question.everything.filter(classroom=classroom).prefetch_related("options") \
        .order_by("category", "title", "bank_id")


def class_question_categories(*, classroom: Classroom) -> list[tuple[str, int]]:
    counts = Counter(Question.everything.filter(classroom=classroom)
                     .values_list("category", flat=True))
    return sorted(counts.items())


def class_bank_import(*, classroom: Classroom, filename: str, content: bytes) -> ImportReport:
    """Every usable question of the file into the class's bank (a question already there, by
    its id, is updated), all or nothing; what cannot be used is named in the report."""
    reader = READERS.get(PurePath(filename).suffix.lower())
    if reader is None:
        raise ValidationError(UNKNOWN_FORMAT.format(name=filename))
    if len(content) > MAX_BYTES:
        raise ValidationError(TOO_BIG.format(mb=MAX_BYTES // (1024 * 1024)))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(NOT_UTF8) from None
    try:
        reading = reader.read(text)
    except BankError as e:
        raise ValidationError(UNREADABLE.format(name=filename, error=e)) from None
    skipped = [str(s) for s in reading.skipped]
    if not reading.questions:
        raise ValidationError([NOTHING_USABLE.format(name=filename), *skipped])
    report = ImportReport(skipped=skipped)
    with transaction.atomic():
        for q in reading.questions:
            row, created = Question.everything.update_or_create(
                bank_id=class_bank_id(classroom=classroom, ident=q.ident),
                defaults=dict(classroom=classroom, title=q.title, category=q.category,
                              type=q.type, stem=q.stem, domain="", exams="", patterns="",
                              services="", source=f"{filename}:{q.line}"[:200]))
            row.options.all().delete()
            Option.objects.bulk_create(
                Option(question=row, position=n, text=o.text, correct=o.correct,
                       why=o.feedback, fraction=o.fraction) for n, o in enumerate(q.options))
            if created:
                report.created += 1
            else:
                report.updated += 1
    return report


def class_question_get(*, classroom: Classroom, question_id: int) -> Question:
    found = Question.everything.filter(classroom=classroom, pk=question_id).first()
    if found is None:
        raise ValidationError(NO_SUCH_QUESTION)
    return found


def class_question_delete(*, classroom: Classroom, question_id: int) -> Question:
    """Delete one of the class's questions; refused while an assignment uses it."""
    question = class_question_get(classroom=classroom, question_id=question_id)
    users = [a.title for a in classroom.assignments.all() if question.bank_id in a.question_ids]
    if users:
        raise ValidationError(IN_USE.format(title=question.title or question.bank_id,
                                            assignments=", ".join(users)))
    question.delete()
    return question


def _as_class_question(row: Question) -> ClassQuestion:
    options = tuple(ClassOption(text=o.text, correct=o.correct, feedback=o.why,
                                fraction=o.fraction if o.fraction is not None
                                else (100.0 if o.correct else 0.0))
                    for o in row.options.all())
    kind = TRUEFALSE if [o.text for o in options] == ["True", "False"] else MULTICHOICE
    prefix = f"class{row.classroom_id}-"
    return ClassQuestion(ident=row.bank_id.removeprefix(prefix), title=row.title,
                         type=row.type, stem=row.stem, options=options, kind=kind,
                         category=row.category)


def class_bank_export(*, classroom: Classroom, fmt: str) -> str:
    """The class's bank as GIFT or Moodle XML, titles and categories kept."""
    questions = [_as_class_question(q) for q in class_questions(classroom=classroom)]
    if fmt == "gift":
        return class_gift.dump(questions, name=classroom.name)
    return class_xml.dump(questions)
