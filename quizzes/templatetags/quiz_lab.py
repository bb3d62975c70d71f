"""Between the question bank and the lab (issue 16): a question's "Try it in the lab" links,
and the number of questions tied to an experiment or fix-it for its "Test yourself" link."""

from dataclasses import dataclass

from django import template
from django.urls import NoReverseMatch, reverse

from ..lab_links import LabLink, lab_link_title
from ..models import Question
from ..practice import Topic

register = template.Library()


@dataclass(frozen=True)
class LabTarget:
    url: str
    title: str
    kind: str  # "experiment" or "fix-it", as the page says it


def lab_link_url(link: LabLink) -> str:
    """The experiment's block on its pattern page, or the fix-it's own page."""
    if link.kind == "experiment":
        return reverse("patterns:detail", args=[link.pattern]) + f"#experiment-{link.slug}"
    try:
        return reverse("patterns:fixit", args=[link.pattern, link.slug])
    except NoReverseMatch:  # the fix-it pages' routes are not installed
        return f"/patterns/{link.pattern}/fix/{link.slug}/"


@register.simple_tag
def lab_target(key: str) -> LabTarget | None:
    """The experiment or fix-it one link key names (None for a malformed key: an admin's typo
    costs a link, not the page)."""
    try:
        link = LabLink.parse(key)
    except ValueError:
        return None
    return LabTarget(url=lab_link_url(link), title=lab_link_title(key),
                     kind="fix-it" if link.kind == "fixit" else "experiment")


@register.simple_tag
def lab_targets(question) -> list[LabTarget]:
    """Where in the lab a question's subject can be tried (none for an untied question)."""
    return [t for key in question.tags("labs") if (t := lab_target(key))]


@register.simple_tag
def lab_practice(pattern: str, kind: str, slug: str) -> dict:
    """The practice URL for the public questions tied to one experiment or fix-it, and how
    many there are (`count` 0: the page shows no link)."""
    key = LabLink(pattern=pattern, kind=kind, slug=slug).key
    count = Question.objects.tagged(field="labs", value=key).count()
    return {"url": reverse("quizzes:practice") + "?" + Topic(lab=key).query, "count": count}
