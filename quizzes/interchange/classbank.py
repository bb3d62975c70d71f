"""An instructor's own questions, read the way Moodle writes them (class_gift, class_xml).

The public bank is strict (exam-shaped: 4 options, every option explained). A class's bank
takes what a Moodle course holds: true/false questions, any number of options, feedback on
some options or none, partial-credit weights, categories and titles. What the lab cannot
grade (essays, matching, numerical, short answer, descriptions, ...) is not an error: it is
left out and named in `Reading.skipped` with its line, its name and why. A file that cannot
be read at all raises `BankError` whose message starts with `line N: `.

Questions are graded all or nothing (the right options exactly); the file's weights are kept
(`ClassOption.fraction`, percent) so that an export gives Moodle back what it gave us.
"""

import hashlib
from dataclasses import dataclass, field

MULTICHOICE, TRUEFALSE = "multichoice", "truefalse"

NO_QUESTIONS = "no questions in the file"
NO_STEM = "the question has no text"
TOO_FEW_OPTIONS = "a question needs at least two options"
EMPTY_OPTION = "option {n} has no text"
NO_RIGHT_OPTION = "no option is right (a weight above 0%)"
SINGLE_TWO_RIGHT = "single answer, but {count} options are worth 100%: make it multiple answer"
TOO_MANY_OPTIONS = "more than 8 options (the lab letters options A to H)"

# Why a question type cannot be used: the lab grades chosen options, automatically.
WHY_NOT = {
    "essay": "an essay needs a person to grade it",
    "matching": "matching questions are not supported: the lab grades chosen options",
    "numerical": "numerical answers are not supported: the lab grades chosen options",
    "shortanswer": "typed (short) answers are not supported: the lab grades chosen options",
    "description": "a description has no answers to grade",
    "multianswer": "embedded answers (Cloze) are not supported",
    "calculated": "calculated questions are not supported",
    "calculatedsimple": "calculated questions are not supported",
    "calculatedmulti": "calculated questions are not supported",
    "random": "a random question is drawn by Moodle at quiz time: export the questions themselves",
    "randomsamatch": "random short-answer matching is not supported",
}
OTHER_TYPE = "the {kind} question type is not supported: only multiple choice and true/false"


@dataclass(frozen=True)
class ClassOption:
    text: str
    correct: bool
    feedback: str = ""
    fraction: float = 0.0  # percent, as the file gave it (100, 50, 33.33333, -100, 0)


@dataclass(frozen=True)
class ClassQuestion:
    ident: str  # the file's [id:] / <idnumber>, else a hash of title and text
    title: str  # ::title:: / <name>, kept for export
    type: str  # "single" or "multi", as the bank's questions
    stem: str
    options: tuple[ClassOption, ...]
    kind: str = MULTICHOICE  # or TRUEFALSE (two options, True and False)
    category: str = ""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Skipped:
    line: int
    name: str
    kind: str
    reason: str

    def __str__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        return f"line {self.line}:{name} ({self.kind}) not imported: {self.reason}"


@dataclass
class Reading:
    questions: list[ClassQuestion] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def why_not(kind: str) -> str:
    return WHY_NOT.get(kind, OTHER_TYPE.format(kind=kind))


def question_problems(q: ClassQuestion) -> list[str]:
    """Why a question cannot be graded here (empty when it can)."""
    problems = [] if q.stem.strip() else [NO_STEM]
    if len(q.options) < 2:
        problems.append(TOO_FEW_OPTIONS)
    if len(q.options) > 8:
        problems.append(TOO_MANY_OPTIONS)
    problems += [EMPTY_OPTION.format(n=n) for n, o in enumerate(q.options, 1)
                 if not o.text.strip()]
    right = sum(o.correct for o in q.options)
    if q.options and not right:
        problems.append(NO_RIGHT_OPTION)
    if q.type == "single" and right > 1:
        problems.append(SINGLE_TWO_RIGHT.format(count=right))
    return problems


def ident_for(*, ident: str, title: str, stem: str) -> str:
    """The file's own id, else one that stays the same while title and text do (so importing
    the same file again updates its questions rather than adding copies)."""
    ident = ident.strip()
    if ident:
        return ident[:80]
    return "q-" + hashlib.sha1(f"{title}\n{stem}".encode()).hexdigest()[:10]


def collect(reading: Reading, q: ClassQuestion) -> None:
    """Add a question, or skip it naming its problems; a repeated id is skipped too."""
    problems = question_problems(q)
    if any(seen.ident == q.ident for seen in reading.questions):
        problems.append(f"a question with the id {q.ident!r} came earlier in the file")
    if problems:
        reading.skipped.append(Skipped(line=q.line, name=q.title, kind=q.kind,
                                       reason="; ".join(problems)))
    else:
        reading.questions.append(q)


def fraction_text(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")
