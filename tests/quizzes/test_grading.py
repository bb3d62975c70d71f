import pytest

from quizzes import grading
from quizzes.models import Question
from quizzes.store import bank_store


@pytest.mark.parametrize(("correct", "total", "score"), [
    (0, 65, 100), (65, 65, 1000), (45, 65, 723), (44, 65, 709), (1, 2, 550), (0, 0, 100),
])
def test_score_scale_is_linear_from_100_to_1000(correct, total, score):
    assert grading.score_scale(correct=correct, total=total) == score


def test_pass_mark_is_720_and_needs_45_of_65():
    assert grading.PASS_SCORE == 720
    assert grading.score_scale(correct=45, total=65) >= grading.PASS_SCORE
    assert grading.score_scale(correct=44, total=65) < grading.PASS_SCORE


@pytest.mark.parametrize(("chosen", "right"), [
    ({0, 1}, True),          # exactly the two right options
    ({0}, False),            # one of two: no partial credit
    ({0, 1, 2}, False),      # both right plus a wrong one
    ({2, 3}, False),
    (set(), False),
])
def test_multiple_response_scores_all_or_nothing(db, question_factory, chosen, right):
    bank_store(questions=[question_factory("multi-1", type="multi")])
    question = Question.objects.get(bank_id="multi-1")
    assert grading.answer_is_correct(question=question, chosen=chosen) is right


def test_single_choice_is_right_only_with_the_right_option(one_question):
    assert grading.answer_is_correct(question=one_question, chosen={0})
    assert not grading.answer_is_correct(question=one_question, chosen={1})


def test_letters_map_back_to_the_options_shown(one_question):
    shown = grading.options_shown(question=one_question)
    for option in shown:
        position = int(option.text.rsplit(" ", 1)[1]) - 1  # "... option 3" is position 2
        assert grading.letters_to_positions(question=one_question,
                                            letters=[option.letter]) == {position}
    assert grading.letters_to_positions(question=one_question, letters=["Z", "<x>"]) == set()


def test_shown_options_carry_no_answer():
    assert set(grading.ShownOption.__dataclass_fields__) == {"letter", "text"}


def test_option_order_is_stable_and_not_always_the_bank_order(db, question_factory):
    bank_store(questions=[question_factory(f"q-{n}") for n in range(12)])
    orders = [[o.position for o in grading.option_order(question=q)]
              for q in Question.objects.all()]
    assert orders == [[o.position for o in grading.option_order(question=q)]
                      for q in Question.objects.all()]
    # The right answer is position 0 in every generated question; the page must not show it
    # first every time, or the order would give it away.
    assert {order.index(0) for order in orders} != {0}


def test_unwrap_joins_wrapped_lines_and_keeps_paragraphs():
    from quizzes.templatetags.quiz_text import unwrap

    assert unwrap("A company runs\n  an API.\n\nWhich design\nfits?\n") == (
        "A company runs an API.\n\nWhich design fits?")
