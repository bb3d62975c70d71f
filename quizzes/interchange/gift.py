r"""GIFT, Moodle's plain-text question format: multiple-choice questions in and out.

What we write, chosen so Moodle (3.6+) imports the same question and we read back every field:

    // [id:rest-api-001]
    // [tag:domain:cost] [tag:exam:SAA-C03] [tag:difficulty:1] [tag:pattern:rest-api] ...
    ::rest-api-001::[plain]A startup ...\nWhich architecture meets these requirements?{
        =Amazon API Gateway in front of ...#Every part scales with requests ...
        ~An Application Load Balancer ...#The instance ... bill every hour ...
    }

- id: Moodle's `// [id:...]` comment (it becomes the question's idnumber), repeated as the
  `::title::`. Import takes [id:], else the title, else `gift-<8 hex of the stem's sha1>`.
- domain, exam, difficulty, patterns, services, link, scenario, lab: `[tag:name:value]` in a
  comment right above the question (see _common). Moodle imports them as question tags;
  an importer that knows nothing of them drops `//` lines, which is harmless.
- why: each answer's feedback, `#why`.
- single: `=right` and `~wrong`. multi: no `=` at all, which is what makes Moodle use
  checkboxes; right answers share 100% (`~%50%`, `~%33.33333%`, both on Moodle's grade list)
  and wrong ones are `~%-100%`, as the GIFT docs show for multiple answers.
- text is `[plain]` (shown as written); `\ ~ = # { } :` are escaped with a backslash and line
  breaks written `\n`, so a question is one block. Leading and trailing whitespace is not
  kept (Moodle trims it; the bank strips it).

Import also takes hand-written GIFT: text over several lines, [html]/[markdown]/[moodle]
text, `$CATEGORY:` lines (ignored). Other question types (true/false, short answer,
matching, numerical, essay, description) and general feedback (`####`) are refused.
"""

import re
from typing import NamedTuple

from quizzes.bank import BankError, Question
from quizzes.interchange import _common as common

HEADER = "// Serverless Lab questions. Moodle 3.6+ reads [id:] and [tag:] comments.\n\n"
ESCAPES = {"n": "\n", **{c: c for c in "\\~=#{}:"}}
SYNTAX = "~=#{}:"
FORMAT_MARK = re.compile(r"\[(plain|html|markdown|moodle)\]")
WEIGHT = re.compile(r"%(-?\d+(?:\.\d*)?)%")
META = re.compile(r"\[(id|tag):((?:\\\]|[^\]])*)\]")

UNCLOSED_TITLE = "unclosed ::title (no closing ::)"
NO_ANSWERS = "no answers: a question ends with {=right ~wrong ...} (write \\{ for a literal brace)"
UNCLOSED_BRACE = "unclosed { (no } before the blank line that ends the question)"
STRAY_BRACE = "} without { (write \\} for a literal brace)"
NESTED_BRACE = "{ inside the answers (write \\{ for a literal brace)"
TEXT_AFTER = "text after the closing } (missing-word questions are not supported)"
NOT_MULTICHOICE = "not a multiple-choice question: the answers need at least one ~wrong answer"
NO_MARKER = "answer text before the first = or ~"
GENERAL_FEEDBACK = "general feedback (####) is not supported: explain each answer after its #"


class Tok(NamedTuple):
    char: str
    syntax: bool  # an unescaped ~ = # { } :, which structures the question
    line: int


def parse(text: str, *, defaults: dict | None = None) -> list[Question]:
    defaults = common.defaults_check(defaults)
    return common.ids_unique([_question(block, comments, defaults)
                              for block, comments in _blocks(text)])


def dump(questions: list[Question]) -> str:
    return HEADER + "\n\n".join(_dump_one(q) for q in questions) + "\n"


def _blocks(text: str, *, keep_categories: bool = False):
    """Questions are separated by blank lines; `//` lines are comments, metadata among them.
    A `$CATEGORY:` block is skipped, or yielded with `keep_categories` (the class bank's
    reader files its questions by it)."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    block: list[tuple[int, str]] = []
    comments: list[tuple[int, str]] = []
    for number, line in enumerate([*lines, ""], 1):
        if not (line := line.strip()):
            if block and (keep_categories or not block[0][1].startswith("$CATEGORY:")):
                yield block, comments
            block, comments = [], []
        else:
            (comments if line.startswith("//") else block).append((number, line))


def _lex(block: list[tuple[int, str]]) -> list[Tok]:
    toks: list[Tok] = []
    for number, line in block:
        if toks:
            toks.append(Tok("\n", False, number))
        i = 0
        while i < len(line):
            if line[i] == "\\" and line[i + 1:i + 2] in ESCAPES:
                toks.append(Tok(ESCAPES[line[i + 1]], False, number))
                i += 2
            else:
                toks.append(Tok(line[i], line[i] in SYNTAX, number))
                i += 1
    return toks


def _is(toks: list[Tok], k: int, char: str) -> bool:
    return k < len(toks) and toks[k].syntax and toks[k].char == char


def _find(toks: list[Tok], char: str, start: int = 0, end: int | None = None) -> int | None:
    return next((k for k in range(start, len(toks) if end is None else end)
                 if _is(toks, k, char)), None)


def _text(toks: list[Tok]) -> str:
    return "".join(t.char for t in toks)


def _formatted(text: str, default: str) -> tuple[str, str]:
    """Moodle's `[format]` prefix: the format and the text as plain text."""
    text = text.strip()
    mark = FORMAT_MARK.match(text)
    fmt, text = (mark[1], text[mark.end():]) if mark else (default, text)
    return fmt, common.html_to_text(text) if fmt == "html" else text.strip()


