import csv
import io

import pytest
from django.core.management import call_command

from quizzes.interchange import gift, moodle_xml
from quizzes.models import Answer, Question
from quizzes.store import bank_export, bank_store

AIKEN = """Which service runs code without provisioning servers?
A. Amazon EC2
B. AWS Lambda
C. Amazon EBS
D. Amazon VPC
ANSWER: B
"""


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("quiz", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as e:
        code = e.code
    return code, out.getvalue(), err.getvalue()


def snapshot():
    return sorted(Question.objects.values_list("bank_id", "stem", "domain"))


@pytest.fixture
def gift_file(tmp_path, question_factory):
    path = tmp_path / "two.gift"
    path.write_text(gift.dump([question_factory("imp-1", domain="cost"),
                               question_factory("imp-2", type="multi")]))
    return path


def test_import_gift_stores_every_question(db, gift_file):
    code, out, err = run("import", str(gift_file))
    assert (code, err) == (0, "")
    assert "Imported 2 questions" in out
    assert [q.bank_id for q in Question.objects.all()] == ["imp-1", "imp-2"]
    assert Question.objects.get(bank_id="imp-2").options.filter(correct=True).count() == 2
    assert Question.objects.get(bank_id="imp-1").source.startswith(str(gift_file) + ":")


def test_a_bad_file_changes_nothing_and_names_the_line(db, tmp_path, gift_file,
                                                       question_factory):
    bank_store(questions=[question_factory("imp-1", domain="secure")])
    before = snapshot()
    broken = tmp_path / "broken.gift"
    # imp-1 is fine; imp-2 loses its closing brace.
    broken.write_text(gift_file.read_text().rstrip().removesuffix("}") + "\n")
    lines = broken.read_text().splitlines()
    unclosed = next(n for n, line in enumerate(lines, 1) if line.startswith("::imp-2::"))
    code, out, err = run("import", str(broken))
    assert code == 1 and out == ""
    assert err.startswith(f"{broken}:{unclosed}: ")
    assert snapshot() == before  # imp-1 was not updated from the good first question


def test_a_question_the_bank_refuses_is_reported_with_its_line(db, tmp_path):
    path = tmp_path / "three-options.gift"
    path.write_text("// [tag:domain:cost]\n::short::Pick one{=a#yes ~b#no ~c#no}\n")
    code, _, err = run("import", str(path))
    assert code == 1
    assert err.startswith(f"{path}:2: ") and "4 options, exactly 1 correct" in err
    assert not Question.objects.exists()


def test_aiken_import_takes_the_domain_from_a_default(db, tmp_path):
    path = tmp_path / "lambda.txt"
    path.write_text(AIKEN)
    code, _, err = run("import", str(path))
    assert code == 1 and err.startswith(f"{path}:") and not Question.objects.exists()
    code, out, _ = run("import", str(path), "--default", "domain=performance")
    assert code == 0
    question = Question.objects.get()
    assert question.domain == "performance"
    assert question.options.get(correct=True).text == "AWS Lambda"


def test_unknown_extension_needs_a_format(db, tmp_path):
    path = tmp_path / "questions.dat"
    path.write_text(AIKEN)
    code, _, err = run("import", str(path))
    assert code == 1 and err.startswith(f"{path}:0: ")
    assert run("import", str(path), "--format", "aiken", "--default", "domain=cost")[0] == 0


@pytest.mark.parametrize(("fmt", "module"), [("gift", gift), ("moodle-xml", moodle_xml)])
def test_export_writes_the_whole_bank_round_trip(stored_bank, tmp_path, fmt, module):
    path = tmp_path / "bank.out"
    code, out, _ = run("export", "--format", fmt, "--output", str(path))
    assert code == 0 and str(path) in out
    assert module.parse(path.read_text()) == bank_export()
    assert len(bank_export()) == len(stored_bank)


def test_export_to_standard_output(one_question):
    code, out, _ = run("export", "--format", "gift")
    assert code == 0 and "::rest-api-q1::" in out


def test_export_results_writes_every_answer_as_csv(client, one_question, tmp_path, letters_for):
    url = f"/quizzes/practice/q/{one_question.bank_id}/answer/"
    client.post(url, {"answer": letters_for(one_question, correct=False)})
    client.post(url, {"answer": letters_for(one_question, correct=True)})
    path = tmp_path / "results.csv"
    code, out, _ = run("export-results", "--output", str(path))
    assert code == 0 and "Wrote 2 answers" in out
    rows = list(csv.DictReader(path.open()))
    assert [(r["question"], r["domain"], r["mode"], r["correct"]) for r in rows] == [
        ("rest-api-q1", "cost", "practice", "0"), ("rest-api-q1", "cost", "practice", "1")]
    assert rows[1]["chosen"] == rows[1]["correct_options"] == "1"
    assert rows[0]["chosen"] != "1" and rows[0]["learner"] == str(Answer.objects.first().learner_id)
