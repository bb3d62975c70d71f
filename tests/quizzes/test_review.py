from datetime import timedelta

from quizzes.models import ReviewCard
from quizzes.review import review_queue, review_record


def test_a_right_answer_is_due_in_days_a_wrong_one_in_minutes(learner, stored_bank, now):
    right = review_record(learner=learner, question=stored_bank[0], correct=True, now=now)
    wrong = review_record(learner=learner, question=stored_bank[1], correct=False, now=now)
    assert wrong.due == now + timedelta(minutes=10)
    assert right.due - now >= timedelta(days=1)
    assert right.reviewed_at == now


def test_reviewing_again_moves_the_due_date(learner, stored_bank, now):
    question = stored_bank[0]
    first = review_record(learner=learner, question=question, correct=True, now=now)
    second = review_record(learner=learner, question=question, correct=True, now=first.due)
    assert second.due - first.due > first.due - now  # intervals grow as recall holds
    lapsed = review_record(learner=learner, question=question, correct=False, now=second.due)
    assert lapsed.due - second.due < timedelta(days=1)  # a lapse brings it back soon
    assert ReviewCard.objects.filter(learner=learner).count() == 1


def test_queue_holds_what_is_due_now_most_overdue_first(learner, stored_bank, now):
    a = review_record(learner=learner, question=stored_bank[0], correct=False, now=now)
    b = review_record(learner=learner, question=stored_bank[1], correct=False,
                      now=now - timedelta(hours=1))
    review_record(learner=learner, question=stored_bank[2], correct=True, now=now)
    assert [c.pk for c in review_queue(learner=learner, now=now).due] == [b.pk]
    later = now + timedelta(minutes=15)
    assert [c.pk for c in review_queue(learner=learner, now=later).due] == [b.pk, a.pk]
    assert review_queue(learner=learner, now=now).later_today == (
        1 if a.due.date() == now.date() else 0)
    assert review_queue(learner=None, now=now).due == []


def test_review_page_shows_the_next_due_question(client, stored_bank, letters_for,
                                                 session_learner):
    question = stored_bank[0]
    client.post(f"/quizzes/practice/q/{question.bank_id}/answer/",
                {"answer": letters_for(question, correct=False)})
    card = ReviewCard.objects.get(learner=session_learner(client))
    card.due -= timedelta(hours=1)
    card.save()
    html = client.get("/quizzes/review/").content.decode()
    assert question.stem in html and "WHY-" not in html
    assert '<input type="hidden" name="mode" value="review">' in html
    client.post(f"/quizzes/practice/q/{question.bank_id}/answer/",
                {"answer": letters_for(question, correct=True), "mode": "review"})
    card.refresh_from_db()
    assert card.due > card.reviewed_at
    assert "Nothing is due" in client.get("/quizzes/review/").content.decode()
