"""Question interchange: GIFT and Moodle XML (import and export), Aiken (import only).

Each module has `parse(text, *, defaults=None) -> list[Question]`; gift and moodle_xml also
have `dump(questions) -> str`, and `parse(dump(qs)) == qs`. Parsing is all or nothing: every
question of the file, each checked with `bank.question_validate`, or a `BankError` whose
message starts with `line N: `, so an import never half-happens.

`defaults` fills what a file does not say: domain, exam, patterns, services, difficulty, link,
scenario, and why (the explanation for options that have none). See `_common.DEFAULT_KEYS`.

A class's own bank reads files leniently, as Moodle writes them (true/false, any number of
options, weights, categories, titles), naming what it cannot use: see classbank, class_gift
and class_xml.
"""

from pathlib import PurePath

from quizzes.interchange import aiken, gift, moodle_xml

FORMATS = {"gift": gift, "moodle-xml": moodle_xml, "aiken": aiken}
EXTENSIONS = {".gift": "gift", ".xml": "moodle-xml", ".txt": "aiken"}


def format_for(filename: str) -> str:
    """The FORMATS key for a file, from its extension."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in EXTENSIONS:
        known = ", ".join(f"{ext} ({name})" for ext, name in EXTENSIONS.items())
        raise ValueError(f"cannot tell the question format of {filename!r}; use one of {known}")
    return EXTENSIONS[suffix]
