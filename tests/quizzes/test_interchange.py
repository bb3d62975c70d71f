import random
from pathlib import Path

import pytest

from quizzes.bank import BankError, Option, Question, bank_read
from quizzes.interchange import FORMATS, _common, aiken, format_for, gift, moodle_xml

DATA = Path(__file__).parent / "data"
WRONG = "Wrong because it is not what was asked."


def question(id="q-1", *, type="single", correct=(0,), count=4, stem="Which one?", texts=None,
             whys=None, **fields) -> Question:
    texts = texts or [f"Option {n}" for n in range(count)]
    whys = whys or [f"Why option {n}." for n in range(count)]
    options = tuple(Option(text=t, correct=n in correct, why=w)
                    for n, (t, w) in enumerate(zip(texts, whys, strict=True)))
    return Question(id=id, type=type, stem=stem, options=options,
                    domain=fields.pop("domain", "resilient"), **fields)


SPECIALS = "~ = # { } : \\ \\n \\# %50% [html] //x <b>&amp;</b> ####"
TRICKY = [
    question("special-chars", stem=f"Escape all: {SPECIALS}\nand :: a title-like pair?",
             texts=[f"A {SPECIALS}", "%50% off looks like a weight", "[html]<p>not html</p>",
                    "{=right ~wrong}"],
             whys=[f"Because {SPECIALS}", "[plain] marks", "#starts with a hash", "ends in \\"]),
    question("multi-line", stem="First paragraph,\n  indented line\twith a tab.\n\n"
             "Second paragraph with <br> and &#13; literally.\nLast line",
             whys=["Line one\nline two", "x", "y", "z"], correct=(3,)),
    question("unicode-ü", stem="Ünïcödé: 東京リージョン, ‏עברית‏, emoji 🚀, nbsp\u00a0here,"
             " line\u2028separator", texts=["€ 0,20 pro Million", "ß", "…", "✓"],
             patterns=("flüsse",)),
    question("multi-2-of-5-full", type="multi", count=5, correct=(1, 3), domain="cost",
             texts=["%-100% reads like a weight", "[markdown]*not markdown*", "=", "~", "#"],
             exam=("SAA-C03", "DVA-C02"), patterns=("queue-worker", "fan-out"),
             services=("sqs", "sns", "lambda"), difficulty=3,
             link="/patterns/queue-worker/#retries?x=[1]", scenario="queue-worker/poison-message"),
    question("multi-3-of-6-empty", type="multi", count=6, correct=(0, 2, 5), domain="secure",
             exam=("DVA-C02",), difficulty=1),
    question("weird:id#{1}]", stem="// a stem that starts like a comment", domain="performance"),
]


@pytest.mark.parametrize("module", [gift, moodle_xml])
def test_round_trip_keeps_every_field(module):
    assert module.parse(module.dump(TRICKY)) == TRICKY


NASTY = [*"~=#{}:\\%[]<>&;/ \t\nab", "[html]", "<br>", "</p><p>", "&amp;", "&#13;", "\\n", "//",
         "::", "####", "%50%", "ü", "🚀", "\u2028", "\xa0", "->", "$CATEGORY:", "[tag:domain:x]"]


def nasty_questions(count: int) -> list[Question]:
    """Questions whose text is random runs of everything the formats treat specially."""
    rng = random.Random(6)

    def text():
        while not (t := "".join(rng.choices(NASTY, k=rng.randint(1, 12))).strip()):
            pass
        return t

    questions = []
    for n in range(count):
        kind, size, right = rng.choice([("single", 4, 1), ("multi", 5, 2), ("multi", 6, 3)])
        questions.append(question(f"nasty-{n}", type=kind, count=size, stem=text(),
                                  correct=rng.sample(range(size), right),
                                  texts=[text() for _ in range(size)],
                                  whys=[text() for _ in range(size)]))
    return questions


@pytest.mark.parametrize("module", [gift, moodle_xml])
def test_round_trip_of_random_nasty_text(module):
    questions = nasty_questions(300)
    assert module.parse(module.dump(questions)) == questions


