"""Moodle XML for a class's own bank: read what Moodle exports, write what Moodle imports.

Moodle writes a category switch as `<question type="category">` holding
`<category><text>$course$/top/...</text></category>`, then the questions of that category.
multichoice and truefalse are read (name, idnumber, text, each answer's fraction and
feedback); every other type (essay, matching, numerical, shortanswer, description, cloze,
calculated, ...) is named in the reading's `skipped` with its line and why. The same
hardening as moodle_xml: no DOCTYPE, lines for every error.
"""

import xml.etree.ElementTree as ET

from quizzes.bank import BankError
from quizzes.interchange import _common as common
from quizzes.interchange import moodle_xml
from quizzes.interchange.classbank import (
    MULTICHOICE,
    TRUEFALSE,
    ClassOption,
    ClassQuestion,
    Reading,
    Skipped,
    collect,
    fraction_text,
    ident_for,
    why_not,
)


def read(text: str) -> Reading:
    """Every usable question of a Moodle XML file, and what was left out and why."""
    root, lines = moodle_xml._tree(text)
    if root.tag != "quiz":
        raise BankError(f"line {lines[id(root)]}: " + moodle_xml.NOT_QUIZ.format(tag=root.tag))
    reading, category = Reading(), ""
    for element in root:
        line = lines[id(element)]
        if element.tag != "question":
            raise BankError(f"line {line}: " + moodle_xml.NOT_QUESTION.format(tag=element.tag))
        kind = element.get("type", "")
        if kind == "category":
            category = (element.findtext("category/text") or "").strip()
            continue
        title = (element.findtext("name/text") or "").strip()
        if kind not in (MULTICHOICE, TRUEFALSE):
            reading.skipped.append(Skipped(line, title, kind or "untyped", why_not(kind)))
            continue
        collect(reading, _question(element, line, lines, title, kind, category))
    if not reading.questions and not reading.skipped:
        raise BankError(f"line {lines[id(root)]}: no questions in the file")
    return reading


def _question(element, line, lines, title, kind, category) -> ClassQuestion:
    if element.find("questiontext") is None:
        raise BankError(f"line {line}: {moodle_xml.NO_QUESTIONTEXT}")
    fmt, stem = moodle_xml._plain(element.find("questiontext"), "html")
    single = kind == TRUEFALSE or \
        (element.findtext("single") or "true").strip() not in ("false", "0", "")
    options = []
    for answer in element.findall("answer"):
        fraction = answer.get("fraction", "0")
        try:
            weight = float(fraction)
        except ValueError:
            raise BankError(f"line {lines[id(answer)]}: "
                            + moodle_xml.BAD_FRACTION.format(fraction=fraction)) from None
        answer_format, text = moodle_xml._plain(answer, fmt)
        if kind == TRUEFALSE:
            text = text.capitalize()
        options.append(ClassOption(text, weight >= 100 if single else weight > 0,
                                   moodle_xml._plain(answer.find("feedback"), answer_format)[1],
                                   weight))
    ident = ident_for(ident=element.findtext("idnumber") or "", title=title, stem=stem)
    return ClassQuestion(ident=ident, title=title, type="single" if single else "multi",
                         stem=stem, options=tuple(options), kind=kind, category=category,
                         line=line)


def dump(questions: list[ClassQuestion]) -> str:
    """Moodle XML Moodle imports as the same questions: titles, categories, weights."""
    quiz, category = ET.Element("quiz"), ""
    for q in questions:
        if q.category != category:
            switch = ET.SubElement(quiz, "question", type="category")
            _text(ET.SubElement(switch, "category"), q.category)
            category = q.category
        question = ET.SubElement(quiz, "question", type=q.kind)
        _text(ET.SubElement(question, "name"), q.title)
        _text(ET.SubElement(question, "questiontext", format="html"), common.text_to_html(q.stem))
        ET.SubElement(question, "idnumber").text = q.ident
        if q.kind == MULTICHOICE:
            ET.SubElement(question, "single").text = "true" if q.type == "single" else "false"
            ET.SubElement(question, "shuffleanswers").text = "true"
            ET.SubElement(question, "answernumbering").text = "abc"
        for o in q.options:
            answer = ET.SubElement(question, "answer", fraction=fraction_text(o.fraction),
                                   format="html" if q.kind == MULTICHOICE else "moodle_auto_format")
            _text(answer, common.text_to_html(o.text) if q.kind == MULTICHOICE
                  else o.text.lower())
            _text(ET.SubElement(answer, "feedback", format="html"), common.text_to_html(o.feedback))
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, "unicode") + "\n"


def _text(parent: ET.Element, text: str) -> None:
    ET.SubElement(parent, "text").text = text
