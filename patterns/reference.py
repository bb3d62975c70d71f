"""The pages across patterns, as data: the services glossary, serverless versus traditional and
the security layers, read from content/*.yaml with every `[[section.key]]` figure cited on read
(an unknown figure raises). No Django here. Whatever links to a pattern goes through the
catalog passed in, so only patterns that exist are linked."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from serverless_lab.aws_numbers import cite, figure

from .catalog import Pattern

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"


def _read(name: str) -> dict:
    return yaml.safe_load((CONTENT_DIR / name).read_text())


def _cited(value):
    if isinstance(value, str):
        return cite(" ".join(value.split()), dated=True)
    if isinstance(value, list):
        return tuple(_cited(v) for v in value)
    return value


@dataclass(frozen=True)
class PatternLink:
    slug: str
    title: str


@dataclass(frozen=True)
class ServiceRef:
    slug: str
    name: str
    in_glossary: bool


def _service(slug: str) -> ServiceRef:
    entry = glossary_entries().get(slug)
    return ServiceRef(slug, entry.name if entry else slug, entry is not None)


def _links(slugs, patterns: dict[str, Pattern]) -> list[PatternLink]:
    """The named patterns that exist, in teaching order."""
    wanted = set(slugs)
    return [PatternLink(p.slug, p.title) for p in patterns.values() if p.slug in wanted]


# The services glossary.

@dataclass(frozen=True)
class GlossaryEntry:
    slug: str
    name: str
    what: str
    serverless: str  # what it is for in serverless designs
    figures: tuple[str, ...]  # key limits and prices
    choose: str  # when to choose it over its neighbours
    neighbours: tuple[str, ...]  # glossary slugs
    patterns: tuple[str, ...] = ()  # patterns built on it, beyond those whose services name it


@dataclass(frozen=True)
class GlossaryItem:
    entry: GlossaryEntry
    neighbours: list[ServiceRef]
    used_by: list[PatternLink]


@dataclass(frozen=True)
class GlossaryGroup:
    name: str
    items: list[GlossaryItem]


@cache
def glossary() -> tuple[tuple[str, tuple[GlossaryEntry, ...]], ...]:
    """(group name, entries) in page order, figures cited."""
    groups = []
    for group in _read("glossary.yaml")["groups"]:
        entries = tuple(
            GlossaryEntry(**{key: _cited(value) for key, value in raw.items()})
            for raw in group["entries"])
        groups.append((group["name"], entries))
    return tuple(groups)


def glossary_entries() -> dict[str, GlossaryEntry]:
    return {e.slug: e for _, entries in glossary() for e in entries}


def glossary_groups(*, patterns: dict[str, Pattern]) -> list[GlossaryGroup]:
    """The glossary with, for each service, the existing patterns that use it: those whose
    pattern.yaml lists it and those the entry names."""
    def item(entry: GlossaryEntry) -> GlossaryItem:
        listed = {p.slug for p in patterns.values() if entry.slug in p.services}
        return GlossaryItem(entry, [_service(n) for n in entry.neighbours],
                            _links({*entry.patterns, *listed}, patterns))

    return [GlossaryGroup(name, [item(e) for e in entries]) for name, entries in glossary()]


# The comparison table, from each pattern's own pattern.yaml.

@dataclass(frozen=True)
class ComparisonRow:
    slug: str
    title: str
    summary: str
    services: list[ServiceRef]
    best_for: list[str]
    avoid_when: list[str]


def comparison_rows(*, patterns: dict[str, Pattern]) -> list[ComparisonRow]:
    return [ComparisonRow(
        slug=p.slug, title=p.title, summary=p.summary, services=[_service(s) for s in p.services],
        best_for=list(p.content["when"]), avoid_when=list(p.content["when_not"]),
    ) for p in patterns.values()]


# Serverless versus traditional.

@dataclass(frozen=True)
class CostLine:
    label: str
    quantity: str
    price: str  # the cited figure, as the page shows it
    amount: float  # USD


@dataclass(frozen=True)
class CostExample:
    """A month of steady traffic priced from the figures table, so the arithmetic is shown."""

    description: str
    lines: tuple[CostLine, ...]
    total: float
    alternative: CostLine  # the same requests through an HTTP API instead
    free_tier: float  # what Lambda's monthly free tier takes off
    concurrency: float  # environments busy at any moment, on average
    conclusion: str


@dataclass(frozen=True)
class Responsibility:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (task, who does it under each column)


@dataclass(frozen=True)
class Topic:
    id: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    points: tuple[str, ...] = ()
    example: CostExample | None = None
    table: Responsibility | None = None


# The example's prices are the first tier of each table; past these it would need the next.
FIRST_TIER_REQUESTS = 300_000_000
EXAMPLE_OUTSIDE_FIRST_TIER = "the cost example must stay within the first price tier"


def _price(ref: str) -> float:
    return float(figure(ref).value)


def cost_example(*, description: str, requests_per_second: int, duration_ms: int,
                 memory_mb: int, days: int, conclusion: str) -> CostExample:
    requests = requests_per_second * 86_400 * days
    if requests > FIRST_TIER_REQUESTS:
        raise ValueError(EXAMPLE_OUTSIDE_FIRST_TIER)
    gb_seconds = requests * duration_ms / 1000 * memory_mb / 1024
    millions = requests / 1_000_000

    def line(label, quantity, ref, amount):
        return CostLine(label, quantity, figure(ref).dated, round(amount, 2))

    lines = (
        line("Lambda requests", f"{requests:,} requests", "lambda.price_requests",
             millions * _price("lambda.price_requests")),
        line("Lambda compute", f"{gb_seconds:,.0f} GB-seconds", "lambda.price_gb_second_x86",
             gb_seconds * _price("lambda.price_gb_second_x86")),
        line("API Gateway (REST API)", f"{requests:,} requests",
             "api_gateway.price_rest_per_million",
             millions * _price("api_gateway.price_rest_per_million")),
    )
    free_tier = (_price("lambda.free_requests") / 1_000_000 * _price("lambda.price_requests")
                 + _price("lambda.free_gb_seconds") * _price("lambda.price_gb_second_x86"))
    return CostExample(
        description=_cited(description), lines=lines,
        total=round(sum(x.amount for x in lines), 2),
        alternative=line("API Gateway (HTTP API)", f"{requests:,} requests",
                         "api_gateway.price_http_per_million",
                         millions * _price("api_gateway.price_http_per_million")),
        free_tier=round(free_tier, 2),
        concurrency=requests_per_second * duration_ms / 1000,
        conclusion=_cited(conclusion),
    )


def _topic(raw: dict) -> Topic:
    table = raw.get("table")
    return Topic(
        id=raw["id"], heading=raw["heading"],
        paragraphs=_cited(raw.get("paragraphs", [])), points=_cited(raw.get("points", [])),
        example=cost_example(**raw["example"]) if "example" in raw else None,
        table=Responsibility(
            columns=tuple(table["columns"]),
            rows=tuple((_cited(r["task"]), _cited(r["cells"])) for r in table["rows"]),
        ) if table else None,
    )


@cache
def serverless_vs_traditional() -> tuple[str, tuple[Topic, ...]]:
    """(introduction, topics), figures cited and the cost example computed."""
    raw = _read("serverless_vs_traditional.yaml")
    return _cited(raw["intro"]), tuple(_topic(t) for t in raw["topics"])


# The security layers, outermost first.

@dataclass(frozen=True)
class SecurityLayer:
    id: str
    name: str
    glossary: str  # the glossary entry for the service
    where: str
    protects_against: tuple[str, ...]
    controls: tuple[str, ...]
    uses: tuple[tuple[str, str], ...]  # (pattern slug, how that pattern uses the layer)
    marker: str = ""  # text in a pattern's template.yaml that shows it uses this layer
    marker_text: str = ""
    none_note: str = ""  # shown when no existing pattern uses the layer


@dataclass(frozen=True)
class PatternUse:
    pattern: PatternLink
    text: str


@dataclass(frozen=True)
class SecurityLayerView:
    layer: SecurityLayer
    glossary: ServiceRef
    uses: list[PatternUse]


@cache
def security_layers() -> tuple[str, tuple[SecurityLayer, ...]]:
    """(introduction, layers outermost first), figures cited."""
    raw = _read("security_layers.yaml")
    layers = tuple(SecurityLayer(**{
        **{key: _cited(value) for key, value in layer.items() if key != "uses"},
        "uses": tuple((u["pattern"], _cited(u["text"])) for u in layer.get("uses", [])),
    }) for layer in raw["layers"])
    return _cited(raw["intro"]), layers


def security_page(*, patterns: dict[str, Pattern]) -> list[SecurityLayerView]:
    views = []
    for layer in security_layers()[1]:
        texts = dict(layer.uses)
        if layer.marker:
            for p in patterns.values():
                if layer.marker in p.template_text:
                    texts.setdefault(p.slug, layer.marker_text)
        uses = [PatternUse(link, texts[link.slug]) for link in _links(texts, patterns)]
        views.append(SecurityLayerView(layer, _service(layer.glossary), uses))
    return views
