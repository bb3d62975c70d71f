"""Moodle XML: multiple-choice questions in and out.

What we write (Moodle 3.6+ imports it as the same question; we read back every field):

    <question type="multichoice">
      <name><text>rest-api-001</text></name>
      <questiontext format="html"><text>A startup ...&lt;br&gt;Which ...?</text></questiontext>
      <idnumber>rest-api-001</idnumber>
      <single>true</single>
      <answer fraction="100" format="html">
        <text>Amazon API Gateway ...</text>
        <feedback format="html"><text>Every part scales ...</text></feedback>
      </answer>
      ...
      <tags><tag><text>domain:cost</text></tag><tag><text>exam:SAA-C03</text></tag>...</tags>
    </question>

- id: <idnumber>, repeated as <name>. Import takes idnumber, else name, else moodle-<hash>.
- why: each answer's <feedback>. Metadata: tags named as in GIFT (see _common).
- single: fractions 100 and 0. multi (<single>false</single>): right answers share 100
  (50, 33.33333), wrong ones -100, so ticking every box scores nothing.
- text is HTML: escaped, with <br> for line breaks. Import reads html as Moodle's editor
  writes it (tags dropped, <br> and paragraphs kept as line breaks) and other formats as is.

Untrusted files: a DOCTYPE is refused, so no entity can be declared (no billion laughs, no
external entities). expat is driven directly so every element knows its line for errors.
"""

import xml.etree.ElementTree as ET
from xml.parsers import expat

from quizzes.bank import BankError, Question
from quizzes.interchange import _common as common

DOCTYPE_REFUSED = "a DOCTYPE is not accepted in question files"
MALFORMED = "malformed XML: {reason}"
NOT_QUIZ = "the root element is <{tag}>, not <quiz>"
NOT_QUESTION = "<{tag}> inside <quiz>: only <question> elements belong there"
UNSUPPORTED_TYPE = 'question type "{type}" is not supported; only "multichoice" is'
NO_QUESTIONTEXT = "the question has no <questiontext>"
BAD_FRACTION = 'fraction="{fraction}" is not a number'


def parse(text: str, *, defaults: dict | None = None) -> list[Question]:
    defaults = common.defaults_check(defaults)
    root, lines = _tree(text)
    if root.tag != "quiz":
        raise BankError(f"line {lines[id(root)]}: " + NOT_QUIZ.format(tag=root.tag))
    questions = []
    for element in root:
        line = lines[id(element)]
        if element.tag != "question":
            raise BankError(f"line {line}: " + NOT_QUESTION.format(tag=element.tag))
        kind = element.get("type", "")
        if kind == "category":  # Moodle's category switch: the bank has none
            continue
        if kind != "multichoice":
            raise BankError(f"line {line}: " + UNSUPPORTED_TYPE.format(type=kind))
        questions.append(_question(element, line, lines, defaults))
    return common.ids_unique(questions)


def dump(questions: list[Question]) -> str:
    quiz = ET.Element("quiz")
    for q in questions:
        question = ET.SubElement(quiz, "question", type="multichoice")
        _text(ET.SubElement(question, "name"), q.id)
        _text(ET.SubElement(question, "questiontext", format="html"), common.text_to_html(q.stem))
        ET.SubElement(question, "idnumber").text = q.id
        ET.SubElement(question, "single").text = "true" if q.type == "single" else "false"
        for option, fraction in zip(q.options, common.weights(q), strict=True):
            answer = ET.SubElement(question, "answer", fraction=fraction, format="html")
            _text(answer, common.text_to_html(option.text))
            _text(ET.SubElement(answer, "feedback", format="html"), common.text_to_html(option.why))
        tags = ET.SubElement(question, "tags")
        for tag in common.tags_for(q):
            _text(ET.SubElement(tags, "tag"), tag)
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, "unicode") + "\n"


def _text(parent: ET.Element, text: str) -> None:
    ET.SubElement(parent, "text").text = text


def _tree(text: str) -> tuple[ET.Element, dict[int, int]]:
    """The document as an ElementTree, and the line each element starts on (by id)."""
    builder, lines = ET.TreeBuilder(), {}
    parser = expat.ParserCreate()

    def start(tag, attributes):
        lines[id(builder.start(tag, attributes))] = parser.CurrentLineNumber

    def refuse(*args):
        raise BankError(f"line {parser.CurrentLineNumber}: {DOCTYPE_REFUSED}")

    parser.StartElementHandler, parser.EndElementHandler = start, builder.end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = refuse
    try:
        parser.Parse(text.removeprefix("\ufeff"), True)
    except expat.ExpatError as e:
        reason = expat.ErrorString(e.code)
        raise BankError(f"line {e.lineno}: " + MALFORMED.format(reason=reason)) from None
    return builder.close(), lines


def _plain(element: ET.Element | None, default_format: str) -> tuple[str, str]:
    """(format, plain text) of an element holding <text>, as Moodle writes text fields."""
    if element is None:
        return default_format, ""
    fmt = element.get("format", default_format)
    text = element.findtext("text") or ""
    return fmt, common.html_to_text(text) if fmt == "html" else text.strip()


def _question(element: ET.Element, line: int, lines: dict[int, int], defaults: dict) -> Question:
    if element.find("questiontext") is None:
        raise BankError(f"line {line}: {NO_QUESTIONTEXT}")
    fmt, stem = _plain(element.find("questiontext"), "moodle_auto_format")
    # Moodle's own reading of <single>: anything but "false", "0" or empty means one answer.
    single = (element.findtext("single") or "true").strip() not in ("false", "0", "")
    options = []
    for answer in element.findall("answer"):
        fraction, where = answer.get("fraction", "0"), f"line {lines[id(answer)]}"
        try:
            weight = float(fraction)
        except ValueError:
            raise BankError(f"{where}: " + BAD_FRACTION.format(fraction=fraction)) from None
        try:
            correct = common.option_correct(weight, single=single)
        except ValueError as e:
            raise BankError(f"{where}: {e}") from None
        answer_format, text = _plain(answer, fmt)
        options.append((text, correct, _plain(answer.find("feedback"), answer_format)[1]))
    tags = [(lines[id(tag)], (tag.findtext("text") or "").strip())
            for tag in element.findall("tags/tag")]
    ident = ((element.findtext("idnumber") or "").strip()
             or (element.findtext("name/text") or "").strip() or common.stem_id("moodle", stem))
    return common.question_build(line=line, id=ident, stem=stem, single=single, options=options,
                                 meta=common.metadata(tags, defaults=defaults),
                                 why=defaults.get("why", ""))
