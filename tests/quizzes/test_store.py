from dataclasses import replace

import pytest
from django.core.management import call_command

from quizzes import bank
from quizzes.models import Option, Question
from quizzes.store import bank_export, bank_store


def test_bank_store_inserts_then_updates_by_id(db, question_factory):
    q = question_factory("q-1", domain="cost", patterns=("rest-api",), services=("lambda",))
    assert bank_store(questions=[q]) == 1
    edited = replace(q, stem="A new stem", options=q.options[::-1])
    assert bank_store(questions=[edited, question_factory("q-2")]) == 2

    stored = Question.objects.get(bank_id="q-1")
    assert Question.objects.count() == 2
    assert stored.stem == "A new stem"
    assert [o.text for o in stored.options.all()] == [o.text for o in edited.options]
    assert Option.objects.filter(question=stored).count() == 4
    assert (stored.domain, stored.patterns, stored.services) == ("cost", "rest-api", "lambda")


def test_bank_store_is_all_or_nothing(db, question_factory):
    bank_store(questions=[question_factory("q-1")])
    good = replace(question_factory("q-1"), stem="changed")
    bad = replace(question_factory("q-2"), domain="speed", source_file="x.yaml", source_line=7)
    with pytest.raises(bank.BankError, match=r"x.yaml:7: question q-2: domain must be"):
        bank_store(questions=[good, bad])
    assert list(Question.objects.values_list("bank_id", "stem")) == [
        ("q-1", "Stem of q-1: which design fits?")]


def test_export_gives_back_what_was_stored(db, question_factory):
    original = question_factory("q-1", type="multi", patterns=("fan-out",),
                                services=("sns", "sqs"), link="/patterns/fan-out/#when",
                                scenario="fan-out/default", difficulty=3)
    bank_store(questions=[original])
    assert bank_export() == [original]  # source_* are not compared


def test_quiz_load_stores_the_authors_bank(db, capsys):
    expected = bank.bank_read()
    call_command("quiz", "load")
    assert Question.objects.count() == len(expected)
    assert f"Loaded {len(expected)} questions" in capsys.readouterr().out
    first = Question.objects.get(bank_id=expected[0].id)
    assert first.source == f"{expected[0].source_file}:{expected[0].source_line}"


def test_tagged_matches_whole_tags_only(db, question_factory):
    bank_store(questions=[question_factory("a", patterns=("rest-api",)),
                          question_factory("b", patterns=("rest-api-auth", "fan-out"))])
    tagged = Question.objects.tagged
    assert [q.bank_id for q in tagged(field="patterns", value="rest-api")] == ["a"]
    assert [q.bank_id for q in tagged(field="patterns", value="fan-out")] == ["b"]


def test_admin_lists_questions_with_filters(admin_client, stored_bank):
    response = admin_client.get("/admin/quizzes/question/", {"domain": "cost", "exam": "SAA-C03"})
    assert response.status_code == 200
    assert b"cost-000" in response.content and b"secure-000" not in response.content
    page = admin_client.get(f"/admin/quizzes/question/{stored_bank[0].pk}/change/")
    assert b"WHY-RIGHT" in page.content  # the inline options are editable
