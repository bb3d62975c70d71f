"""What the interchange formats share: metadata as tags, import defaults, HTML text, checks.

Neither GIFT nor Moodle XML has a slot for the bank's domain, exams, patterns, services,
difficulty, link, scenario or lab links, but both carry Moodle question tags. So each field
travels as a `name:value` tag (`domain:cost`, `exam:SAA-C03`, `pattern:rest-api`,
`lab:rest-api/experiment/cold-starts`, ...), the same in
both formats; Moodle keeps them as ordinary tags and gives them back on export. Tags that
are not ours (a plain `lambda` tag from a Moodle bank) are ignored on import.
"""

import hashlib
import html
import re

from quizzes.bank import BankError, Option, Question, question_validate

DEFAULT_KEYS = ("domain", "dva_domain", "exam", "patterns", "services", "difficulty", "link",
                "scenario", "why")
SINGLE_TAGS = ("domain", "dva_domain", "difficulty", "link", "scenario")
LIST_TAGS = {"exam": "exam", "pattern": "patterns", "service": "services", "lab": "labs"}
# Moodle's tag grammar (PARAM_TAG) drops <, > and `, and control characters; in GIFT's
# [tag:...] a backslash before ] is an escape. A value holding one of them cannot round-trip.
UNCARRIABLE = re.compile(r"[<>`\\\x00-\x1f\x7f]")

NO_DOMAIN = ("no exam domain: add a domain:<secure|resilient|performance|cost> tag "
             "or import with a default domain")
NO_CORRECT = "no option is marked correct"
PARTIAL_CREDIT = "partial credit ({weight:g}%) is not supported: an option is right or wrong"
TWO_TAGS = "two {name}: tags"
BAD_DIFFICULTY = "difficulty:{value} is not a whole number"
DUPLICATE_ID = "duplicate id {id} (first on line {first})"


def defaults_check(defaults: dict | None) -> dict:
    """Import defaults, with exam as a tuple; unknown keys are a caller's mistake."""
    defaults = dict(defaults or {})
    if unknown := set(defaults) - set(DEFAULT_KEYS):
        raise ValueError(f"unknown import defaults {sorted(unknown)}; known: {DEFAULT_KEYS}")
    for key in ("exam", "patterns", "services"):
        if isinstance(defaults.get(key), str):
            defaults[key] = (defaults[key],)
    return defaults


def tags_for(q: Question) -> list[str]:
    tags = [f"domain:{q.domain}", *(f"exam:{e}" for e in q.exam), f"difficulty:{q.difficulty}"]
    tags += [f"pattern:{p}" for p in q.patterns] + [f"service:{s}" for s in q.services]
    tags += [f"lab:{key}" for key in q.labs]
    if q.dva_domain:
        tags.append(f"dva_domain:{q.dva_domain}")
    if q.link:
        tags.append(f"link:{q.link}")
    if q.scenario:
        tags.append(f"scenario:{q.scenario}")
    for tag in tags:
        if UNCARRIABLE.search(tag) or tag != tag.strip():
            raise ValueError(f"question {q.id}: tag {tag!r} cannot be carried by a Moodle tag")
    return tags


def metadata(tags: list[tuple[int, str]], *, defaults: dict) -> dict:
    """Question fields from (line, tag) pairs, falling back on the import defaults."""
    found: dict = {}
    for line, tag in tags:
        name, colon, value = tag.partition(":")
        name, value = name.strip().lower(), value.strip()
        if not colon or name not in (*SINGLE_TAGS, *LIST_TAGS):
            continue
        if name in LIST_TAGS:
            found.setdefault(LIST_TAGS[name], []).append(value)
        elif name in found:
            raise BankError(f"line {line}: " + TWO_TAGS.format(name=name))
        elif name == "difficulty":
            if not value.isdigit():
                raise BankError(f"line {line}: " + BAD_DIFFICULTY.format(value=value))
            found[name] = int(value)
        else:
            found[name] = value
    meta = {k: v for k, v in defaults.items() if k != "why"}
    return meta | {k: tuple(v) if isinstance(v, list) else v for k, v in found.items()}


def option_correct(weight: float, *, single: bool) -> bool:
    """Moodle grades options by percent; the bank only knows right (all of it) and wrong."""
    if single and 0 < weight < 100:
        raise ValueError(PARTIAL_CREDIT.format(weight=weight))
    return weight >= 100 if single else weight > 0


def weights(q: Question) -> list[str]:
    """Percent per option: right ones share 100; wrong multi options cost 100 so that ticking
    every box scores nothing (Moodle's nearest to the exam's all-or-nothing)."""
    if q.type == "single":
        return ["100" if o.correct else "0" for o in q.options]
    share = f"{100 / max(1, len(q.correct_indexes)):.5f}".rstrip("0").rstrip(".")
    return [share if o.correct else "-100" for o in q.options]


def question_build(*, line: int, id: str, stem: str, single: bool,
                   options: list[tuple[str, bool, str]], meta: dict, why: str = "") -> Question:
    """A checked Question, or BankError pointing at the question's first line."""
    if not meta.get("domain"):
        raise BankError(f"line {line}: question {id}: {NO_DOMAIN}")
    q = Question(
        id=id, type="single" if single else "multi", stem=stem,
        options=tuple(Option(text=t, correct=c, why=w or why) for t, c, w in options),
        domain=meta["domain"], dva_domain=meta.get("dva_domain", ""),
        exam=tuple(meta.get("exam", ("SAA-C03",))),
        patterns=tuple(meta.get("patterns", ())), services=tuple(meta.get("services", ())),
        difficulty=meta.get("difficulty", 2), link=meta.get("link", ""),
        scenario=meta.get("scenario", ""), labs=tuple(meta.get("labs", ())), source_line=line,
    )
    problems = [] if q.correct_indexes else [NO_CORRECT]
    if problems := problems + question_validate(q):
        raise BankError(f"line {line}: question {id}: " + "; ".join(problems))
    return q


def stem_id(prefix: str, stem: str) -> str:
    """An id for a question its file does not name: stable while the stem does not change."""
    return f"{prefix}-{hashlib.sha1(stem.encode()).hexdigest()[:8]}"


def ids_unique(questions: list[Question]) -> list[Question]:
    first: dict[str, int] = {}
    for q in questions:
        if q.id in first:
            raise BankError(f"line {q.source_line}: "
                            + DUPLICATE_ID.format(id=q.id, first=first[q.id]))
        first[q.id] = q.source_line
    return questions


def text_to_html(text: str) -> str:
    # \r would be turned into \n by any XML parser, so it travels as a character reference.
    return html.escape(text, quote=False).replace("\r", "&#13;").replace("\n", "<br>")


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment as Moodle's editor writes it: line breaks in the source
    are spaces, <br> a line break, a new paragraph a blank line, other tags dropped."""
    text = re.sub(r"\s*\n\s*", " ", markup)
    text = re.sub(r"</p>\s*<p\b[^>]*>", "\n\n", text, flags=re.I)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.I)
    return html.unescape(re.sub(r"<[^>]*>", "", text)).strip()
