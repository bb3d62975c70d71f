"""Questions tied to the lab (issue 16): the bank's `lab` link is validated on load, practice
filters by it, the explanation links to the experiment or fix-it, and the experiment block
links back to its questions."""

import textwrap

import pytest
from django.urls import reverse

from patterns.catalog import catalog
from patterns.experiments import pattern_experiments
from quizzes.bank import BankError, bank_read
from quizzes.lab_links import BAD_LAB, lab_link_problems
from quizzes.models import Question
from quizzes.practice import Topic, topic_questions
from quizzes.store import bank_store

HTMX = {"HTTP_HX_REQUEST": "true"}
COLD = "rest-api/experiment/cold-starts"
STARVED = "rest-api/experiment/critical-starved"
FIXIT = "rest-api/fixit/missing-permission"


def _bank_file(tmp_path, lab: str) -> None:
    (tmp_path / "lab.yaml").write_text(textwrap.dedent(f"""\
        - id: lab-linked-001
          domain: performance
          lab: {lab}
          stem: Which is it?
          options:
            - {{text: This one, correct: true, why: Because.}}
            - {{text: That one, why: Not that.}}
            - {{text: Another, why: Not that either.}}
            - {{text: The last, why: No.}}
        """))


def test_a_link_to_an_experiment_that_exists_loads(tmp_path):
    _bank_file(tmp_path, "{pattern: rest-api, experiment: cold-starts}")
    [question] = bank_read(tmp_path)
    assert question.labs == (COLD,)


def test_a_link_to_a_missing_experiment_is_a_load_error_naming_the_question(tmp_path):
    _bank_file(tmp_path, "{pattern: rest-api, experiment: no-such-experiment}")
    with pytest.raises(BankError) as error:
        bank_read(tmp_path)
    message = str(error.value)
    assert message.startswith("lab.yaml:1: question lab-linked-001:")
    assert "pattern 'rest-api' has no experiment 'no-such-experiment'" in message
    assert "cold-starts" in message  # says which experiments there are


@pytest.mark.parametrize("lab, says", [
    ("{pattern: no-such-pattern, experiment: cold-starts}", "no pattern 'no-such-pattern'"),
    ("{pattern: rest-api}", BAD_LAB),
    ("{pattern: rest-api, experiment: cold-starts, fixit: missing-permission}", BAD_LAB),
    ("rest-api/cold-starts", BAD_LAB),
])
def test_a_bad_lab_link_is_a_load_error_naming_the_question(tmp_path, lab, says):
    _bank_file(tmp_path, lab)
    with pytest.raises(BankError, match="question lab-linked-001") as error:
        bank_read(tmp_path)
    assert says in str(error.value)


FIXIT_PATTERNS = [p.slug for p in catalog().values() if (p.folder / "fixits.yaml").exists()]


@pytest.mark.parametrize("slug", FIXIT_PATTERNS)
def test_a_fixit_link_is_checked_once_its_pattern_has_fixits(slug):
    assert "has no fix-it 'no-such-fixit'" in lab_link_problems(f"{slug}/fixit/no-such-fixit")[0]


@pytest.fixture
def linked_bank(db, question_factory):
    bank_store(questions=[
        question_factory("cold-1", labs=(COLD,)),
        question_factory("cold-2", labs=(COLD, STARVED)),
        question_factory("starved-1", labs=(STARVED,)),
        question_factory("fixit-1", labs=(FIXIT,)),
        question_factory("plain-1"),
    ])
    return {q.bank_id: q for q in Question.objects.all()}


def test_practice_filtered_by_a_lab_link_gives_exactly_its_questions(linked_bank):
    def ids(lab):
        return sorted(q.bank_id for q in topic_questions(topic=Topic(lab=lab), learner=None))

    assert ids(COLD) == ["cold-1", "cold-2"]
    assert ids(STARVED) == ["cold-2", "starved-1"]
    assert ids(FIXIT) == ["fixit-1"]
    assert ids("rest-api/experiment/cold") == []  # a whole link, not a prefix