@pytest.mark.parametrize("module", [gift, moodle_xml])
def test_round_trip_of_the_real_bank(module):
    bank = bank_read()
    assert bank and module.parse(module.dump(bank)) == bank


def test_gift_dump_shape():
    two_of_five = question("m", type="multi", count=5, correct=(0, 2), difficulty=1)
    assert gift.dump([question(link="/p/#a"), two_of_five]) == (
        gift.HEADER
        + "// [id:q-1]\n"
        "// [tag:domain:resilient] [tag:exam:SAA-C03] [tag:difficulty:2] [tag:link:/p/#a]\n"
        "::q-1::[plain]Which one?{\n"
        "\t=Option 0#Why option 0.\n\t~Option 1#Why option 1.\n"
        "\t~Option 2#Why option 2.\n\t~Option 3#Why option 3.\n"
        "}\n\n"
        "// [id:m]\n"
        "// [tag:domain:resilient] [tag:exam:SAA-C03] [tag:difficulty:1]\n"
        "::m::[plain]Which one?{\n"
        "\t~%50%Option 0#Why option 0.\n\t~%-100%Option 1#Why option 1.\n"
        "\t~%50%Option 2#Why option 2.\n\t~%-100%Option 3#Why option 3.\n"
        "\t~%-100%Option 4#Why option 4.\n"
        "}\n"
    )


def test_gift_weights_for_three_of_six():
    dumped = gift.dump([question(type="multi", count=6, correct=(0, 1, 2))])
    assert dumped.count("~%33.33333%") == 3 and dumped.count("~%-100%") == 3
    assert "=" not in dumped.split("{", 1)[1]  # no = anywhere: Moodle shows checkboxes


def test_moodle_xml_dump_shape():
    dumped = moodle_xml.dump([question(type="multi", count=5, correct=(0, 1), stem="a < b\nc")])
    assert dumped.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n')
    for part in ['<question type="multichoice">', "<name>\n      <text>q-1</text>",
                 '<questiontext format="html">\n      <text>a &amp;lt; b&lt;br&gt;c</text>',
                 "<idnumber>q-1</idnumber>", "<single>false</single>",
                 '<answer fraction="50" format="html">', '<answer fraction="-100" format="html">',
                 '<feedback format="html">\n        <text>Why option 0.</text>',
                 "<tag>\n        <text>domain:resilient</text>"]:
        assert part in dumped


def test_parse_hand_written_gift():
    parsed = gift.parse((DATA / "sample.gift").read_text(), defaults={"domain": "secure"})
    assert parsed == [
        Question(
            id="cleanup-ttl", type="single", domain="cost", difficulty=1,
            patterns=("scheduled-job",), services=("dynamodb",),
            stem="A ticketing site keeps session records in Amazon DynamoDB. Each record must "
                 "disappear\nabout a day after it was written. What is the cheapest way to "
                 "remove them?",
            options=(
                Option("Enable DynamoDB TTL on an expiry attribute.", True,
                       "TTL deletes expired items in the background at no cost."),
                Option("Run a Lambda function every night that scans the table and deletes old "
                       "items.", False,
                       "A scan reads the whole table every night and you pay for every read."),
                Option("Export the table to S3 and re-import only fresh items.", False,
                       "Far more work and cost than deleting."),
                Option("Use a Global Secondary Index sorted by date.", False,
                       "An index finds items; it deletes nothing."),
            )),
        Question(
            id="Fan-out per item", type="multi", domain="performance", services=("sqs", "lambda"),
            stem="Which TWO choices let each item of an order be processed\nindependently when an "
                 "order event is published?",
            options=(
                Option("Publish one message per item to an Amazon SQS queue consumed by Lambda.",
                       True, "Each item is its own message, retried on its own."),
                Option("Use a Step Functions Map state over the items.", True,
                       "Map runs one iteration per item, each with its own retries."),
                Option("Process the whole order in one Lambda invocation.", False,
                       "One failure retries every item."),
                Option("Store the order in S3 and poll it hourly.", False,
                       "Polling delays every item."),
                Option("Use a larger Lambda memory size.", False,
                       "Memory changes speed, not independence."),
            )),
        Question(
            id=_common.stem_id("gift", parsed[2].stem), type="single", domain="secure",
            stem="Which separator does this question escape: {, }, ~, =, # and :?",
            options=(
                Option("All of them", True, "Each is written with a backslash: \\ before it."),
                Option("Only { and }", False, "The others are special too."),
                Option("None", False, "GIFT needs them escaped."),
                Option("Only :", False, "Colons matter in titles and numeric answers."),
            )),
    ]
    assert parsed[2].id == "gift-6ecc327e"
    assert [q.source_line for q in parsed] == [10, 22, 31]
    windows = (DATA / "sample.gift").read_text().replace("\n", "\r\n")
    assert gift.parse(windows, defaults={"domain": "secure"}) == parsed


