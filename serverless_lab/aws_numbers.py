"""The one table of AWS figures (content/aws_numbers.yaml) and the `[[section.key]]` citations
that pattern pages and quiz questions use to quote them, so a figure is written once.

Every figure names its source and the month it was read there (`as_of`, YYYY-MM). Where a
learner reads a figure (pattern pages, the reference pages, question explanations) it is cited
`dated`: "15 minutes (checked November 2026)", so a stale figure shows its age."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

NUMBERS_FILE = Path(__file__).resolve().parent.parent / "content" / "aws_numbers.yaml"
CITATION = re.compile(r"\[\[([a-z0-9_]+)\.([a-z0-9_]+)\]\]")
UNKNOWN_FIGURE = "unknown figure [[{ref}]]: add it to content/aws_numbers.yaml with its source"
AS_OF = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


@dataclass(frozen=True)
class Figure:
    key: str
    value: float | int | str
    unit: str
    display: str
    source: str
    as_of: str
    note: str = ""

    @property
    def checked(self) -> str:
        """'checked November 2026', from as_of."""
        return checked_month(self.as_of)

    @property
    def dated(self) -> str:
        """The display form with the month it was checked at its source."""
        return f"{self.display} ({self.checked})"


class UnknownFigure(KeyError):
    pass


@cache
def figures() -> dict[str, Figure]:
    """Every figure, keyed `section.key`."""
    return figures_read(NUMBERS_FILE)


def figures_read(path: Path) -> dict[str, Figure]:
    """The figures of a numbers file, keyed `section.key` (missing fields read as "")."""
    raw = yaml.safe_load(path.read_text())
    table = {}
    for section, entries in raw.items():
        for key, fields in entries.items():
            ref = f"{section}.{key}"
            table[ref] = Figure(key=ref, **{k: fields.get(k, "") for k in Figure.__annotations__
                                            if k != "key"})
    return table


def figure(ref: str) -> Figure:
    try:
        return figures()[ref]
    except KeyError:
        raise UnknownFigure(UNKNOWN_FIGURE.format(ref=ref)) from None


def checked_month(as_of: str) -> str:
    """'2026-11' -> 'checked November 2026'. A malformed month raises ValueError."""
    if not AS_OF.fullmatch(str(as_of)):
        raise ValueError(f"as_of {as_of!r} is not a YYYY-MM month")
    year, month = str(as_of).split("-")
    return f"checked {MONTHS[int(month) - 1]} {year}"


def figure_problems(table: dict[str, Figure] | None = None) -> list[str]:
    """What keeps the table from being trusted: a figure without a source URL, or without the
    month it was read there (as_of, YYYY-MM). Empty when every figure is sourced and dated."""
    problems = []
    for ref, f in (figures() if table is None else table).items():
        if not str(f.source).startswith("https://"):
            problems.append(f"{ref}: no source URL")
        if not AS_OF.fullmatch(str(f.as_of)):
            problems.append(f"{ref}: as_of {str(f.as_of)!r} is not a YYYY-MM month")
    return problems


def cite(text: str, *, dated: bool = False) -> str:
    """Replace each `[[section.key]]` in text with the figure's display form; `dated` adds the
    month the figure was checked at its source, for text a learner reads."""
    def one(m: re.Match) -> str:
        f = figure(f"{m[1]}.{m[2]}")
        return f.dated if dated else f.display

    return CITATION.sub(one, text)


def citations(text: str) -> list[str]:
    return [f"{m[1]}.{m[2]}" for m in CITATION.finditer(text)]
