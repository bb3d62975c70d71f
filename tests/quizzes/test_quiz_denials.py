"""What a learner may not see: another learner's exam pages (result, timer), and questions that
do not exist (issue 19, "What is not tested today")."""

from django.contrib.auth.models import User

from quizzes.exams import exam_grade, exam_start
from quizzes.models import Learner

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_another_learners_exam_result_and_timer_are_not_found(client, stored_bank, learner, now):
    attempt = exam_start(learner=learner, now=now)
    assert client.get(f"/quizzes/exam/{attempt.pk}/timer/", **HTMX).status_code == 404
    exam_grade(attempt=attempt, now=now)
    assert client.get(f"/quizzes/exam/{attempt.pk}/result/").status_code == 404


def test_a_signed_in_learner_sees_their_own_result_and_not_another_users(client, stored_bank,
                                                                         now):
    ada, bo = (User.objects.create_user(name) for name in ("ada", "bo"))
    attempts = {user: exam_start(learner=Learner.objects.create(user=user), now=now)
                for user in (ada, bo)}
    for attempt in attempts.values():
        exam_grade(attempt=attempt, now=now)
    client.force_login(ada)
    assert client.get(f"/quizzes/exam/{attempts[ada].pk}/result/").status_code == 200
    assert client.get(f"/quizzes/exam/{attempts[bo].pk}/result/").status_code == 404
    assert client.get(f"/quizzes/exam/{attempts[bo].pk}/timer/", **HTMX).status_code == 404


def test_an_unknown_question_is_not_found(client, stored_bank):
    assert client.get("/quizzes/practice/q/no-such-question/").status_code == 404
    response = client.post("/quizzes/practice/q/no-such-question/answer/", {"answer": "A"})
    assert response.status_code == 404
