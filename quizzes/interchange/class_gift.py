"""GIFT for a class's own bank: read what Moodle exports, write what Moodle imports.

Moodle's export of a course bank looks like this (one blank line between questions):

    // question: 0  name: Switch category to $course$/top/Default for CS 101/Week 1
    $CATEGORY: $course$/top/Default for CS 101/Week 1

    // question: 1541  name: Lambda is serverless
    ::Lambda is serverless::[html]<p>AWS Lambda runs code without servers.</p>{TRUE#No: it
    does.#Right.}

    ::Pick two::[html]<p>Which TWO bill per request?</p>{
    \t~%50%Lambda#Per request and duration.
    \t~%50%SQS
    \t~%-100%EC2#Per second.
    }

True/false is `{T}`, `{TRUE}`, `{F}` or `{FALSE}`, then `#feedback when wrong#feedback when
right`. A multiple-choice question with no `=` answer is multiple answer (Moodle's rule).
A missing-word question (text after the answers) keeps its blank as `_____` in the stem.
Essay `{}`, numerical `{#...}`, short answer (only `=`), matching (`->`) and descriptions
(no answers) are named in the reading's `skipped`.
"""

import re

from quizzes.bank import BankError
from quizzes.interchange import _common as common
from quizzes.interchange import gift
from quizzes.interchange.classbank import (
    MULTICHOICE,
    TRUEFALSE,
    ClassOption,
    ClassQuestion,
    Reading,
    Skipped,
    collect,
    fraction_text,
    ident_for,
    why_not,
)

HEADER = "// Questions of the class {name}, from Serverless Lab. Moodle imports this file.\n\n"
TRUE_WORDS, FALSE_WORDS = ("T", "TRUE"), ("F", "FALSE")
BLANK = "_____"


def read(text: str) -> Reading:
    """Every usable question of a GIFT file, and what was left out and why."""
    reading, category = Reading(), ""
    for block, comments in gift._blocks(text, keep_categories=True):
        if block[0][1].startswith("$CATEGORY:"):
            category = block[0][1].removeprefix("$CATEGORY:").strip()
            block = block[1:]
            if not block:
                continue
        ident, _ = gift._comment_metadata(comments)
        _read_one(block, ident, category, reading)
    if not reading.questions and not reading.skipped:
        raise BankError("line 1: no questions in the file")
    return reading


def _read_one(block, ident: str, category: str, reading: Reading) -> None:
    toks, line = gift._lex(block), block[0][0]
    start, title = 0, ""
    if gift._is(toks, 0, ":") and gift._is(toks, 1, ":"):
        end = next((k for k in range(2, len(toks))
                    if gift._is(toks, k, ":") and gift._is(toks, k + 1, ":")), None)
        if end is None:
            raise BankError(f"line {line}: {gift.UNCLOSED_TITLE}")
        title, start = gift._text(toks[2:end]).strip(), end + 2
    opening, closing = gift._find(toks, "{", start), gift._find(toks, "}", start)
    if closing is not None and (opening is None or closing < opening):
        raise BankError(f"line {toks[closing].line}: {gift.STRAY_BRACE}")
    if opening is None:
        reading.skipped.append(Skipped(line, title, "description", why_not("description")))
        return
    if closing is None:
        raise BankError(f"line {toks[opening].line}: {gift.UNCLOSED_BRACE}")
    if (nested := gift._find(toks, "{", opening + 1, closing)) is not None:
        raise BankError(f"line {toks[nested].line}: {gift.NESTED_BRACE}")
    fmt, stem = gift._formatted(gift._text(toks[start:opening]), "moodle")
    if after := gift._text(toks[closing + 1:]).strip():  # missing word: the blank stays
        after = common.html_to_text(after) if fmt == "html" else after
        stem = f"{stem} {BLANK} {after}".strip()
    body = toks[opening + 1:closing]
    kind = _kind(body)
    if kind not in (MULTICHOICE, TRUEFALSE):
        reading.skipped.append(Skipped(line, title, kind, why_not(kind)))
        return
    single, options = (_truefalse(body) if kind == TRUEFALSE else _choices(body, fmt, line))
    collect(reading, ClassQuestion(
        ident=ident_for(ident=ident, title=title, stem=stem), title=title,
        type="single" if single else "multi", stem=stem, options=tuple(options), kind=kind,
        category=category, line=line))


