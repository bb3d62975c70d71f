"""The figures table (content/aws_numbers.yaml) keeps up with AWS: every figure names its source
and the month it was read there (a drift test), and a learner reads that month beside the figure
on the pattern pages, the reference pages and in question explanations."""

import html

import pytest
from django.template import Context, Template
from django.urls import reverse

from quizzes.bank import bank_read
from serverless_lab.aws_numbers import (
    checked_month,
    cite,
    figure,
    figure_problems,
    figures,
    figures_read,
)

FIGURE = "lambda.timeout_max"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


# The drift test.

def test_every_figure_has_a_source_and_the_month_it_was_read_there():
    assert figures(), "the table is empty"
    assert figure_problems() == []


def test_the_drift_test_fails_on_a_figure_without_source_or_month(tmp_path):
    numbers = tmp_path / "aws_numbers.yaml"
    fields = "value: 1, unit: s, display: '1 second'"
    numbers.write_text(
        "lambda:\n"
        f"  sourced: {{{fields}, source: 'https://docs.aws.amazon.com/x', as_of: '2026-12'}}\n"
        f"  unsourced: {{{fields}, as_of: '2026-12'}}\n"
        f"  not_a_url: {{{fields}, source: 'the Lambda docs', as_of: '2026-12'}}\n"
        f"  undated: {{{fields}, source: 'https://docs.aws.amazon.com/x'}}\n"
        f"  a_day: {{{fields}, source: 'https://docs.aws.amazon.com/x', as_of: 2026-12-06}}\n"
        f"  month_13: {{{fields}, source: 'https://docs.aws.amazon.com/x', as_of: '2026-13'}}\n"
        f"  words: {{{fields}, source: 'https://docs.aws.amazon.com/x', as_of: 'Nov 2026'}}\n")
    assert figure_problems(figures_read(numbers)) == [
        "lambda.unsourced: no source URL",
        "lambda.not_a_url: no source URL",
        "lambda.undated: as_of '' is not a YYYY-MM month",
        "lambda.a_day: as_of '2026-12-06' is not a YYYY-MM month",
        "lambda.month_13: as_of '2026-13' is not a YYYY-MM month",
        "lambda.words: as_of 'Nov 2026' is not a YYYY-MM month",
    ]


def test_checked_month_names_the_month():
    assert checked_month("2026-11") == "checked November 2026"
    assert checked_month("2027-01") == "checked January 2027"


@pytest.mark.parametrize("bad", ["", "2026-1", "2026-00", "2026-13", "11-2026", "November 2026"])
def test_checked_month_refuses_what_is_not_a_month(bad):
    with pytest.raises(ValueError, match="is not a YYYY-MM month"):
        checked_month(bad)


def test_a_dated_citation_puts_the_month_beside_the_figure():
    f = figure(FIGURE)
    text = f"A function stops at [[{FIGURE}]]."
    assert cite(text) == f"A function stops at {f.display}."
    assert cite(text, dated=True) == (
        f"A function stops at {f.display} ({checked_month(f.as_of)}).")


# Where a learner reads a figure.

@pytest.mark.django_db
def test_pattern_page_shows_the_month_beside_its_figures(client):
    text = page(client, reverse("patterns:detail", args=["orchestration"]))
    assert figure("step_functions.execution_name_reuse").dated in text
    assert figure("step_functions.payload_max").dated in text


@pytest.mark.django_db
def test_glossary_shows_the_month_beside_its_figures(client):
    text = page(client, reverse("patterns:glossary"))
    assert figure(FIGURE).dated in text
    assert figure("api_gateway.websocket_message_max").dated in text


@pytest.mark.django_db
def test_compare_page_shows_the_month_beside_prices_and_limits(client):
    text = page(client, reverse("patterns:compare"))
    assert figure("lambda.price_gb_second_x86").dated in text  # the cost example's table
    assert figure(FIGURE).dated in text  # serverless versus traditional


def test_question_explanations_date_their_figures_and_stems_and_options_do_not():
    questions = bank_read()
    whys = [o.why for q in questions for o in q.options]
    assert any(figure("x_ray.sdk_end_of_support").dated in why for why in whys)
    assert any(figure("dynamodb.ttl_deletion_delay").dated in why for why in whys)
    # A stem or an option shows the bare figure: a date there would read as part of the answer.
    assert [q.id for q in questions if "(checked " in q.stem] == []
    assert [q.id for q in questions for o in q.options if "(checked " in o.text] == []


# The template filter, for templates that show a figure's display form themselves.

@pytest.mark.parametrize(("as_of", "shown"), [
    ("2026-11", "checked November 2026"),
    ("2026-13", ""),  # not a month: nothing rather than a wrong date
    ("", ""),
    (None, ""),
])
def test_the_checked_filter_renders_the_month(as_of, shown):
    rendered = Template("{% load aws_figures %}{{ as_of|checked }}").render(
        Context({"as_of": as_of}))
    assert rendered == shown
