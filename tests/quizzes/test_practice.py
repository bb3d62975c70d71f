import re

from django.test import Client

from quizzes.models import Answer, ReviewCard
from quizzes.practice import NO_CHOICE, Topic, practice_next

HTMX = {"HTTP_HX_REQUEST": "true"}


def answer_url(question, query=""):
    return f"/quizzes/practice/q/{question.bank_id}/answer/" + (f"?{query}" if query else "")


def test_question_page_hides_answers_and_explanations(client, one_question):
    html = client.get(f"/quizzes/practice/q/{one_question.bank_id}/").content.decode()
    assert one_question.stem in html
    for option in one_question.options.all():
        assert option.text in html
        assert option.why not in html
    for marker in ("WHY-", "Right answer", "Wrong answer", "Correct.", 'class="right"'):
        assert marker not in html
    assert '<fieldset id="options">' in html and "<legend>" in html
    assert 'aria-live="polite"' in html


def test_practice_page_picks_a_question_and_hides_answers(client, stored_bank):
    html = client.get("/quizzes/practice/", {"domain": "cost"}).content.decode()
    assert "Stem of cost-" in html and "WHY-" not in html


def test_htmx_answer_returns_the_explained_result_fragment(client, one_question, letters_for,
                                                           session_learner):
    response = client.post(answer_url(one_question), {"answer": letters_for(one_question,
                                                                            correct=True)}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a fragment, not the page
    assert "Correct." in html
    assert html.count("WHY-") == 4  # every option explained
    assert 'href="/patterns/rest-api/#when"' in html
    assert 'href="/patterns/rest-api/?scenario=create-then-get#run"' in html
    assert 'hx-swap-oob="true"' in html and "disabled" in html  # the options lock
    answer = Answer.objects.get()
    assert (answer.learner, answer.correct, answer.mode) == (session_learner(client), True,
                                                             "practice")
    assert ReviewCard.objects.filter(learner=answer.learner, question=one_question).exists()


def test_wrong_answer_says_so_and_marks_the_choice(client, one_question, letters_for):
    html = client.post(answer_url(one_question),
                       {"answer": letters_for(one_question, correct=False)}, **HTMX
                       ).content.decode()
    assert "Not quite." in html and "Wrong answer, your choice." in html
    assert Answer.objects.get().correct is False


def test_answer_without_javascript_redirects_to_the_full_result_page(client, one_question,
                                                                     letters_for):
    response = client.post(answer_url(one_question, "pattern=rest-api"),
                           {"answer": letters_for(one_question, correct=True)})
    answer = Answer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/quizzes/practice/answers/{answer.pk}/?pattern=rest-api"
    html = client.get(response["Location"]).content.decode()
    assert "<html" in html and "Correct." in html and "WHY-RIGHT" in html
    assert 'href="/quizzes/practice/?pattern=rest-api">Next question' in html


def test_someone_elses_answer_is_not_shown(client, one_question, letters_for):
    client.post(answer_url(one_question), {"answer": letters_for(one_question, correct=True)})
    answer = Answer.objects.get()
    client.session.flush()
    client.cookies.clear()
    assert client.get(f"/quizzes/practice/answers/{answer.pk}/").status_code == 404


def test_checking_nothing_is_refused(client, one_question):
    html = client.post(answer_url(one_question), {}, **HTMX).content.decode()
    assert NO_CHOICE in html and "WHY-" not in html
    assert not Answer.objects.exists()


def test_topic_filters_by_pattern_service_and_domain(client, stored_bank):
    cost_rest = practice_next(topic=Topic(domain="cost", pattern="rest-api"), learner=None)
    assert cost_rest.domain == "cost" and "rest-api" in cost_rest.tags("patterns")
    assert practice_next(topic=Topic(service="dynamodb"), learner=None) is None
    html = client.get("/quizzes/practice/", {"service": "kinesis"}).content.decode()
    assert "no questions for this topic" in html


def test_practice_moves_on_to_questions_not_yet_seen(client, stored_bank, letters_for,
                                                     session_learner):
    first = practice_next(topic=Topic(domain="secure"), learner=None)
    client.post(answer_url(first), {"answer": letters_for(first, correct=True)}, **HTMX)
    second = practice_next(topic=Topic(domain="secure"), learner=session_learner(client))
    assert second != first


def test_retake_only_the_ones_answered_wrong(client, stored_bank, letters_for, session_learner):
    q1, q2, q3 = stored_bank[:3]
    client.post(answer_url(q1), {"answer": letters_for(q1, correct=False)}, **HTMX)
    client.post(answer_url(q2), {"answer": letters_for(q2, correct=True)}, **HTMX)
    client.post(answer_url(q3), {"answer": letters_for(q3, correct=False)}, **HTMX)
    client.post(answer_url(q3), {"answer": letters_for(q3, correct=True)}, **HTMX)  # fixed it
    html = client.get("/quizzes/practice/", {"wrong": "1"}).content.decode()
    assert q1.stem in html
    learner = session_learner(client)
    assert practice_next(topic=Topic(wrong_only=True), learner=learner) == q1
    client.post(answer_url(q1, "wrong=1"), {"answer": letters_for(q1, correct=True)}, **HTMX)
    assert practice_next(topic=Topic(wrong_only=True), learner=learner) is None
    assert "waiting for a retake" in client.get("/quizzes/practice/?wrong=1").content.decode()


def test_multiple_response_shows_checkboxes_and_how_many_to_choose(db, client,
                                                                  question_factory):
    from quizzes.store import bank_store

    bank_store(questions=[question_factory("m-1", type="multi")])
    html = client.get("/quizzes/practice/q/m-1/").content.decode()
    assert html.count('type="checkbox" name="answer"') == 5 and "Choose two." in html


def test_the_forms_work_without_javascript_with_csrf_enforced(db, one_question, letters_for):
    client = Client(enforce_csrf_checks=True)
    html = client.get(f"/quizzes/practice/q/{one_question.bank_id}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    response = client.post(answer_url(one_question), {
        "answer": letters_for(one_question, correct=True), "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and Answer.objects.get().correct
