"""cfn-lint's findings on a pattern's template, as a learner reads them beside it."""

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # error, warning, informational
    message: str
    line: int


@lru_cache(maxsize=64)
def template_findings(text: str) -> tuple[Finding, ...]:
    """Every finding for the template text (cached: linting takes about half a second)."""
    from cfnlint.api import ManualArgs, lint

    matches = lint(text, config=ManualArgs(regions=["us-east-1"]))
    return tuple(sorted((Finding(rule=m.rule.id, severity=getattr(m.rule, "severity", ""),
                                 message=m.message, line=m.linenumber) for m in matches),
                        key=lambda f: (f.line, f.rule)))