def test_parse_moodle_xml_export():
    parsed = moodle_xml.parse((DATA / "sample.xml").read_text())
    assert parsed == [
        Question(
            id="rest-zero", type="single", domain="cost", exam=("SAA-C03", "DVA-C02"),
            patterns=("rest-api",), services=("api-gateway",), link="/patterns/rest-api/#when",
            stem="A startup needs a REST API with the fewest servers to run.\n\n"
                 "Which design costs nothing when idle?",
            options=(
                Option("API Gateway, Lambda & DynamoDB on-demand", True,
                       "All three bill per request.\nIdle costs\u00a0nothing."),
                Option("EC2 behind an ALB", False, "Instances bill by the hour."),
                Option("ECS on EC2 with Aurora provisioned", False, "Both run around the clock."),
                Option("A single EC2 instance with <PostgreSQL>", False,
                       "One instance & one point of failure."),
            )),
        Question(
            id="Three of six", type="multi", domain="cost", difficulty=3,
            scenario="queue-worker/poison-message", stem="Which THREE services bill per request?",
            options=(
                Option("AWS Lambda", True, "Per request and duration."),
                Option("Amazon API Gateway", True, "Per request."),
                Option("Amazon SQS", True, "Per request."),
                Option("Amazon EC2", False, "Per second of instance time."),
                Option("Amazon RDS", False, "Per instance hour."),
                Option("AWS Fargate", False, "Per vCPU and memory second."),
            )),
    ]
    assert [q.source_line for q in parsed] == [15, 73]


def test_parse_aiken():
    text = (DATA / "sample.txt").read_text()
    parsed = aiken.parse(text, defaults={"domain": "resilient", "exam": "DVA-C02"})
    assert aiken.parse(text.replace("\n", "\r\n"),
                       defaults={"domain": "resilient", "exam": "DVA-C02"}) == parsed
    assert [(q.id, q.type, q.correct_indexes, q.domain, q.exam, q.source_line) for q in parsed] == [
        ("aiken-5a8a429e", "single", (1,), "resilient", ("DVA-C02",), 1),
        ("aiken-c447bff9", "multi", (0, 2), "resilient", ("DVA-C02",), 8),
    ]
    assert parsed[1].stem == ("A company publishes an order event to Amazon EventBridge.\n"
                              "It must process every item of the order independently.\n"
                              "Which TWO services can it combine?")
    assert [o.text for o in parsed[1].options] == [
        "Amazon SQS", "Amazon EBS", "AWS Lambda", "Amazon Route 53", "AWS Snowball"]
    assert {o.why for q in parsed for o in q.options} == {aiken.AIKEN_WHY}


def test_defaults_give_why_and_file_tags_win():
    text = "// [tag:domain:cost]\n::t::Q?{=a ~b ~c ~d}"
    (parsed,) = gift.parse(text, defaults={"domain": "secure", "why": "See the docs.",
                                           "difficulty": 3, "services": "lambda"})
    assert (parsed.domain, parsed.difficulty, parsed.services) == ("cost", 3, ("lambda",))
    assert {o.why for o in parsed.options} == {"See the docs."}


