"""The pattern catalog: one folder per pattern under patterns/catalog/, read as data.

A folder holds `template.yaml` (AWS SAM, the single source of truth: it deploys the pattern
and draws its diagram), `src/` (the handlers), `pattern.yaml` (the page's teaching content)
and `scenarios.yaml` (named runs with their expected outcomes). No Django here: the CLI, the
web app and the tests read the same catalog.
"""

import os
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import yaml

from serverless_lab.aws_numbers import cite

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
# Patterns a learner or instructor brought with `lab import`: their data, not the lab's.
IMPORTS_DIR = Path(os.environ.get("LAB_IMPORTS_DIR")
                   or Path(__file__).resolve().parent.parent / ".lab" / "imported")
CONTENT_SECTIONS = ("what", "when", "when_not", "pros", "cons", "costs", "limits",
                    "best_practices", "security", "monitoring")
HANDLER_SUFFIXES = {".py"}


class CatalogError(ValueError):
    pass


STEP_KINDS = ("request", "aws", "invoke", "clock", "websocket")


@dataclass(frozen=True)
class Step:
    """One action of a scenario, and what should follow from it. `kind` is one of
    request (HTTP to the pattern's API: method, path, body, headers; or, instead of path, a
    url into the lab cloud that an earlier response handed out, such as a presigned S3 URL),
    aws (an AWS API call with the learner's credentials: service, operation, params; a param
    written {base64: ...} is sent as those bytes), invoke (a function by its
    logical id, with an event), clock (fast-forward the sandbox's lab clock: advance, e.g.
    24h, firing the schedules that fall due) or websocket (a named client of the pattern's
    WebSocket API: client, and one of connect (query), send (a message) or close)."""

    name: str
    kind: str
    action: dict
    expect: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    slug: str
    title: str
    description: str
    steps: tuple[Step, ...]
    fresh: bool = False  # start with no warm environments, so the first invocation is cold
    default: bool = False


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the pattern folder, e.g. src/create_order.py
    text: str


@dataclass(frozen=True)
class Pattern:
    slug: str
    folder: Path
    title: str
    summary: str
    order: int
    services: tuple[str, ...]
    content: dict  # section -> list of paragraphs / bullet points, figures already cited
    scenarios: dict[str, Scenario]
    default_request: dict
    imported: bool = False  # brought with `lab import`: its page is generated
    unsupported: tuple[str, ...] = ()  # resources the lab cannot emulate, named on the page
    widget: str = ""  # an interactive part of the page: patterns/widgets/<widget>.html

    @property
    def default_scenario(self) -> Scenario:
        return next((s for s in self.scenarios.values() if s.default),
                    next(iter(self.scenarios.values())))

    @property
    def template_text(self) -> str:
        return (self.folder / "template.yaml").read_text()

    @cached_property
    def resources(self) -> tuple[dict, ...]:
        """The template's resources, read once (the catalog keeps its Pattern objects)."""
        from serverless_lab.cloud.deploy.sam import template_read

        return tuple(template_read(self.folder)["Resources"].values())

    @cached_property
    def event_types(self) -> frozenset[str]:
        """The Type of every function's Events entry (Api, HttpApi, Schedule, SQS...)."""
        return frozenset(event.get("Type") for r in self.resources
                         for event in ((r.get("Properties") or {}).get("Events") or {}).values())

    @property
    def has_http_api(self) -> bool:
        """Whether any function is behind an HTTP route (so the page offers a request form)."""
        return bool(self.event_types & {"Api", "HttpApi"})

    @property
    def has_schedules(self) -> bool:
        """Whether anything fires on a schedule (so the page offers the sandbox clock)."""
        return bool(self.event_types & {"Schedule", "ScheduleV2"}) or any(
            r.get("Type") == "AWS::Scheduler::Schedule"
            or (r.get("Type") == "AWS::Events::Rule"
                and "ScheduleExpression" in (r.get("Properties") or {}))
            for r in self.resources)

    def handler_sources(self) -> list[SourceFile]:
        return [SourceFile(str(p.relative_to(self.folder)), p.read_text())
                for p in sorted((self.folder / "src").rglob("*"))
                if p.suffix in HANDLER_SUFFIXES and "__pycache__" not in p.parts]


def _read_yaml(path: Path) -> dict:
    try:
        return yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise CatalogError(f"{path}: {e}") from None


def _cited(value):
    if isinstance(value, str):
        return cite(value.strip(), dated=True)
    if isinstance(value, list):
        return [_cited(v) for v in value]
    return value


def _step(folder: Path, scenario: str, raw: dict) -> Step:
    kinds = [k for k in STEP_KINDS if k in raw]
    if len(kinds) != 1:
        raise CatalogError(f"{folder}/scenarios.yaml: {scenario}: step {raw.get('name')!r} "
                           f"needs exactly one of {', '.join(STEP_KINDS)}")
    return Step(name=raw["name"], kind=kinds[0], action=raw[kinds[0]],
                expect=raw.get("expect", {}))


def pattern_read(folder: Path) -> Pattern:
    meta = _read_yaml(folder / "pattern.yaml")
    scenarios_raw = _read_yaml(folder / "scenarios.yaml")
    scenarios = {}
    for slug, raw in scenarios_raw.items():
        steps = tuple(_step(folder, slug, s) for s in raw.get("steps", []))
        scenarios[slug] = Scenario(slug=slug, title=raw["title"],
                                   description=raw.get("description", "").strip(),
                                   steps=steps, fresh=raw.get("fresh", False),
                                   default=raw.get("default", False))
    if not scenarios:
        raise CatalogError(f"{folder}: scenarios.yaml names no scenario")
    content = {section: _cited(meta.get(section, [])) for section in CONTENT_SECTIONS}
    return Pattern(
        slug=folder.name, folder=folder, title=meta["title"], summary=_cited(meta["summary"]),
        order=int(meta.get("order", 99)), services=tuple(meta.get("services", ())),
        content=content, scenarios=scenarios,
        default_request=meta.get("try_it", {"method": "GET", "path": "/"}),
        imported=bool(meta.get("imported", False)),
        unsupported=tuple(meta.get("unsupported", ())),
        widget=meta.get("widget", ""),
    )


def catalog() -> dict[str, Pattern]:
    """Every pattern, in teaching order: the lab's own, then those imported (re-read when an
    import adds one, so a running server lists it)."""
    return _catalog(IMPORTS_DIR.stat().st_mtime_ns if IMPORTS_DIR.exists() else 0)


@cache
def _catalog(imports_version: int) -> dict[str, Pattern]:
    folders = [p for p in CATALOG_DIR.iterdir() if (p / "template.yaml").exists()]
    if IMPORTS_DIR.exists():
        folders += [p for p in IMPORTS_DIR.iterdir() if (p / "template.yaml").exists()]
    patterns = sorted((pattern_read(f) for f in folders), key=lambda p: (p.order, p.slug))
    return {p.slug: p for p in patterns}


def pattern_get(slug: str) -> Pattern | None:
    return catalog().get(slug)
