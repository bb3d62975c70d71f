"""The one table of AWS figures (content/aws_numbers.yaml) and the `[[section.key]]` citations
that pattern pages and quiz questions use to quote them, so a figure is written once."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

NUMBERS_FILE = Path(__file__).resolve().parent.parent / "content" / "aws_numbers.yaml"
CITATION = re.compile(r"\[\[([a-z0-9_]+)\.([a-z0-9_]+)\]\]")
UNKNOWN_FIGURE = "unknown figure [[{ref}]]: add it to content/aws_numbers.yaml with its source"


@dataclass(frozen=True)
class Figure:
    key: str
    value: float | int | str
    unit: str
    display: str
    source: str
    as_of: str
    note: str = ""


class UnknownFigure(KeyError):
    pass


@cache
def figures() -> dict[str, Figure]:
    """Every figure, keyed `section.key`."""
    raw = yaml.safe_load(NUMBERS_FILE.read_text())
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


def cite(text: str) -> str:
    """Replace each `[[section.key]]` in text with the figure's display form."""
    return CITATION.sub(lambda m: figure(f"{m[1]}.{m[2]}").display, text)


def citations(text: str) -> list[str]:
    return [f"{m[1]}.{m[2]}" for m in CITATION.finditer(text)]