SINGLE_OK = "::ok::Fine?{=a#w ~b#w ~c#w ~d#w}\n\n"
SIX = "".join(f"<answer fraction='{f}'><text>o{n}</text><feedback><text>w</text></feedback>"
              "</answer>" for n, f in enumerate([50, 50, 0, 0, 0, -100]))


@pytest.mark.parametrize("module, text, message", [
    (gift, SINGLE_OK + "::q::Stem {\n=a#w\n~b#w\n\n::r::", f"line 3: {gift.UNCLOSED_BRACE}"),
    (gift, "::q::Stem } {=a#w ~b#w}", f"line 1: {gift.STRAY_BRACE}"),
    (gift, "::q::Just a description.", f"line 1: {gift.NO_ANSWERS}"),
    (gift, "::q::Stem {=a ~b} more", f"line 1: {gift.TEXT_AFTER}"),
    (gift, "::q::Stem {=a ~b {~c}", f"line 1: {gift.NESTED_BRACE}"),
    (gift, "::q::Grant is buried here.{TRUE}", f"line 1: {gift.NOT_MULTICHOICE}"),
    (gift, "::q::Stem {\nstray\n=a ~b}", f"line 2: {gift.NO_MARKER}"),
    (gift, "::q::Stem {=a ~b ####general}", f"line 1: {gift.GENERAL_FEEDBACK}"),
    (gift, "::q Stem {=a ~b}", f"line 1: {gift.UNCLOSED_TITLE}"),
    (gift, "::q::Stem {=a#w\n~%50%b#w ~c#w ~d#w}",
     "line 2: " + _common.PARTIAL_CREDIT.format(weight=50)),
    (gift, "// [tag:domain:cost]\n::q::Stem{~a#w ~b#w ~c#w ~d#w}",
     f"line 2: question q: {_common.NO_CORRECT}; "
     "a multiple-response question has 2 correct of 5 or 3 correct of 6"),
    (gift, "// [tag:domain:cost]\n::q::Stem{=a ~b#w ~c#w ~d#w}",
     "line 2: question q: option 1 needs text and why"),
    (gift, "// [tag:domain:cost]\n// [tag:difficulty:hard]\n::q::S{=a#w ~b#w ~c#w ~d#w}",
     "line 2: " + _common.BAD_DIFFICULTY.format(value="hard")),
    (gift, "// [tag:domain:cost] [tag:domain:secure]\n::q::S{=a#w ~b#w ~c#w ~d#w}",
     "line 1: " + _common.TWO_TAGS.format(name="domain")),
    (gift, f"// [tag:domain:cost]\n{SINGLE_OK}// [tag:domain:cost]\n{SINGLE_OK}",
     "line 5: " + _common.DUPLICATE_ID.format(id="ok", first=2)),
    (aiken, "Q?\nA. a\nB. b\nC. c\nD. d\nANSWER: E",
     "line 6: " + aiken.UNKNOWN_LETTER.format(letter="E", last="D")),
    (aiken, "Q?\nA. a\nC. c\nANSWER: A", "line 3: "
     + aiken.OPTION_ORDER.format(expected="B", found="C")),
    (aiken, "A. a\nB. b", "line 1: " + aiken.OPTION_FIRST.format(letter="A")),
    (aiken, "Q?\nANSWER: A", f"line 2: {aiken.ANSWER_FIRST}"),
    (aiken, "Q?\nA. a\nB. b\nANSWER:", f"line 4: {aiken.ANSWER_EMPTY}"),
    (aiken, "Q?\nA. a\nB. b\nNext question?\nA. x", f"line 4: {aiken.TEXT_AFTER_OPTIONS}"),
    (aiken, "Q?\nA. a\nB. b\nC. c\nD. d\nANSWER: A\n\nSecond?\nA. a\nB. b\n",
     f"line 8: {aiken.NO_ANSWER}"),
    (moodle_xml, "<quiz>\n<question type='multichoice'>\n<name><text>x</name>\n</quiz>",
     "line 3: " + moodle_xml.MALFORMED.format(reason="mismatched tag")),
    (moodle_xml, "", "line 1: " + moodle_xml.MALFORMED.format(reason="no element found")),
    (moodle_xml, '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
     ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
     '<quiz>&lol2;</quiz>',
     f"line 2: {moodle_xml.DOCTYPE_REFUSED}"),
    (moodle_xml, "<questions/>", "line 1: " + moodle_xml.NOT_QUIZ.format(tag="questions")),
    (moodle_xml, "<quiz>\n  <item/>\n</quiz>",
     "line 2: " + moodle_xml.NOT_QUESTION.format(tag="item")),
    (moodle_xml, '<quiz>\n<question type="truefalse"/></quiz>',
     "line 2: " + moodle_xml.UNSUPPORTED_TYPE.format(type="truefalse")),
    (moodle_xml, '<quiz>\n\n<question type="multichoice"><name/></question></quiz>',
     f"line 3: {moodle_xml.NO_QUESTIONTEXT}"),
    (moodle_xml, '<quiz><question type="multichoice"><questiontext><text>S</text>'
     '</questiontext>\n<answer fraction="lots"/></question></quiz>',
     "line 2: " + moodle_xml.BAD_FRACTION.format(fraction="lots")),
    (moodle_xml, '<quiz>\n<question type="multichoice"><questiontext><text>S</text>'
     f"</questiontext><single>false</single>{SIX}<tags><tag><text>domain:cost</text></tag>"
     "</tags></question></quiz>",
     f"line 2: question {_common.stem_id('moodle', 'S')}: a multiple-response question has "
     "2 correct of 5 or 3 correct of 6"),
])
def test_malformed_input_is_refused_with_its_line(module, text, message):
    with pytest.raises(BankError) as error:
        module.parse(text, defaults={"domain": "cost"})
    assert str(error.value) == message


