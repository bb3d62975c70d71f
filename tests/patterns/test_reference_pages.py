"""The pages across patterns (glossary, comparison, security layers), their content files, and
the quiz bank's links into the pattern pages (a drift test)."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.urls import reverse

from patterns.catalog import Pattern, catalog
from patterns.reference import (
    CONTENT_DIR,
    EXAMPLE_OUTSIDE_FIRST_TIER,
    comparison_rows,
    cost_example,
    glossary_entries,
    glossary_groups,
    security_layers,
    security_page,
    serverless_vs_traditional,
)
from quizzes.bank import bank_read
from serverless_lab.aws_numbers import citations, figure

pytestmark = pytest.mark.django_db

# Quiz questions link to /patterns/glossary/#<slug>: each of these must be an anchor.
GLOSSARY_SLUGS = (
    "lambda", "api-gateway", "dynamodb", "s3", "sqs", "sns", "eventbridge", "step-functions",
    "kinesis", "firehose", "cognito", "appsync", "aurora-serverless", "fargate", "cloudfront",
    "lambda-edge", "rds-proxy", "cloudwatch", "x-ray", "waf", "iam", "ec2", "elb", "rds",
    "elasticache",
)
# The patterns of issue 5: content may name these before their folders exist.
PLANNED_PATTERNS = {
    "rest-api", "event-processing", "async-queue", "scheduled-tasks", "streaming", "fan-out",
    "orchestration", "api-auth", "change-data-capture", "realtime-websocket",
}
CONTENT_FILES = ("glossary.yaml", "serverless_vs_traditional.yaml", "security_layers.yaml")
LAYERS_OUTERMOST_FIRST = ("waf", "api-gateway", "iam", "lambda", "vpc", "security-groups")
REFERENCE_PAGES = {"glossary", "compare", "security"}


def anchors(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', html))


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def fake_pattern(tmp_path: Path, slug: str, services=(), template="Resources: {}\n") -> Pattern:
    folder = tmp_path / slug
    folder.mkdir()
    (folder / "template.yaml").write_text(template)
    return Pattern(slug=slug, folder=folder, title=f"Pattern {slug}", summary="A summary.",
                   order=1, services=tuple(services),
                   content={"when": ["Spiky traffic."], "when_not": ["Long jobs."]},
                   scenarios={}, default_request={})


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)


# The three pages.

@pytest.mark.parametrize("name", ["glossary", "compare", "security"])
def test_each_page_renders_and_the_nav_reaches_glossary_and_compare(client, name):
    html = page(client, reverse(f"patterns:{name}"))
    assert html.count("<h1>") == 1
    assert 'href="/patterns/glossary/"' in html and 'href="/patterns/compare/"' in html


@pytest.mark.parametrize("name", ["glossary", "compare", "security"])
def test_pages_answer_get_only(client, name):
    assert client.post(reverse(f"patterns:{name}")).status_code == 405


def test_glossary_has_an_anchor_for_every_service_the_quizzes_link(client):
    found = anchors(page(client, reverse("patterns:glossary")))
    assert [slug for slug in GLOSSARY_SLUGS if slug not in found] == []


def test_glossary_entries_are_complete_and_their_references_exist():
    entries = glossary_entries()
    for entry in entries.values():
        assert entry.name and entry.what and entry.serverless and entry.choose, entry.slug
        assert entry.figures, f"{entry.slug}: no limits or prices"
        assert set(entry.neighbours) <= set(entries), entry.slug
        assert set(entry.patterns) <= PLANNED_PATTERNS, entry.slug


def test_glossary_links_patterns_that_exist_and_only_those(tmp_path):
    patterns = {"rest-api": fake_pattern(tmp_path, "rest-api", services=["lambda"]),
                "mine": fake_pattern(tmp_path, "mine", services=["kinesis"])}
    used_by = {item.entry.slug: [link.slug for link in item.used_by]
               for group in glossary_groups(patterns=patterns) for item in group.items}
    assert used_by["lambda"] == ["rest-api"]  # named by both; fan-out etc. do not exist here
    assert used_by["kinesis"] == ["mine"]  # listed in the pattern's own services
    assert used_by["sqs"] == [] and used_by["appsync"] == []


def test_glossary_page_links_every_existing_pattern_under_its_services(client):
    html = page(client, reverse("patterns:glossary"))
    linked = set(re.findall(r'href="/patterns/([a-z0-9-]+)/"', html)) - REFERENCE_PAGES
    assert linked <= set(catalog())
    for pattern in catalog().values():
        for service in set(pattern.services) & set(glossary_entries()):
            section = html.split(f'id="{service}"', 1)[1].split("</section>", 1)[0]
            assert f'href="/patterns/{pattern.slug}/"' in section, (service, pattern.slug)


# The comparison and serverless versus traditional.

def test_comparison_rows_come_from_the_patterns_own_content(tmp_path):
    patterns = {"mine": fake_pattern(tmp_path, "mine", services=["sqs", "made-up-service"])}
    [row] = comparison_rows(patterns=patterns)
    assert row.best_for == ["Spiky traffic."] and row.avoid_when == ["Long jobs."]
    assert [(s.name, s.in_glossary) for s in row.services] == [
        ("Amazon SQS", True), ("made-up-service", False)]


def test_compare_page_has_a_row_per_pattern_and_serverless_versus_traditional(client):
    html = page(client, reverse("patterns:compare"))
    found = anchors(html)
    for slug in catalog():
        assert f"compare-{slug}" in found
        assert f'href="/patterns/{slug}/"' in html
    for section in ("patterns", "serverless-vs-traditional", "serverless-fits", "containers-fit",
                    "break-even", "responsibility"):
        assert section in found
    assert figure("lambda.timeout_max").display in html  # long jobs, cited
    example = next(t.example for t in serverless_vs_traditional()[1] if t.example)
    assert f"${example.total:,.2f}" in html


def test_cost_example_is_the_arithmetic_of_the_price_table():
    example = cost_example(description="d", requests_per_second=10, duration_ms=200,
                           memory_mb=512, days=30, conclusion="c")
    requests = 10 * 86_400 * 30
    gb_seconds = requests * 0.2 * 0.5
    price = {ref: float(figure(ref).value) for ref in (
        "lambda.price_requests", "lambda.price_gb_second_x86",
        "api_gateway.price_rest_per_million")}
    amounts = [line.amount for line in example.lines]
    assert amounts == [round(requests / 1e6 * price["lambda.price_requests"], 2),
                       round(gb_seconds * price["lambda.price_gb_second_x86"], 2),
                       round(requests / 1e6 * price["api_gateway.price_rest_per_million"], 2)]
    assert example.total == round(sum(amounts), 2)
    assert example.concurrency == 2.0


def test_cost_example_refuses_traffic_past_the_first_price_tier():
    with pytest.raises(ValueError, match=EXAMPLE_OUTSIDE_FIRST_TIER):
        cost_example(description="d", requests_per_second=1_000, duration_ms=100,
                     memory_mb=128, days=30, conclusion="c")


# The security layers.

def test_security_page_shows_the_layers_outermost_first(client):
    html = page(client, reverse("patterns:security"))
    positions = [html.index(f'id="{layer}"') for layer in LAYERS_OUTERMOST_FIRST]
    assert positions == sorted(positions)
    assert [layer.id for layer in security_layers()[1]] == list(LAYERS_OUTERMOST_FIRST)
    linked = set(re.findall(r'href="/patterns/([a-z0-9-]+)/"', html)) - REFERENCE_PAGES
    assert linked <= set(catalog())


def test_security_uses_name_planned_patterns_and_existing_glossary_entries():
    for layer in security_layers()[1]:
        assert layer.protects_against and layer.controls, layer.id
        assert layer.glossary in glossary_entries(), layer.id
        assert {slug for slug, _ in layer.uses} <= PLANNED_PATTERNS, layer.id


def test_security_layers_show_only_existing_patterns_and_find_vpc_users(tmp_path):
    vpc_template = ("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
                    "    Properties:\n      VpcConfig:\n"
                    "        SecurityGroupIds: [sg-1]\n        SubnetIds: [s-1]\n")
    patterns = {"api-auth": fake_pattern(tmp_path, "api-auth"),
                "db-api": fake_pattern(tmp_path, "db-api", template=vpc_template)}
    views = {v.layer.id: [u.pattern.slug for u in v.uses]
             for v in security_page(patterns=patterns)}
    assert views["api-gateway"] == ["api-auth"]  # rest-api, async-queue... do not exist here
    assert views["vpc"] == ["db-api"] and views["security-groups"] == ["db-api"]
    assert views["waf"] == []


# Every figure cited, none written literally.

@pytest.mark.parametrize("name", CONTENT_FILES)
def test_every_figure_in_the_content_resolves(name):
    raw = yaml.safe_load((CONTENT_DIR / name).read_text())
    texts = list(strings(raw))
    refs = [ref for text in texts for ref in citations(text)]
    assert refs, f"{name} cites no figure"
    for ref in refs:
        figure(ref)  # raises UnknownFigure
    literal_prices = [t for t in texts if re.search(r"\$\d", t)]
    assert literal_prices == [], "cite prices as [[section.key]]"


def test_readers_cite_every_figure():
    for text in [e.what + e.serverless + e.choose + "".join(e.figures)
                 for e in glossary_entries().values()]:
        assert "[[" not in text
    intro, topics = serverless_vs_traditional()
    assert "[[" not in intro + "".join(p for t in topics for p in t.paragraphs + t.points)
    assert "[[" not in "".join(x for layer in security_layers()[1]
                               for x in layer.protects_against + layer.controls)


# The quiz bank's links: strict for every page that exists.

def test_every_quiz_link_resolves_to_a_page_and_anchor(client):
    pages: dict[str, str | None] = {}
    not_yet_in_catalog, broken = set(), []
    for question in bank_read():
        if not question.link:
            continue
        url = urlsplit(question.link)
        match = re.fullmatch(r"/patterns/([a-z0-9-]+)/", url.path)
        slug = match[1] if match else None
        if slug and slug not in REFERENCE_PAGES and slug not in catalog():
            not_yet_in_catalog.add(question.link)
            continue
        if url.path not in pages:
            response = client.get(url.path)
            pages[url.path] = response.content.decode() if response.status_code == 200 else None
        if pages[url.path] is None:
            broken.append(f"{question.id}: {question.link} does not answer")
        elif url.fragment and url.fragment not in anchors(pages[url.path]):
            broken.append(f"{question.id}: no #{url.fragment} on {url.path}")
    if not_yet_in_catalog:
        print("Quiz links to patterns not in the catalog yet:", *sorted(not_yet_in_catalog),
              sep="\n  ")
    assert broken == []