def _kind(body: list[gift.Tok]) -> str:
    text = gift._text(body).strip()
    marks = [t.char for t in body if t.syntax and t.char in "=~"]
    first = next((t for t in body if not t.char.isspace()), None)
    if not text:
        return "essay"
    if first is not None and first.syntax and first.char == "#":
        return "numerical"
    head = gift._text(body[:gift._find(body, "#")] if gift._find(body, "#") is not None
                      else body).strip().upper()
    if head in (*TRUE_WORDS, *FALSE_WORDS):
        return TRUEFALSE
    if "~" not in marks:
        return "matching" if "->" in text else "shortanswer"
    return MULTICHOICE


def _truefalse(body: list[gift.Tok]) -> tuple[bool, list[ClassOption]]:
    parts, current = [], []
    for tok in body:
        if tok.syntax and tok.char == "#" and len(parts) < 2:
            parts.append(current)
            current = []
        else:
            current.append(tok)
    parts.append(current)
    head, wrong, right = [gift._formatted(gift._text(p), "moodle")[1] for p in
                          (parts + [[], []])[:3]]
    answer = head.upper() in TRUE_WORDS
    return True, [ClassOption("True", answer, right if answer else wrong, 100.0 * answer),
                  ClassOption("False", not answer, wrong if answer else right,
                              100.0 * (not answer))]


def _choices(body: list[gift.Tok], fmt: str, line: int) -> tuple[bool, list[ClassOption]]:
    hashes = "".join("#" if t.syntax and t.char == "#" else " " for t in body)
    if "####" in hashes:  # general feedback: Moodle shows it after the attempt; not kept
        body = body[:hashes.index("####")]
    marks = [k for k, t in enumerate(body) if t.syntax and t.char in "=~"]
    if lead := [t for t in body[:marks[0]] if not t.char.isspace()]:
        raise BankError(f"line {lead[0].line}: {gift.NO_MARKER}")
    single = any(body[k].char == "=" for k in marks)
    options = []
    for k, end in zip(marks, [*marks[1:], len(body)], strict=True):
        part = body[k + 1:end]
        split = gift._find(part, "#")
        text = gift._text(part if split is None else part[:split]).strip()
        feedback = "" if split is None else gift._text(part[split + 1:])
        fraction = 100.0 if body[k].char == "=" else 0.0
        if match := gift.WEIGHT.match(text):
            fraction, text = float(match[1]), text[match.end():]
        correct = fraction >= 100 if single else fraction > 0
        options.append(ClassOption(gift._formatted(text, fmt)[1], correct,
                                   gift._formatted(feedback, fmt)[1], fraction))
    return single, options


def dump(questions: list[ClassQuestion], *, name: str = "") -> str:
    """GIFT Moodle imports as the same questions: titles, categories, weights, feedback."""
    parts, category = [HEADER.format(name=re.sub(r"\s+", " ", name))], ""
    for q in questions:
        if q.category != category:
            parts.append(f"$CATEGORY: {q.category}\n\n")
            category = q.category
        parts.append(_dump_one(q) + "\n\n")
    return "".join(parts)


def _dump_one(q: ClassQuestion) -> str:
    title = f"::{gift._escape(q.title)}::" if q.title else ""
    head = f"// [id:{gift._meta_value(q.ident)}]\n{title}[plain]{gift._escape(q.stem)}"
    if q.kind == TRUEFALSE:
        true, false = q.options
        answer = true.correct
        wrong, right = (false.feedback, true.feedback) if answer else (true.feedback,
                                                                        false.feedback)
        feedback = f"#{gift._escape_answer(wrong)}#{gift._escape_answer(right)}" \
            if wrong or right else ""
        return f"{head}{{{'TRUE' if answer else 'FALSE'}{feedback}}}"
    lines = [head + "{"]
    for o in q.options:
        if q.type == "single" and o.fraction == 100 and o.correct:
            mark = "="
        elif o.fraction == 0 and not o.text.startswith("%"):
            mark = "~"
        else:
            mark = f"~%{fraction_text(o.fraction)}%"
        why = f"#{gift._escape_answer(o.feedback)}" if o.feedback else ""
        lines.append(f"\t{mark}{gift._escape_answer(o.text)}{why}")
    return "\n".join([*lines, "}"])