@pytest.mark.parametrize("module, text, ident", [
    (aiken, "\n\nQ?\nA. a\nB. b\nC. c\nD. d\nANSWER: A", _common.stem_id("aiken", "Q?")),
    (gift, "\n// [tag:pattern:x]\n::q::Q?{=a#w ~b#w ~c#w ~d#w}", "q"),
])
def test_without_a_domain_the_message_says_how_to_give_one(module, text, ident):
    with pytest.raises(BankError) as error:
        module.parse(text)
    assert str(error.value) == f"line 3: question {ident}: {_common.NO_DOMAIN}"


def test_unknown_defaults_are_a_programming_error():
    with pytest.raises(ValueError, match="unknown import defaults"):
        gift.parse("", defaults={"domian": "cost"})


def test_metadata_a_moodle_tag_cannot_carry_is_refused_on_dump():
    with pytest.raises(ValueError, match="cannot be carried"):
        gift.dump([question(link="/a<b")])


def test_formats():
    assert FORMATS == {"gift": gift, "moodle-xml": moodle_xml, "aiken": aiken}
    assert not hasattr(aiken, "dump")  # Aiken is import-only


@pytest.mark.parametrize("filename, name", [
    ("bank.gift", "gift"), ("export.XML", "moodle-xml"), ("/tmp/aiken.txt", "aiken")])
def test_format_for(filename, name):
    assert format_for(filename) == name


@pytest.mark.parametrize("filename", ["bank.yaml", "noextension"])
def test_format_for_unknown(filename):
    with pytest.raises(ValueError, match=r"cannot tell the question format .* \.gift \(gift\)"):
        format_for(filename)


# A class's own bank: files as Moodle exports them (data/moodle_class.*), read leniently.

