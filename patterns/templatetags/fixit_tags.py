"""The fix-it labs a pattern's page lists (patterns/fixit_list.html)."""

from django import template

from patterns.fixits import pattern_fixits

register = template.Library()


@register.simple_tag
def fixits_for(pattern) -> list[dict]:
    """Each fix-it with the first line of its story, as the list shows it."""
    if pattern is None:
        return []
    return [{"fixit": f, "lead": f.story.strip().splitlines()[0]}
            for f in pattern_fixits(pattern).values()]
