"""Aiken, Moodle's simplest question format: multiple-choice questions, import only.

    Which service runs code without provisioning servers?
    A. Amazon EC2
    B) AWS Lambda
    C. Amazon EBS
    D. Amazon VPC
    ANSWER: B

Aiken carries no explanations, exam domain, title or metadata. The bank needs a why for
every option, so each gets AIKEN_WHY, which says honestly that nothing was imported, unless
defaults["why"] gives another; the domain must come from defaults["domain"]. Ids are
`aiken-<8 hex of the stem's sha1>`, the same each time the same question is imported.

Beyond Moodle's reading: the question may run over several lines, and `ANSWER: A, C`
(several letters) makes a multiple-response question. Options are lettered A, B, C... in order.
"""

import re

from quizzes.bank import BankError, Question
from quizzes.interchange import _common as common

AIKEN_WHY = ("No explanation was imported (Aiken carries none); "
             "edit this question in the admin.")
OPTION = re.compile(r"([A-Z])[.)][ \t]+(.*)")
ANSWER = re.compile(r"ANSWER:(.*)")

OPTION_FIRST = "option {letter} comes before any question text"
OPTION_ORDER = "expected option {expected}, found {found}"
ANSWER_FIRST = "ANSWER: comes before any option"
ANSWER_EMPTY = "ANSWER: names no option"
UNKNOWN_LETTER = "answer {letter} is not one of the options A-{last}"
TEXT_AFTER_OPTIONS = "text after the options where ANSWER: was expected"
NO_ANSWER = "the question has no ANSWER: line"


def parse(text: str, *, defaults: dict | None = None) -> list[Question]:
    defaults = common.defaults_check(defaults)
    meta, why = common.metadata([], defaults=defaults), defaults.get("why") or AIKEN_WHY
    questions: list[Question] = []
    stem: list[str] = []
    options: list[str] = []
    start = 0
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, 1):
        if not (line := line.strip()):
            continue
        if answer := ANSWER.match(line):
            if not options:
                raise BankError(f"line {number}: {ANSWER_FIRST}")
            right = _letters(answer[1], len(options), number)
            joined = "\n".join(stem)
            questions.append(common.question_build(
                line=start, id=common.stem_id("aiken", joined), stem=joined,
                single=len(right) == 1, meta=meta, why=why,
                options=[(o, n in right, "") for n, o in enumerate(options)]))
            stem, options = [], []
        elif option := OPTION.match(line):
            expected = chr(ord("A") + len(options))
            if not stem:
                raise BankError(f"line {number}: " + OPTION_FIRST.format(letter=option[1]))
            if option[1] != expected:
                raise BankError(f"line {number}: "
                                + OPTION_ORDER.format(expected=expected, found=option[1]))
            options.append(option[2].strip())
        elif options:
            raise BankError(f"line {number}: {TEXT_AFTER_OPTIONS}")
        else:
            start = start if stem else number
            stem.append(line)
    if stem:
        raise BankError(f"line {start}: {NO_ANSWER}")
    return common.ids_unique(questions)


def _letters(value: str, count: int, number: int) -> set[int]:
    """Option indexes named by `ANSWER: B` or `ANSWER: A, C`."""
    letters = [item.rstrip(".)").upper() for item in re.split(r"[\s,]+", value.strip()) if item]
    if not letters:
        raise BankError(f"line {number}: {ANSWER_EMPTY}")
    last = chr(ord("A") + count - 1)
    for letter in letters:
        if len(letter) != 1 or not "A" <= letter <= last:
            raise BankError(f"line {number}: " + UNKNOWN_LETTER.format(letter=letter, last=last))
    return {ord(letter) - ord("A") for letter in letters}
