"""Where the lab changes moto's CloudFormation.

- `Stack.parse_template`: moto reads every template body with PyYAML's pure-Python
  loader, JSON included; for the JSON template each deploy sends (translated by the lab) that
  was a third of a deploy's time. A body that is a JSON object is read as JSON, as
  CloudFormation reads it; anything else goes to moto's own parser, unchanged
  (tests/cloud/deploy/test_prepared.py; the signature in tests/cloud/test_moto_contract.py's
  style is checked there too).
- `parsing.parse_and_create_resource`, `CloudFormationBackend.create_stack`: a crash inside
  moto's CloudFormation (a KeyError, an AttributeError on a resource it half knows) became an
  HTML "500 Internal Server Error". Now the crash is a ValidationError naming the resource
  (`RESOURCE_CRASHED`, with its logical id and type), which the lab's deploy reads to leave
  that resource out and deploy the rest, and any other crash in CreateStack is a
  ValidationError saying where; another service's refusal (its JSON error inside CloudFormation's
  XML answer was unreadable) is a ValidationError naming the resource
  (tests/cloud/deploy/test_deploy_shapes.py).
- `LambdaFunction.create_from_cloudformation_json`: moto's CloudFormation leaves out a
  function's Layers; the lab keeps those of layers the sandbox has (the runtime mounts them at
  /opt). An ARN of AWS's public layers (Powertools) is not there: its packages are built into
  the function's code instead (sam.py PUBLIC_LAYERS).
"""

import json
import re

from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.core.exceptions import ServiceException
from werkzeug.exceptions import HTTPException

_moto_parse_template = Stack.parse_template
_moto_parse_and_create_resource = parsing.parse_and_create_resource
_moto_create_stack = CloudFormationBackend.create_stack
_moto_function_from_cloudformation = LambdaFunction.create_from_cloudformation_json.__func__
KNOWN_ERRORS = (ServiceException, HTTPException)
RESOURCE_CRASHED = "the lab's AWS emulator (moto) failed creating {logical_id} ({kind}): {error}"
CRASHED = re.compile(r"the lab's AWS emulator \(moto\) failed creating (\S+) \(([^)]*)\): (.*)")


def parse_and_create_resource(logical_id, resource_json, *args, **kwargs):
    kind = resource_json.get("Type", "?") if isinstance(resource_json, dict) else "?"
    try:
        return _moto_parse_and_create_resource(logical_id, resource_json, *args, **kwargs)
    except CloudFormationError:
        raise
    except KNOWN_ERRORS as e:  # another service refused it (its error, in CloudFormation's form)
        code = getattr(e, "error_type", None) or getattr(e, "code", None)
        code = code if isinstance(code, str) else type(e).__name__
        message = getattr(e, "message", None) or getattr(e, "description", None) or str(e)
        raise ValidationError(message=f"{logical_id} ({kind}): {code}: {message}") from None
    except Exception as e:  # noqa: BLE001 - any crash: named, never a 500
        raise ValidationError(message=RESOURCE_CRASHED.format(
            logical_id=logical_id, kind=kind, error=f"{type(e).__name__}: {e}")) from None


def create_stack(self, name, template, *args, **kwargs):
    try:
        return _moto_create_stack(self, name, template, *args, **kwargs)
    except KNOWN_ERRORS:
        raise
    except Exception as e:  # noqa: BLE001 - any crash: named, never a 500
        raise ValidationError(message=f"the lab's AWS emulator (moto) could not create stack "
                                      f"{name}: {type(e).__name__}: {e}") from None


def parse_template(template: str) -> dict:
    if template.lstrip().startswith("{"):
        try:
            parsed = json.loads(template)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
    return _moto_parse_template(template)


def function_from_cloudformation(cls, resource_name, cloudformation_json, account_id,
                                 region_name, **kwargs):
    fn = _moto_function_from_cloudformation(cls, resource_name, cloudformation_json, account_id,
                                            region_name, **kwargs)
    backend = lambda_backends[account_id][region_name]
    # A Ref to a LayerVersion of the stack is the LayerVersion itself in moto's resolution.
    arns = [getattr(layer, "arn", layer)
            for layer in cloudformation_json.get("Properties", {}).get("Layers") or []]
    fn.layers = [{"Arn": version.arn, "CodeSize": version.code_size} for arn in arns
                 if isinstance(arn, str)
                 and (version := backend.layers_versions_by_arn(arn)) is not None]
    return fn


def install() -> None:
    """Idempotent: moto's class is patched once per process."""
    Stack.parse_template = staticmethod(parse_template)
    parsing.parse_and_create_resource = parse_and_create_resource
    CloudFormationBackend.create_stack = create_stack
    LambdaFunction.create_from_cloudformation_json = classmethod(function_from_cloudformation)
