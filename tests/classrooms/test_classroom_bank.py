"""A class's own question bank: importing Moodle's GIFT and XML exports, what cannot be used
named, nothing half-imported, kept out of everything public and out of other classes, chosen
by the quiz picker, listed, deleted and exported by the instructor; a TA may look, a
student never."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from classrooms.assignments import UNKNOWN_QUESTIONS, assignment_create
from classrooms.models import Assignment, Submission
from classrooms.question_bank import (
    IN_USE,
    NOT_UTF8,
    NOTHING_USABLE,
    TOO_BIG,
    UNKNOWN_FORMAT,
    class_bank_export,
    class_bank_import,
    class_question_delete,
    class_questions,
)
from quizzes import bank
from quizzes.exams import EXAM
from quizzes.grading import positions_to_letters
from quizzes.models import Question
from quizzes.practice import Topic, topic_catalog, topic_questions
from quizzes.store import bank_store

DATA = Path(__file__).parents[1] / "quizzes" / "data"
GIFT = (DATA / "moodle_class.gift").read_bytes()
XML = (DATA / "moodle_class.xml").read_bytes()


def _import(classroom, name="moodle_class.gift", content=GIFT):
    return class_bank_import(classroom=classroom, filename=name, content=content)


@pytest.fixture
def public_question(db):
    options = tuple(bank.Option(text=f"o{n}", correct=n == 0, why="w") for n in range(4))
    bank_store(questions=[bank.Question(id="public-1", type="single", stem="Public?",
                                        options=options, domain="cost")])
    return Question.objects.get(bank_id="public-1")


def test_a_moodle_gift_export_lands_in_the_class_bank_with_what_was_left_out(classroom):
    report = _import(classroom)
    assert (report.created, report.updated) == (6, 0)
    assert len(report.skipped) == 5 and report.skipped[0].startswith(
        "line 29: 'Explain cold starts' (essay) not imported")
    rows = list(class_questions(classroom=classroom))
    assert {q.classroom_id for q in rows} == {classroom.pk}
    tf = next(q for q in rows if q.title == "Lambda needs no servers")
    assert tf.bank_id.startswith(f"class{classroom.pk}-") and tf.category.endswith("Week 1")
    assert [(o.text, o.correct, o.why) for o in tf.options.all()] == [
        ("True", True, "Right: you never see them."),
        ("False", False, "It does: AWS runs and patches the servers for you.")]
    multi = next(q for q in rows if q.title == "Two that bill per request")
    assert [o.fraction for o in multi.options.all()] == [50, 50, -100, -100]
    # The same file again updates its questions rather than adding copies.
    again = _import(classroom)
    assert (again.created, again.updated) == (0, 6)
    assert class_questions(classroom=classroom).count() == 6


def test_moodle_xml_lands_too_and_shares_ids_with_the_same_gift(classroom):
    _import(classroom)
    report = _import(classroom, "moodle_class.xml", XML)
    assert (report.created, report.updated) == (1, 3)  # only W1-queue has its own idnumber
    assert [s.split(":")[0] for s in report.skipped] == [
        "line 157", "line 185", "line 215", "line 243"]


def test_class_questions_stay_out_of_practice_exams_and_the_public_pages(
        client, classroom, public_question):
    _import(classroom)
    own = class_questions(classroom=classroom).first()
    assert list(Question.objects.values_list("bank_id", flat=True)) == ["public-1"]
    assert [q.bank_id for q in topic_questions(topic=Topic(), learner=None)] == ["public-1"]
    assert topic_catalog().total == 1
    assert not Question.objects.tagged(field="exams", value=EXAM).filter(pk=own.pk).exists()
    assert client.get(f"/quizzes/practice/q/{own.bank_id}/").status_code == 404
    assert client.get("/quizzes/practice/q/public-1/").status_code == 200


def test_another_class_cannot_use_them(classroom, other_instructor):
    _import(classroom)
    own = class_questions(classroom=classroom).first()
    theirs = other_instructor.classrooms_taught.get()
    with pytest.raises(ValidationError) as error:
        assignment_create(classroom=theirs, title="Borrowed", kind=Assignment.QUIZ,
                          question_ids=[own.bank_id])
    assert error.value.messages == [UNKNOWN_QUESTIONS.format(ids=own.bank_id)]


@pytest.mark.parametrize("name, content, messages", [
    ("questions.docx", GIFT, [UNKNOWN_FORMAT.format(name="questions.docx")]),
    ("q.gift", "::t::Ünïcode?{=a ~b}".encode("latin-1"), [NOT_UTF8]),
    ("q.gift", b"x" * (2 * 1024 * 1024 + 1), [TOO_BIG.format(mb=2)]),
    ("q.gift", GIFT + b"\n\n::broken::Stem {=a ~b\n", [
        "Nothing was imported. q.gift, line 74: unclosed { (no } before the blank line that "
        "ends the question)"]),
    ("q.xml", b"<quiz><question type='essay'><name><text>E</text></name></question></quiz>",
     [NOTHING_USABLE.format(name="q.xml"),
      "line 1: 'E' (essay) not imported: an essay needs a person to grade it"]),
])
def test_a_bad_file_imports_nothing_and_says_why(classroom, name, content, messages):
    with pytest.raises(ValidationError) as error:
        _import(classroom, name, content)
    assert error.value.messages == messages
    assert not class_questions(classroom=classroom).exists()


def test_deleting_is_refused_while_a_quiz_uses_the_question(classroom):
    _import(classroom)
    own = class_questions(classroom=classroom).first()
    assignment_create(classroom=classroom, title="Week 1 quiz", kind=Assignment.QUIZ,
                      question_ids=[own.bank_id])
    with pytest.raises(ValidationError) as error:
        class_question_delete(classroom=classroom, question_id=own.pk)
    assert error.value.messages == [IN_USE.format(title=own.title, assignments="Week 1 quiz")]
    other = class_questions(classroom=classroom).exclude(pk=own.pk).first()
    class_question_delete(classroom=classroom, question_id=other.pk)
    assert not Question.everything.filter(pk=other.pk).exists()


@pytest.mark.parametrize("fmt, name", [("gift", "back.gift"), ("xml", "back.xml")])
def test_an_export_keeps_titles_and_another_class_imports_the_same_questions(
        classroom, other_instructor, fmt, name):
    _import(classroom)
    exported = class_bank_export(classroom=classroom, fmt=fmt)
    assert "Lambda needs no servers" in exported and "Week 2" in exported
    theirs = other_instructor.classrooms_taught.get()
    report = _import(theirs, name, exported.encode())
    assert (report.created, report.skipped) == (6, [])

    def shape(c):
        return [(q.title, q.category, q.type, q.stem,
                 [(o.text, o.correct, o.why, o.fraction) for o in q.options.all()])
                for q in class_questions(classroom=c)]
    assert shape(theirs) == shape(classroom)


def test_the_quiz_picker_chooses_the_class_questions_and_a_student_answers_them(
        client, classroom, instructor, student):
    _import(classroom)
    week1 = "$course$/top/Default for Serverless 101/Week 1"
    client.force_login(instructor)
    page = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert "All 6 of the class&#x27;s questions" in page and f"Category {week1} (3)" in page
    response = client.post(f"/classes/{classroom.pk}/assignments/new/", {
        "title": "Week 1 quiz", "kind": "quiz", "class_questions": f"category:{week1}",
        "attempts_allowed": 1, "show_answers": "at_once", "late_policy": "refuse",
        "late_penalty_percent": 0})
    assert response.status_code == 302
    quiz = Assignment.objects.get(title="Week 1 quiz")
    questions = {q.bank_id: q for q in class_questions(classroom=classroom)}
    assert [questions[i].title for i in quiz.question_ids] == [
        "Lambda needs no servers", "Pick the queue", "Two that bill per request"]
    client.force_login(student)
    page = client.get(f"/classes/{classroom.pk}/a/{quiz.pk}/").content.decode()
    assert "AWS Lambda runs your code without servers" in page
    answers = {f"q-{i}": positions_to_letters(
        question=questions[i], positions={o.position for o in questions[i].options.all()
                                          if o.correct}) for i in quiz.question_ids}
    client.post(f"/classes/{classroom.pk}/a/{quiz.pk}/answer/", answers)
    assert Submission.objects.get(student=student, assignment=quiz).score == 100


@pytest.fixture
def urls(classroom):
    _import(classroom)
    c, q = classroom.pk, class_questions(classroom=classroom).first().pk
    upload = SimpleUploadedFile("moodle_class.gift", GIFT)
    return {
        "bank": ("get", f"/classes/{c}/questions/", None),
        "bank-fragment": ("htmx", f"/classes/{c}/questions/", None),
        "export-gift": ("get", f"/classes/{c}/questions/export.gift", None),
        "export-xml": ("get", f"/classes/{c}/questions/export.xml", None),
        "import": ("post", f"/classes/{c}/questions/import/", {"question_file": upload}),
        "delete": ("post", f"/classes/{c}/questions/{q}/delete/", {}),
    }


def _fetch(client, how, url, data):
    if how == "htmx":
        return client.get(url, headers={"HX-Request": "true"})
    return getattr(client, how)(url, data)


STAFF = ["bank", "bank-fragment", "export-gift", "export-xml"]
INSTRUCTOR = ["import", "delete"]


@pytest.mark.parametrize("name", [*STAFF, *INSTRUCTOR])
def test_students_strangers_and_other_instructors_see_nothing(
        client, urls, student, stranger, other_instructor, name):
    for user in (student, stranger, other_instructor):
        client.force_login(user)
        assert _fetch(client, *urls[name]).status_code == 404, user.username


@pytest.mark.parametrize("name", [*STAFF, *INSTRUCTOR])
def test_anonymous_visitors_are_sent_to_sign_in(client, urls, name):
    response = _fetch(client, *urls[name])
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_ta_may_look_and_export_but_not_import_or_delete(client, urls, ta, classroom):
    client.force_login(ta)
    page = client.get(f"/classes/{classroom.pk}/questions/").content.decode()
    assert "Lambda needs no servers" in page and "Import questions" not in page
    assert "Delete</button>" not in page
    for name in STAFF:
        assert _fetch(client, *urls[name]).status_code == 200
    for name in INSTRUCTOR:
        assert _fetch(client, *urls[name]).status_code == 404
    assert class_questions(classroom=classroom).count() == 6


def test_the_instructor_uploads_with_and_without_htmx(client, instructor, classroom):
    client.force_login(instructor)
    url = f"/classes/{classroom.pk}/questions/import/"
    fragment = client.post(url, {"question_file": SimpleUploadedFile("w.gift", GIFT)},
                           headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in html and 'id="bank"' in html
    assert "Imported 6 new and updated 0 question(s)." in html
    assert "&#x27;Match services&#x27; (matching) not imported" in html
    assert "6 questions" in html
    response = client.post(url, {"question_file": SimpleUploadedFile("w.xml", XML)})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Imported 1 new and updated 3 question(s)." in page
    assert "&#x27;Explain cold starts&#x27; (essay) not imported" in page


def test_a_bad_upload_is_shown_where_it_was_made(client, instructor, classroom):
    client.force_login(instructor)
    url = f"/classes/{classroom.pk}/questions/import/"
    bad = SimpleUploadedFile("w.xml", b"<quiz><question type='multichoice'>")
    for headers in ({"HX-Request": "true"}, {}):
        response = client.post(url, {"question_file": bad}, headers=headers)
        bad.seek(0)
        html = response.content.decode()
        assert response.status_code == 400 and 'role="alert"' in html
        assert "Nothing was imported. w.xml, line 1: malformed XML" in html
        assert ("<html" in html) == (not headers)
    assert client.post(url, {}).status_code == 400
    assert not class_questions(classroom=classroom).exists()


def test_the_instructor_deletes_with_and_without_htmx(client, instructor, classroom):
    _import(classroom)
    client.force_login(instructor)
    first, second = class_questions(classroom=classroom)[:2]
    fragment = client.post(f"/classes/{classroom.pk}/questions/{first.pk}/delete/",
                           headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "5 questions" in fragment
    response = client.post(f"/classes/{classroom.pk}/questions/{second.pk}/delete/")
    assert response.status_code == 302
    assert class_questions(classroom=classroom).count() == 4
    # Another class's question id is not found through this class.
    assert client.post(f"/classes/{classroom.pk}/questions/999999/delete/",
                       headers={"HX-Request": "true"}).status_code == 400


def test_an_unknown_export_format_is_not_found(client, instructor, classroom):
    client.force_login(instructor)
    assert client.get(f"/classes/{classroom.pk}/questions/export.csv").status_code == 404


def test_a_too_large_upload_is_refused_on_the_page(client, instructor, classroom):
    client.force_login(instructor)
    big = SimpleUploadedFile("big.gift", b"x" * (3 * 1024 * 1024))
    response = client.post(f"/classes/{classroom.pk}/questions/import/",
                           {"question_file": big}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert TOO_BIG.format(mb=2) in response.content.decode()
    assert not class_questions(classroom=classroom).exists()
