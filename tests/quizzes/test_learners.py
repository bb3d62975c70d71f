from datetime import timedelta

from django.contrib.auth.models import User

from quizzes.models import Answer, ExamAttempt, Learner, ReviewCard
from quizzes.review import review_record


def answer(client, question, letters):
    client.post(f"/quizzes/practice/q/{question.bank_id}/answer/", {"answer": letters})


def test_anonymous_progress_moves_to_a_new_account_on_signup(client, stored_bank, letters_for,
                                                             session_learner):
    answer(client, stored_bank[0], letters_for(stored_bank[0], correct=True))
    client.post("/quizzes/exam/start/")
    anonymous = session_learner(client)
    response = client.post("/accounts/signup/?next=/quizzes/progress/", {
        "username": "ada", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"})
    assert response["Location"] == "/quizzes/progress/"
    learner = Learner.objects.get(user__username="ada")
    assert learner.pk == anonymous.pk  # the same row, now owned by the user
    assert Answer.objects.get().learner == learner
    assert ExamAttempt.objects.get().learner == learner
    html = client.get("/quizzes/progress/").content.decode()
    assert "Signed in as ada" in html and stored_bank[0].bank_id in html


def test_anonymous_progress_merges_into_an_existing_account_on_login(client, stored_bank,
                                                                     letters_for, now,
                                                                     session_learner):
    user = User.objects.create_user("bo", password="pw-bo-12345")
    mine = Learner.objects.create(user=user)
    old = review_record(learner=mine, question=stored_bank[0], correct=True,
                        now=now - timedelta(days=5))
    mine_only = review_record(learner=mine, question=stored_bank[2], correct=True, now=now)
    Answer.objects.create(learner=mine, question=stored_bank[2], correct=True, answered_at=now)

    answer(client, stored_bank[0], letters_for(stored_bank[0], correct=False))
    answer(client, stored_bank[1], letters_for(stored_bank[1], correct=True))
    anonymous = session_learner(client)
    response = client.post("/accounts/login/",
                           {"username": "bo", "password": "pw-bo-12345"})
    assert response.status_code == 302

    assert not Learner.objects.filter(pk=anonymous.pk).exists()
    assert Answer.objects.filter(learner=mine).count() == 3
    cards = {c.question_id: c for c in ReviewCard.objects.filter(learner=mine)}
    assert set(cards) == {stored_bank[0].pk, stored_bank[1].pk, stored_bank[2].pk}
    assert cards[stored_bank[0].pk].reviewed_at > old.reviewed_at  # the newer card won
    assert cards[stored_bank[2].pk].pk == mine_only.pk


def test_logging_in_with_no_anonymous_progress_keeps_the_account_as_it_is(client, stored_bank,
                                                                        now):
    user = User.objects.create_user("cy", password="pw-cy-12345")
    mine = Learner.objects.create(user=user)
    client.post("/accounts/login/", {"username": "cy", "password": "pw-cy-12345"})
    assert list(Learner.objects.all()) == [mine]


def test_a_signed_in_learner_answers_as_themselves(client, one_question, letters_for):
    user = User.objects.create_user("di", password="pw-di-12345")
    client.force_login(user)
    answer(client, one_question, letters_for(one_question, correct=True))
    assert Answer.objects.get().learner.user == user
