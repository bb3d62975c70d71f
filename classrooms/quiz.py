"""Quiz assignments: a chosen set of questions from the bank, answered through one form,
graded with quizzes.grading; attempts limited; answers shown at once or after the due date;
item analysis over each student's latest attempt."""

import random
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone

from quizzes.exams import EXAM, EXAM_LENGTH, exam_draw
from quizzes.grading import answer_is_correct, letters_to_positions, options_revealed, options_shown
from quizzes.models import Question

from .assignments import NO_ATTEMPTS_LEFT, due_for, submission_timing
from .models import Assignment, Submission
from .question_pool import questions_usable
from .signals import score_changed

NOT_A_QUIZ = "This assignment is not a quiz."
UNANSWERED = "Answer every question: {count} left unanswered."


ALL_CLASS_QUESTIONS = "*"  # the picker's choice: every question of the class's own bank


def quiz_question_ids(*, ids: list[str] | None = None, pattern: str = "", domain: str = "",
                      mock_exam: bool = False, limit: int | None = None,
                      classroom=None, class_pick: str = "", service: str = "") -> list[str]:
    """Questions chosen by id and/or from the class's own bank (`class_pick`: all of it, or
    "category:<path>"), or by topic (a pattern, service and/or exam domain), or a mock exam (65
    SAA-C03 questions by the domain weights, one draw for the whole class)."""
    chosen = list(ids or [])
    if class_pick and classroom is not None:
        own = Question.everything.filter(classroom=classroom).order_by("category", "title")
        if class_pick != ALL_CLASS_QUESTIONS:
            own = own.filter(category=class_pick.removeprefix("category:"))
        chosen += [i for i in own.values_list("bank_id", flat=True) if i not in chosen]
    if chosen or class_pick:  # an empty pick is "no questions", never the whole bank
        return chosen
    if mock_exam:
        pool = list(Question.objects.tagged(field="exams", value=EXAM))
        draw = exam_draw(pool=pool, total=EXAM_LENGTH, rng=random.Random())
        return [q.bank_id for q in draw.questions]
    questions = Question.objects.all()
    if pattern:
        questions = questions.tagged(field="patterns", value=pattern)
    if service:
        questions = questions.tagged(field="services", value=service)
    if domain:
        questions = questions.filter(domain=domain)
    found = list(questions.values_list("bank_id", flat=True))
    return found[:limit] if limit else found


def quiz_questions(*, assignment: Assignment) -> list[Question]:
    usable = questions_usable(classroom_id=assignment.classroom_id)
    by_id = {q.bank_id: q for q in usable.filter(bank_id__in=assignment.question_ids)
             .prefetch_related("options")}
    return [by_id[i] for i in assignment.question_ids if i in by_id]


def quiz_form_items(*, assignment: Assignment) -> list[dict]:
    return [{"question": q, "options": options_shown(question=q)}
            for q in quiz_questions(assignment=assignment)]


def quiz_submit(*, assignment: Assignment, student, letters: dict[str, list[str]]) -> Submission:
    """Grade one attempt: `letters` maps bank_id to the letters the student chose."""
    if assignment.kind != Assignment.QUIZ:
        raise ValidationError(NOT_A_QUIZ)
    timing = submission_timing(assignment=assignment, student=student)
    used = assignment.submissions.filter(student=student).count()
    if used >= assignment.attempts_allowed:
        raise ValidationError(NO_ATTEMPTS_LEFT.format(count=assignment.attempts_allowed))
    questions = quiz_questions(assignment=assignment)
    if missing := [q for q in questions if not letters.get(q.bank_id)]:
        raise ValidationError(UNANSWERED.format(count=len(missing)))
    answers, results = {}, []
    for q in questions:
        chosen = letters_to_positions(question=q, letters=letters[q.bank_id])
        answers[q.bank_id] = sorted(chosen)
        results.append({"id": q.bank_id, "title": q.stem[:120], "passed":
                        answer_is_correct(question=q, chosen=chosen), "message": "",
                        "hint": "", "error_type": ""})
    score = 100.0 * sum(r["passed"] for r in results) / len(results)
    if timing.late:
        score = score * (100 - timing.penalty_percent) / 100
    submission = Submission.objects.create(
        assignment=assignment, student=student, answers=answers, results=results,
        score=round(score, 2), late=timing.late,
        status=Submission.PASSED if all(r["passed"] for r in results) else Submission.FAILED)
    score_changed.send(sender=Submission, submission=submission)
    return submission


def quiz_answers_visible(*, assignment: Assignment, student) -> bool:
    if assignment.show_answers == Assignment.AT_ONCE:
        return True
    due = due_for(assignment=assignment, student=student)
    return due is not None and timezone.now() > due


def quiz_review(*, submission: Submission) -> list[dict]:
    questions = quiz_questions(assignment=submission.assignment)
    return [{"question": q, "options": options_revealed(
        question=q, chosen=set(submission.answers.get(q.bank_id, [])))} for q in questions]


@dataclass
class ItemAnalysis:
    question: Question
    answered: int
    correct_share: float  # 0..1
    option_counts: list[tuple[str, int, bool]] = field(default_factory=list)  # text, n, correct


def quiz_item_analysis(*, assignment: Assignment) -> list[ItemAnalysis]:
    """Per question, over each student's latest attempt: the share correct and how often
    each option was chosen."""
    latest = {}
    for s in assignment.submissions.order_by("at", "pk"):
        latest[s.student_id] = s
    items = []
    for q in quiz_questions(assignment=assignment):
        chosen = [set(s.answers.get(q.bank_id, [])) for s in latest.values()
                  if q.bank_id in s.answers]
        counts = Counter(p for c in chosen for p in c)
        right = sum(answer_is_correct(question=q, chosen=c) for c in chosen)
        items.append(ItemAnalysis(
            question=q, answered=len(chosen), correct_share=right / len(chosen) if chosen else 0,
            option_counts=[(o.text, counts.get(o.position, 0), o.correct)
                           for o in q.options.all()]))
    return items
