"""The question bank as data: YAML files under quizzes/bank/, read into plain dataclasses.

Both the database loader and the GIFT / Moodle XML / Aiken interchange work on these
dataclasses, so a question has one shape everywhere. Errors name the file and line.
"""

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from serverless_lab.aws_numbers import UnknownFigure, cite

from .lab_links import lab_link_problems, lab_links_from_yaml

BANK_DIR = Path(__file__).resolve().parent / "bank"

EXAMS = ("SAA-C03", "DVA-C02")
DOMAINS = {  # SAA-C03 domain -> share of the scored exam
    "secure": 30,
    "resilient": 26,
    "performance": 24,
    "cost": 20,
}
DVA_DOMAINS = {  # DVA-C02 domain -> share of the scored exam (the exam guide's four domains)
    "development": 32,  # Development with AWS Services
    "security": 26,
    "deployment": 24,
    "troubleshooting": 18,  # Troubleshooting and Optimization
}
# Each exam's domains, and the Question field that holds a question's domain in that exam:
# `domain` (SAA-C03; also the practice topic every question has) and `dva_domain` (DVA-C02).
EXAM_DOMAINS = {"SAA-C03": DOMAINS, "DVA-C02": DVA_DOMAINS}
DOMAIN_FIELD = {"SAA-C03": "domain", "DVA-C02": "dva_domain"}
DOMAIN_NAMES = {  # each exam guide's name for its domains
    "SAA-C03": {"secure": "Design Secure Architectures",
                "resilient": "Design Resilient Architectures",
                "performance": "Design High-Performing Architectures",
                "cost": "Design Cost-Optimized Architectures"},
    "DVA-C02": {"development": "Development with AWS Services", "security": "Security",
                "deployment": "Deployment",
                "troubleshooting": "Troubleshooting and Optimization"},
}
TYPES = ("single", "multi")
# Multiple response on the exam: two correct of five options, or three of six.
MULTI_SHAPES = {(5, 2), (6, 3)}


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    why: str  # why this option is right, or why it is wrong


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    stem: str
    options: tuple[Option, ...]
    domain: str
    exam: tuple[str, ...] = ("SAA-C03",)
    patterns: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    difficulty: int = 2
    link: str = ""
    scenario: str = ""  # "pattern-slug/scenario-slug" for predict-then-run questions
    dva_domain: str = ""  # the DVA-C02 domain; bank files must give it for DVA-C02 questions
    labs: tuple[str, ...] = ()  # experiments / fix-its it tests: "<pattern>/experiment/<slug>"
    source_file: str = field(default="", compare=False)
    source_line: int = field(default=0, compare=False)

    @property
    def correct_indexes(self) -> tuple[int, ...]:
        return tuple(i for i, o in enumerate(self.options) if o.correct)


class BankError(ValueError):
    """A bank file that cannot be read; the message starts with `file:line:`."""


class _LineLoader(yaml.SafeLoader):
    """Records the line each mapping starts on, so errors can point at it."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


def question_domain(question, *, exam: str) -> str:
    """A question's domain in one exam (a bank.Question or a stored models.Question)."""
    return getattr(question, DOMAIN_FIELD[exam])


def question_validate(q: Question) -> list[str]:
    """Everything wrong with one question, as messages (empty when it is sound)."""
    problems = []
    if q.type not in TYPES:
        problems.append(f"type must be one of {TYPES}, not {q.type!r}")
    if q.domain not in DOMAINS:
        problems.append(f"domain must be one of {tuple(DOMAINS)}, not {q.domain!r}")
    if not set(q.exam) <= set(EXAMS) or not q.exam:
        problems.append(f"exam must be a non-empty subset of {EXAMS}")
    if q.dva_domain and q.dva_domain not in DVA_DOMAINS:
        problems.append(f"dva_domain must be one of {tuple(DVA_DOMAINS)}, not {q.dva_domain!r}")
    if not q.stem.strip():
        problems.append("stem is empty")
    correct = len(q.correct_indexes)
    if q.type == "single" and (len(q.options) != 4 or correct != 1):
        problems.append("a single-answer question has 4 options, exactly 1 correct")
    if q.type == "multi" and (len(q.options), correct) not in MULTI_SHAPES:
        problems.append("a multiple-response question has 2 correct of 5 or 3 correct of 6")
    for n, option in enumerate(q.options, 1):
        if not option.text.strip() or not option.why.strip():
            problems.append(f"option {n} needs text and why")
    if q.difficulty not in (1, 2, 3):
        problems.append("difficulty is 1, 2 or 3")
    for key in q.labs:
        problems.extend(lab_link_problems(key))
    return problems


def _labs(raw: dict, where: str) -> tuple[str, ...]:
    try:
        return lab_links_from_yaml(raw.get("lab"))
    except ValueError as e:
        raise BankError(f"{where}: question {raw.get('id')}: {e}") from None


def question_from_mapping(raw: dict, *, source_file: str = "") -> Question:
    line = raw.get("__line__", 0)
    where = f"{source_file}:{line}"
    try:
        options = tuple(
            Option(text=cite(str(o["text"])).strip(), correct=bool(o.get("correct", False)),
                   why=cite(str(o["why"]), dated=True).strip())
            for o in raw["options"]
        )
        q = Question(
            id=str(raw["id"]),
            type=raw.get("type", "single"),
            stem=cite(str(raw["stem"])).strip(),
            options=options,
            domain=raw["domain"],
            dva_domain=raw.get("dva_domain", "") or "",
            exam=tuple(raw.get("exam", ("SAA-C03",))),
            patterns=tuple(raw.get("patterns", ())),
            services=tuple(raw.get("services", ())),
            difficulty=int(raw.get("difficulty", 2)),
            link=raw.get("link", "") or "",
            scenario=raw.get("scenario", "") or "",
            labs=_labs(raw, where),
            source_file=source_file,
            source_line=line,
        )
    except BankError:
        raise
    except KeyError as e:
        raise BankError(f"{where}: missing field {e}") from None
    except UnknownFigure as e:
        raise BankError(f"{where}: {e.args[0]}") from None
    except (TypeError, ValueError) as e:
        raise BankError(f"{where}: {e}") from None
    problems = question_validate(q)
    if "DVA-C02" in q.exam and not q.dva_domain:
        # The bank's own questions say where they sit in the DVA-C02 mock; an imported file
        # may not (the draw then uses such a question only to fill a short domain).
        problems.append(f"a DVA-C02 question needs dva_domain, one of {tuple(DVA_DOMAINS)}")
    if problems:
        raise BankError(f"{where}: question {q.id}: " + "; ".join(problems))
    return q


def bank_read(directory: Path = BANK_DIR) -> list[Question]:
    """Every question in every *.yaml file of the bank, in file order. Ids are unique."""
    questions: list[Question] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        rel = path.name
        try:
            items = yaml.load(path.read_text(), Loader=_LineLoader) or []
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            raise BankError(f"{rel}:{mark.line + 1 if mark else 0}: {e}") from None
        for raw in items:
            q = question_from_mapping(raw, source_file=rel)
            if q.id in seen:
                raise BankError(
                    f"{rel}:{q.source_line}: duplicate id {q.id} (first in {seen[q.id]})")
            seen[q.id] = f"{rel}:{q.source_line}"
            questions.append(q)
    return questions
