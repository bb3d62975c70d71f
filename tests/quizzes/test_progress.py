import csv
import io

from quizzes.progress import CSV_HEADER, progress_summary


def answer(client, question, letters):
    client.post(f"/quizzes/practice/q/{question.bank_id}/answer/", {"answer": letters})


def test_mastery_counts_the_latest_answer_per_question(client, stored_bank, letters_for,
                                                       session_learner):
    cost = [q for q in stored_bank if q.domain == "cost"]
    answer(client, cost[0], letters_for(cost[0], correct=True))
    answer(client, cost[1], letters_for(cost[1], correct=True))
    answer(client, cost[1], letters_for(cost[1], correct=False))  # forgot it since
    progress = progress_summary(learner=session_learner(client))
    by_domain = {m.name: m for m in progress.domains}
    assert (by_domain["cost"].mastered, by_domain["cost"].answered, by_domain["cost"].total) == (
        1, 2, 30)
    assert by_domain["cost"].percent == 3 and by_domain["secure"].answered == 0
    patterns = {m.name: m for m in progress.patterns}
    assert set(patterns) == {"async-queue", "rest-api"}
    assert patterns["async-queue"].mastered + patterns["rest-api"].mastered == 1
    assert progress.wrong == 1


def test_progress_page_shows_mastery_history_and_exams(client, stored_bank, letters_for):
    answer(client, stored_bank[0], letters_for(stored_bank[0], correct=True))
    client.post("/quizzes/exam/start/")
    html = client.get("/quizzes/progress/").content.decode()
    assert '<th scope="row">cost</th>' in html and '<th scope="row">rest-api</th>' in html
    assert "in progress: resume" in html
    assert f">{stored_bank[0].bank_id}</a>" in html
    assert "Download my results (CSV)" in html


def test_results_download_holds_only_my_answers(client, stored_bank, letters_for):
    from django.test import Client

    other = Client()
    answer(other, stored_bank[1], letters_for(stored_bank[1], correct=True))
    answer(client, stored_bank[0], letters_for(stored_bank[0], correct=True))
    response = client.get("/quizzes/progress/results.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == CSV_HEADER
    assert [r[5] for r in rows[1:]] == [stored_bank[0].bank_id]


def test_a_new_visitor_sees_empty_progress_without_creating_a_learner(client, stored_bank):
    from quizzes.models import Learner

    assert client.get("/quizzes/progress/").status_code == 200
    assert client.get("/quizzes/").status_code == 200
    assert client.get("/quizzes/progress/results.csv").content.decode().count("\n") == 1
    assert not Learner.objects.exists()


def test_overview_lists_topics_and_the_mock_exam(client, stored_bank):
    html = client.get("/quizzes/").content.decode()
    assert "120 questions in the bank" in html
    assert 'href="/quizzes/practice/?pattern=rest-api"' in html
    assert 'href="/quizzes/practice/?service=sqs"' in html
    assert ('href="/quizzes/practice/?exam=SAA-C03&amp;domain=cost">Design Cost-Optimized '
            'Architectures</a> <span class="muted">(30)') in html
    assert "a time limit of 130 minutes" in html
