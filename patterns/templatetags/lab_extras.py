import json
from functools import lru_cache

from django import template
from django.utils.safestring import mark_safe
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_for_filename

register = template.Library()


@register.filter
def highlight(text: str, filename: str) -> str:
    """Source code as highlighted HTML (Pygments escapes it)."""
    return mark_safe(_highlighted(text, filename))


@lru_cache(maxsize=256)
def _highlighted(text: str, filename: str) -> str:
    """Once per source text: a pattern's files are the same for every learner (highlighting
    them was a third of a pattern page's time, issue 13)."""
    lexer = get_lexer_for_filename(filename, stripall=False)
    return pygments_highlight(text, lexer, HtmlFormatter(nowrap=False))


@register.filter
def pretty_json(value) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return value
    return json.dumps(value, indent=2, sort_keys=False, default=str)


@register.filter
def anchor(section: str) -> str:
    return section.replace("_", "-")