def test_the_practice_page_filtered_by_a_lab_link(client, linked_bank):
    page = client.get(reverse("quizzes:practice"), {"lab": COLD}).content.decode()
    assert "Topic: the rest-api experiment cold-starts." in page
    title = pattern_experiments(catalog()["rest-api"])["cold-starts"].title
    assert (f'<a href="/patterns/rest-api/#experiment-cold-starts">Back to the experiment: '
            f'{title}</a>') in page
    assert "Stem of cold-" in page
    # the answer form keeps the filter, so "Next question" stays in it
    assert "/answer/?lab=rest-api%2Fexperiment%2Fcold-starts" in page


def test_a_class_question_with_the_link_stays_out_of_the_public_filter(linked_bank, classroom):
    own = Question.everything.get(bank_id="starved-1")
    own.classroom = classroom
    own.save()
    found = topic_questions(topic=Topic(lab=STARVED), learner=None)
    assert [q.bank_id for q in found] == ["cold-2"]


@pytest.mark.parametrize("query, says", [
    ({"lab": "rest-api/cold-starts"}, "is not a lab link"),
    ({"lab": "rest-api/scenario/cold-starts"}, "is not a lab link"),
    ({"exam": "CLF-C02"}, "There is no such exam to practise for"),
    ({"exam": "DVA-C02", "domain": "secure"}, "DVA-C02 has no such domain"),
])
def test_a_topic_that_cannot_be_is_refused_where_the_learner_is(client, linked_bank, query,
                                                                  says):
    response = client.get(reverse("quizzes:practice"), query)
    assert response.status_code == 400
    page = response.content.decode()
    assert says in page and "Check answer" not in page


def _answer_fragment(client, letters_for, question) -> str:
    url = reverse("quizzes:practice_answer", args=[question.bank_id])
    response = client.post(url, {"answer": letters_for(question, correct=False)}, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_explanation_links_to_the_experiment_it_tests(client, linked_bank, letters_for):
    html = _answer_fragment(client, letters_for, linked_bank["cold-2"])
    title = pattern_experiments(catalog()["rest-api"])["cold-starts"].title
    assert (f'<a href="/patterns/rest-api/#experiment-cold-starts" class="try-lab">'
            f'Try it in the lab: {title} (experiment)</a>') in html
    assert 'href="/patterns/rest-api/#experiment-critical-starved"' in html


def test_the_explanation_links_to_the_fixit_it_tests(client, linked_bank, letters_for):
    html = _answer_fragment(client, letters_for, linked_bank["fixit-1"])
    assert 'href="/patterns/rest-api/fix/missing-permission/" class="try-lab"' in html
    assert "(fix-it)</a>" in html


def test_an_untied_question_has_no_lab_link(client, linked_bank, letters_for):
    assert "Try it in the lab" not in _answer_fragment(client, letters_for, linked_bank["plain-1"])


def test_the_experiment_block_offers_its_questions(client, linked_bank):
    page = client.get(reverse("patterns:detail", args=["rest-api"])).content.decode()
    block = page.split('id="experiment-cold-starts"', 1)[1].split('id="experiment-', 1)[0]
    assert ('<a href="/quizzes/practice/?lab=rest-api%2Fexperiment%2Fcold-starts">Test yourself: '
            '2 exam-style questions on this experiment</a>') in block


def test_an_experiment_without_questions_offers_none(client, linked_bank):
    page = client.get(reverse("patterns:detail", args=["async-queue"])).content.decode()
    assert 'id="experiment-visibility-too-short"' in page
    assert "Test yourself" not in page


def test_class_questions_do_not_count_for_test_yourself(client, linked_bank, classroom):
    Question.everything.filter(bank_id__in=["cold-1", "cold-2"]).update(classroom=classroom)
    page = client.get(reverse("patterns:detail", args=["rest-api"])).content.decode()
    block = page.split('id="experiment-cold-starts"', 1)[1].split('id="experiment-', 1)[0]
    assert "Test yourself" not in block


def test_the_fixit_page_offers_its_questions(client, linked_bank):
    page = client.get(reverse("patterns:fixit", args=["rest-api", "missing-permission"]))
    assert page.status_code == 200
    assert ('<a href="/quizzes/practice/?lab=rest-api%2Ffixit%2Fmissing-permission">Test yourself: '
            '1 exam-style question on this fix-it</a>') in page.content.decode()
