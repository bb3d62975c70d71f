"""The month a figure of content/aws_numbers.yaml was checked at its source, for templates that
show a figure's display form themselves (text cited with `[[section.key]]` already carries it).

    {% load aws_figures %}{{ charge.as_of|checked }}   ->  checked November 2026
"""

from django import template

from serverless_lab.aws_numbers import checked_month

register = template.Library()


@register.filter
def checked(as_of) -> str:
    """'2026-11' -> 'checked November 2026'; nothing for a value that is not a YYYY-MM month
    (the drift test in tests/test_aws_numbers.py keeps the table free of those)."""
    try:
        return checked_month(str(as_of))
    except ValueError:
        return ""
