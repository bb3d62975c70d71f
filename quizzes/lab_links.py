"""Questions tied to the lab: the experiment or fix-it a bank question tests (issue 16).

A bank file writes `lab: {pattern: async-queue, experiment: visibility-too-short}` (or
`fixit:` instead of `experiment:`, or a list of such mappings). Each link is kept as one word,
`<pattern>/experiment/<slug>` or `<pattern>/fixit/<slug>`: the database holds them
space-separated in Question.labs (a tag field) and the practice page filters by one
(`/quizzes/practice/?lab=async-queue/experiment/visibility-too-short`).

No Django here: the bank reader validates links with the pattern catalog's own readers.
"""

from dataclasses import dataclass

import yaml

KINDS = ("experiment", "fixit")
BAD_LAB = ("lab must be a mapping (or a list of them) with pattern and one of "
           "experiment or fixit, e.g. {pattern: async-queue, experiment: visibility-too-short}")
NOT_A_LINK = "{key!r} is not a lab link: write <pattern>/experiment/<slug> or " \
             "<pattern>/fixit/<slug>"
NO_PATTERN = "lab: no pattern {pattern!r} in the catalog"
NO_EXPERIMENT = "lab: pattern {pattern!r} has no experiment {slug!r} (it has: {have})"
NO_FIXIT = "lab: pattern {pattern!r} has no fix-it {slug!r} (it has: {have})"


@dataclass(frozen=True)
class LabLink:
    pattern: str
    kind: str  # one of KINDS
    slug: str

    @property
    def key(self) -> str:
        return f"{self.pattern}/{self.kind}/{self.slug}"

    @classmethod
    def parse(cls, key: str) -> "LabLink":
        """The link a key names, or ValueError (NOT_A_LINK) for anything else."""
        parts = str(key).strip().split("/")
        if len(parts) != 3 or parts[1] not in KINDS or not all(parts):
            raise ValueError(NOT_A_LINK.format(key=key))
        return cls(pattern=parts[0], kind=parts[1], slug=parts[2])


def lab_links_from_yaml(raw) -> tuple[str, ...]:
    """The link keys a bank question's `lab:` value names; ValueError (BAD_LAB) when malformed."""
    if raw in (None, "", []):
        return ()
    items = raw if isinstance(raw, list) else [raw]
    keys = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(BAD_LAB)
        item = {k: v for k, v in item.items() if k != "__line__"}
        kinds = [k for k in KINDS if k in item]
        if set(item) != {"pattern", *kinds} or len(kinds) != 1:
            raise ValueError(BAD_LAB)
        keys.append(LabLink(pattern=str(item["pattern"]), kind=kinds[0],
                            slug=str(item[kinds[0]])).key)
    return tuple(keys)


def fixit_slugs(folder) -> set[str] | None:
    """The fix-it slugs of a pattern folder; None while it has no fixits.yaml (content helpers
    are writing them: a link to a fix-it is checked once its pattern has the file)."""
    path = folder / "fixits.yaml"
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError):  # absent, or mid-edit: patterns/fixits.py reports that
        return None
    return set(raw) if isinstance(raw, dict) else set()


def lab_link_problems(key: str) -> list[str]:
    """What is wrong with one link key: malformed, or naming what the catalog does not have."""
    # Imported when a link is checked: the experiments' reader brings the lab cloud's client,
    # which the interchange formats and the models, importing this module, never need.
    from patterns.catalog import pattern_get
    from patterns.experiments import pattern_experiments

    try:
        link = LabLink.parse(key)
    except ValueError as e:
        return [str(e)]
    pattern = pattern_get(link.pattern)
    if pattern is None:
        return [NO_PATTERN.format(pattern=link.pattern)]
    if link.kind == "experiment":
        have = pattern_experiments(pattern)
        if link.slug not in have:
            return [NO_EXPERIMENT.format(pattern=link.pattern, slug=link.slug,
                                         have=", ".join(have) or "none")]
    else:
        have = fixit_slugs(pattern.folder)
        if have is not None and link.slug not in have:
            return [NO_FIXIT.format(pattern=link.pattern, slug=link.slug,
                                    have=", ".join(sorted(have)) or "none")]
    return []


def lab_link_title(key: str) -> str:
    """The experiment's or fix-it's title, for a link to it (its slug when it cannot be read)."""
    from patterns.catalog import pattern_get
    from patterns.experiments import pattern_experiments

    link = LabLink.parse(key)
    pattern = pattern_get(link.pattern)
    if pattern is None:
        return link.slug
    if link.kind == "experiment":
        found = pattern_experiments(pattern).get(link.slug)
        return found.title if found else link.slug
    path = pattern.folder / "fixits.yaml"
    raw = (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}
    found = raw.get(link.slug) if isinstance(raw, dict) else None
    return str(found.get("title", link.slug)) if isinstance(found, dict) else link.slug