from quizzes.interchange import class_gift, class_xml  # noqa: E402
from quizzes.interchange.classbank import (  # noqa: E402
    NO_RIGHT_OPTION,
    SINGLE_TWO_RIGHT,
    TOO_FEW_OPTIONS,
    ClassOption,
    ClassQuestion,
)

WEEK1 = "$course$/top/Default for Serverless 101/Week 1"
WEEK2 = "$course$/top/Default for Serverless 101/Week 2"


def test_a_moodle_gift_export_is_read_with_true_false_titles_categories_and_weights():
    reading = class_gift.read((DATA / "moodle_class.gift").read_text())
    by_title = {q.title: q for q in reading.questions}
    assert list(by_title) == ["Lambda needs no servers", "Pick the queue",
                              "Two that bill per request", "S3 is a database", "Short true",
                              "Retry blank"]
    assert by_title["Lambda needs no servers"] == ClassQuestion(
        ident=by_title["Lambda needs no servers"].ident, title="Lambda needs no servers",
        type="single", kind="truefalse", category=WEEK1,
        stem="AWS Lambda runs your code without servers that you manage.",
        options=(ClassOption("True", True, "Right: you never see them.", 100.0),
                 ClassOption("False", False,
                             "It does: AWS runs and patches the servers for you.", 0.0)))
    assert [(o.text, o.correct, o.feedback) for o in by_title["Pick the queue"].options] == [
        ("Amazon SQS", True, "Yes: Simple Queue Service."),
        ("Amazon SNS", False, "SNS pushes to subscribers; it keeps nothing."),
        ("Amazon S3", False, ""), ("AWS Lambda", False, "")]  # feedback on some options only
    two = by_title["Two that bill per request"]
    assert two.type == "multi" and two.stem == "Which two services bill per request?"
    assert [(o.correct, o.fraction) for o in two.options] == [
        (True, 50.0), (True, 50.0), (False, -100.0), (False, -100.0)]
    assert [o.correct for o in by_title["S3 is a database"].options] == [False, True]
    assert by_title["S3 is a database"].category == WEEK2
    assert [o.correct for o in by_title["Short true"].options] == [True, False]
    assert by_title["Retry blank"].stem == ("A message that fails too often goes to the _____ "
                                            "after its last receive.")
    assert [str(s) for s in reading.skipped] == [
        "line 29: 'Explain cold starts' (essay) not imported: an essay needs a person to "
        "grade it",
        "line 37: 'Maximum timeout' (numerical) not imported: numerical answers are not "
        "supported: the lab grades chosen options",
        "line 43: 'Match services' (matching) not imported: matching questions are not "
        "supported: the lab grades chosen options",
        "line 51: 'Name the queue' (shortanswer) not imported: typed (short) answers are not "
        "supported: the lab grades chosen options",
        "line 58: 'About this week' (description) not imported: a description has no answers "
        "to grade",
    ]


def test_the_strict_reader_still_refuses_that_file_for_the_public_bank():
    with pytest.raises(BankError):
        gift.parse((DATA / "moodle_class.gift").read_text(), defaults={"domain": "cost"})


def test_a_moodle_xml_export_is_read_and_matches_its_gift_twin():
    reading = class_xml.read((DATA / "moodle_class.xml").read_text())
    assert [(q.title, q.kind, q.type, q.category) for q in reading.questions] == [
        ("Lambda needs no servers", "truefalse", "single", WEEK1),
        ("Pick the queue", "multichoice", "single", WEEK1),
        ("Two that bill per request", "multichoice", "multi", WEEK2),
        ("S3 is a database", "truefalse", "single", WEEK2)]
    assert reading.questions[1].ident == "W1-queue"  # Moodle's idnumber when it has one
    # Without an idnumber the id comes from title and text: the same in GIFT and XML.
    gift_ids = {q.title: q.ident for q in class_gift.read(
        (DATA / "moodle_class.gift").read_text()).questions}
    assert reading.questions[0].ident == gift_ids["Lambda needs no servers"]
    assert reading.questions[3].options[0].feedback == "S3 stores objects, not tables."
    assert [(s.line, s.name, s.kind) for s in reading.skipped] == [
        (157, "Explain cold starts", "essay"), (185, "Match services", "matching"),
        (215, "Maximum timeout", "numerical"), (243, "About this week", "description")]


