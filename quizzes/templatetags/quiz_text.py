import re

from django import template

register = template.Library()


@register.filter
def unwrap(text: str) -> str:
    """Join the lines an author wrapped in the YAML file; keep blank-line paragraph breaks."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)
