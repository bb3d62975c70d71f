"""The end of a live quiz: the class gradebook and each signed-in player's practice history."""

from datetime import timedelta

from classrooms.dashboard import gradebook
from classrooms.models import Assignment, Submission
from live.models import LiveSession
from live.sessions import answer_take, live_end, live_join, live_reveal, live_show
from quizzes.models import Answer, Learner, ReviewCard
from quizzes.review import review_queue


def _play_two_questions(live, questions, letters, *, players):
    """Each player answers question 1 right and question 2 wrong, except the last player, who
    answers nothing; the quiz ends after question 2 (question 3 never shown)."""
    for index in (0, 1):
        live_show(session=live)
        for player in players[:-1]:
            answer_take(session=live, participant=player, index=index,
                        letters=letters(questions[index], correct=index == 0))
        live_reveal(session=live)
    return live_end(session=live)


def test_the_end_saves_a_quiz_in_the_gradebook_for_students_of_the_class(
        live, questions, letters, student, other_student, make_user):
    outsider = make_user("walk-in")  # signed in, not in the class
    players = [live_join(session=live, user=student), live_join(session=live, name="Anon"),
               live_join(session=live, user=outsider), live_join(session=live,
                                                                  user=other_student)]
    live = _play_two_questions(live, questions, letters, players=players)

    assignment = Assignment.objects.get(pk=live.assignment_id)
    assert assignment.kind == Assignment.QUIZ and assignment.classroom == live.classroom
    assert assignment.question_ids == ["live-q1", "live-q2"]  # the ones shown
    assert assignment.title.startswith("Live quiz: Friday quiz (")
    by_student = {s.student.username: s for s in Submission.objects.filter(
        assignment=assignment)}
    assert set(by_student) == {"sam", "olga"}  # no anonymous player, no outsider
    assert by_student["sam"].score == 50.0 and by_student["sam"].status == Submission.FAILED
    assert by_student["olga"].score == 0.0
    assert [r["error_type"] for r in by_student["olga"].results] == ["NotAnswered"] * 2
    _, rows = gradebook(classroom=live.classroom)
    scores = {row.student.username: row.scores[-1][0] for row in rows}
    assert scores == {"olga": 0.0, "sam": 50.0}


def test_the_end_puts_answers_in_practice_history_and_misses_come_back_in_review(
        live, questions, letters, student, make_user):
    outsider = make_user("walk-in")
    players = [live_join(session=live, user=student), live_join(session=live, user=outsider),
               live_join(session=live, name="Anon")]
    _play_two_questions(live, questions, letters, players=players)

    for user in (student, outsider):
        learner = Learner.objects.get(user=user)
        history = {a.question.bank_id: a.correct for a in Answer.objects.filter(learner=learner)}
        assert history == {"live-q1": True, "live-q2": False}
        assert ReviewCard.objects.filter(learner=learner).count() == 2
        due = review_queue(learner=learner, now=live.ended_at + timedelta(minutes=11)).due
        assert [c.question.bank_id for c in due] == ["live-q2"]  # the miss, in 10 minutes
    assert Learner.objects.filter(user=None).count() == 0  # the anonymous player: none


def test_ending_in_the_lobby_saves_nothing(live, student):
    live_join(session=live, user=student)
    live = live_end(session=live)
    assert live.phase == LiveSession.ENDED and live.assignment_id is None
    assert not Assignment.objects.exists() and not Answer.objects.exists()