@pytest.mark.parametrize("module", [class_gift, class_xml])
def test_class_questions_round_trip_with_titles_categories_and_weights(module):
    questions = class_gift.read((DATA / "moodle_class.gift").read_text()).questions
    tricky = ClassQuestion(
        ident="tricky", title="Title: with {braces} # and ~", type="multi",
        stem="Line one\nline <two> & {three}", category="",
        options=(ClassOption("%33% not a weight", True, "", 33.33333),
                 ClassOption("b", True, "x#y", 33.33333), ClassOption("c", True, "", 33.33334),
                 ClassOption("d", False, "[html]<p>no</p>", -100.0)))
    questions = [*questions, tricky]
    dumped = module.dump(questions)
    assert module.read(dumped).questions == questions
    if module is class_gift:
        assert "::Pick the queue::" in dumped and f"$CATEGORY: {WEEK2}" in dumped
        assert "{TRUE#It does\\: AWS runs and patches the servers for you.#Right\\: you never " \
               "see them.}" in dumped
    else:
        assert "<text>Pick the queue</text>" in dumped and f"<text>{WEEK2}</text>" in dumped
        assert '<question type="truefalse">' in dumped


@pytest.mark.parametrize("text, problem", [
    ("::a::Q?{~a ~b ~c}", NO_RIGHT_OPTION),
    ("::a::Q?{=a ~%100%b ~c}", SINGLE_TWO_RIGHT.format(count=2)),
    ("::a::Q?{~only}", TOO_FEW_OPTIONS + "; " + NO_RIGHT_OPTION),
])
def test_a_question_that_cannot_be_graded_is_skipped_and_named(text, problem):
    reading = class_gift.read("::ok::Fine?{=a ~b}\n\n" + text)
    assert [q.title for q in reading.questions] == ["ok"]
    assert [str(s) for s in reading.skipped] == [
        f"line 3: 'a' (multichoice) not imported: {problem}"]


@pytest.mark.parametrize("module, text, message", [
    (class_gift, "::ok::Fine?{=a ~b}\n\n::q::Stem {\n=a\n~b\n\n::r::",
     f"line 3: {gift.UNCLOSED_BRACE}"),
    (class_gift, "::q::Stem } {=a ~b}", f"line 1: {gift.STRAY_BRACE}"),
    (class_gift, "::q Stem {=a ~b}", f"line 1: {gift.UNCLOSED_TITLE}"),
    (class_gift, "::q::Stem {=a ~b {~c}", f"line 1: {gift.NESTED_BRACE}"),
    (class_gift, "// only a comment\n", "line 1: no questions in the file"),
    (class_xml, "<quiz>\n<question type='multichoice'>\n<name><text>x</name>\n</quiz>",
     "line 3: " + moodle_xml.MALFORMED.format(reason="mismatched tag")),
    (class_xml, '<?xml version="1.0"?>\n<!DOCTYPE q [\n <!ENTITY a "b">\n]>\n<quiz/>',
     f"line 2: {moodle_xml.DOCTYPE_REFUSED}"),
    (class_xml, "<questions/>", "line 1: " + moodle_xml.NOT_QUIZ.format(tag="questions")),
    (class_xml, '<quiz>\n<question type="truefalse"><questiontext><text>S</text>'
     '</questiontext>\n<answer fraction="all"/></question></quiz>',
     "line 3: " + moodle_xml.BAD_FRACTION.format(fraction="all")),
    (class_xml, "<quiz>\n</quiz>", "line 1: no questions in the file"),
])
def test_a_class_file_that_cannot_be_read_is_refused_with_its_line(module, text, message):
    with pytest.raises(BankError) as error:
        module.read(text)
    assert str(error.value) == message
