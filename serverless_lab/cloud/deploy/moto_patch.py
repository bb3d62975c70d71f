"""Where the lab changes moto's CloudFormation.

- `Stack.parse_template`: moto reads every template body with PyYAML's pure-Python
  loader, JSON included; for the JSON template each deploy sends (translated by the lab) that
  was a third of a deploy's time. A body that is a JSON object is read as JSON, as
  CloudFormation reads it; anything else goes to moto's own parser, unchanged
  (tests/cloud/deploy/test_prepared.py; the signature in tests/cloud/test_moto_contract.py's
  style is checked there too).
"""

import json

from moto.cloudformation.models import Stack

_moto_parse_template = Stack.parse_template


def parse_template(template: str) -> dict:
    if template.lstrip().startswith("{"):
        try:
            parsed = json.loads(template)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
    return _moto_parse_template(template)


def install() -> None:
    """Idempotent: moto's class is patched once per process."""
    Stack.parse_template = staticmethod(parse_template)
