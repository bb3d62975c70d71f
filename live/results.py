"""At the end of a live quiz: a quiz assignment in the class gradebook with each student's
score, and each signed-in participant's answers in their practice history (so spaced review
brings back what they missed).

The gradebook's quiz scores are Submissions of a quiz Assignment. The assignment is made with
classrooms' own `assignment_create`; the submissions are written here in the shape
`classrooms.quiz.quiz_submit` gives them, because quiz_submit refuses an attempt with an
unanswered question and a live quiz moves on whether or not everyone answered.
"""

from django.utils import timezone

from classrooms.assignments import assignment_create
from classrooms.models import Assignment, Membership, Submission
from classrooms.question_pool import questions_usable
from quizzes import grading
from quizzes.models import Answer, Learner
from quizzes.review import review_record

from .models import LiveSession


def live_results_save(*, session: LiveSession) -> Assignment | None:
    """The questions shown (none shown: nothing saved). Returns the gradebook assignment."""
    shown = session.question_ids[:session.index + 1]
    if not shown:
        return None
    questions = {q.bank_id: q for q in questions_usable(classroom_id=session.classroom_id)
                 .filter(bank_id__in=shown)}
    started = timezone.localtime(session.created_at)
    assignment = assignment_create(
        classroom=session.classroom, kind=Assignment.QUIZ, question_ids=shown,
        title=f"Live quiz: {session.title} ({started:%Y-%m-%d %H:%M})",
        opens_at=session.created_at, show_answers=Assignment.AT_ONCE)
    students = set(Membership.objects.filter(classroom=session.classroom,
                                             role=Membership.STUDENT)
                   .values_list("user_id", flat=True))
    for participant in session.participants.exclude(user=None).select_related("user"):
        answers = {a.index: a for a in participant.answers.all()}
        if participant.user_id in students:
            _submission_save(assignment=assignment, participant=participant, shown=shown,
                             questions=questions, answers=answers)
        learner, _ = Learner.objects.get_or_create(user=participant.user)
        for index, answer in sorted(answers.items()):
            question = questions.get(shown[index]) if index < len(shown) else None
            if question is None:
                continue
            Answer.objects.create(learner=learner, question=question, mode="practice",
                                  chosen=answer.chosen, correct=answer.correct,
                                  answered_at=answer.answered_at)
            review_record(learner=learner, question=question, correct=answer.correct,
                          now=answer.answered_at)
    LiveSession.objects.filter(pk=session.pk).update(assignment=assignment)
    session.assignment = assignment
    return assignment


def _submission_save(*, assignment, participant, shown, questions, answers) -> Submission:
    results, chosen = [], {}
    for index, bank_id in enumerate(shown):
        answer = answers.get(index)
        if answer:
            chosen[bank_id] = sorted(grading.chosen_decode(answer.chosen))
        question = questions.get(bank_id)
        results.append({"id": bank_id, "title": question.stem[:120] if question else bank_id,
                        "passed": bool(answer and answer.correct),
                        "message": "" if answer else "Not answered in time.",
                        "hint": "", "error_type": "" if answer else "NotAnswered"})
    passed = sum(r["passed"] for r in results)
    return Submission.objects.create(
        assignment=assignment, student=participant.user, answers=chosen, results=results,
        score=round(100.0 * passed / len(results), 2),
        status=Submission.PASSED if passed == len(results) else Submission.FAILED)