def _question(block, comments, defaults) -> Question:
    toks, line = _lex(block), block[0][0]
    start, title = 0, ""
    if _is(toks, 0, ":") and _is(toks, 1, ":"):
        end = next((k for k in range(2, len(toks)) if _is(toks, k, ":") and _is(toks, k + 1, ":")),
                   None)
        if end is None:
            raise BankError(f"line {line}: {UNCLOSED_TITLE}")
        title, start = _text(toks[2:end]).strip(), end + 2
    opening, closing = _find(toks, "{", start), _find(toks, "}", start)
    if opening is None or (closing is not None and closing < opening):
        where = toks[closing].line if closing is not None else line
        raise BankError(f"line {where}: {STRAY_BRACE if closing is not None else NO_ANSWERS}")
    if closing is None:
        raise BankError(f"line {toks[opening].line}: {UNCLOSED_BRACE}")
    if (nested := _find(toks, "{", opening + 1, closing)) is not None:
        raise BankError(f"line {toks[nested].line}: {NESTED_BRACE}")
    if after := [t for t in toks[closing + 1:] if not t.char.isspace()]:
        raise BankError(f"line {after[0].line}: {TEXT_AFTER}")
    fmt, stem = _formatted(_text(toks[start:opening]), "moodle")
    single, options = _answers(toks[opening + 1:closing], fmt, line)
    ident, tags = _comment_metadata(comments)
    meta = common.metadata(tags, defaults=defaults)
    return common.question_build(line=line, id=ident or title or common.stem_id("gift", stem),
                                 stem=stem, single=single, options=options, meta=meta,
                                 why=defaults.get("why", ""))


def _answers(toks: list[Tok], fmt: str, line: int) -> tuple[bool, list[tuple[str, bool, str]]]:
    marks = [k for k, t in enumerate(toks) if t.syntax and t.char in "=~"]
    if not any(toks[k].char == "~" for k in marks):
        raise BankError(f"line {line}: {NOT_MULTICHOICE}")
    if lead := [t for t in toks[:marks[0]] if not t.char.isspace()]:
        raise BankError(f"line {lead[0].line}: {NO_MARKER}")
    hashes = "".join("#" if t.syntax and t.char == "#" else " " for t in toks)
    if "####" in hashes:
        raise BankError(f"line {toks[hashes.index('####')].line}: {GENERAL_FEEDBACK}")
    single = any(toks[k].char == "=" for k in marks)
    options = []
    for k, end in zip(marks, [*marks[1:], len(toks)], strict=True):
        part = toks[k + 1:end]
        split = _find(part, "#")
        body = _text(part if split is None else part[:split]).strip()
        why = "" if split is None else _text(part[split + 1:])
        weight = 100.0 if toks[k].char == "=" else 0.0
        if toks[k].char == "~" and (match := WEIGHT.match(body)):
            weight, body = float(match[1]), body[match.end():]
        try:
            correct = common.option_correct(weight, single=single)
        except ValueError as e:
            raise BankError(f"line {toks[k].line}: {e}") from None
        options.append((_formatted(body, fmt)[1], correct, _formatted(why, fmt)[1]))
    return single, options


def _comment_metadata(comments: list[tuple[int, str]]) -> tuple[str, list[tuple[int, str]]]:
    ident, tags = "", []
    for number, comment in comments:
        for match in META.finditer(comment):
            value = match[2].replace("\\]", "]").strip()
            if match[1] == "id":
                ident = ident or value
            else:
                tags.append((number, value))
    return ident, tags


def _escape(text: str) -> str:
    text = "".join(f"\\{c}" if c in "\\~=#{}:" else c for c in text)
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def _escape_answer(text: str) -> str:
    # Text that starts with a [format] mark would lose it as a format; [plain] first keeps it.
    return _escape(f"[plain]{text}" if FORMAT_MARK.match(text) else text)


def _meta_value(value: str) -> str:
    return value.replace("]", "\\]")


def _dump_one(q: Question) -> str:
    tags = " ".join(f"[tag:{_meta_value(tag)}]" for tag in common.tags_for(q))
    lines = [f"// [id:{_meta_value(q.id)}]", f"// {tags}",
             f"::{_escape(q.id)}::[plain]{_escape(q.stem)}{{"]
    for option, weight in zip(q.options, common.weights(q), strict=True):
        if q.type == "multi":
            mark = f"~%{weight}%"
        elif option.correct:
            mark = "="
        else:  # a wrong answer whose text starts with %50% must not read as a weight
            mark = "~%0%" if option.text.startswith("%") else "~"
        why = f"#{_escape_answer(option.why)}" if option.why else ""
        lines.append(f"\t{mark}{_escape_answer(option.text)}{why}")
    return "\n".join([*lines, "}"])
