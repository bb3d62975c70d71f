"""Weighted aliases: an alias that splits its invocations between two versions (a canary).

moto stores an alias's RoutingConfig and does nothing with it: every invoke through the alias
runs its primary version, and any RoutingConfig is accepted. AWS (Lambda developer guide,
"Implement Lambda canary deployments using a weighted alias") sends each invocation to the
additional version with its weight's probability ("a simple probabilistic model": at low
traffic the split varies), names the version that ran in the START line and the
`X-Amz-Executed-Version` header, and lets an alias point to at most two versions, both
published (not `$LATEST`), with the same execution role. Every invoker that names the alias
(Invoke, API Gateway, event source mappings, event targets) reaches `routed`, in
LabCloud.invoke.

Provisioned concurrency on a weighted alias: its environments are initialised for the primary
version; an invocation routed to the additional version runs on demand (AWS's guide: configure
more provisioned concurrency while routing is active to avoid spillover invocations).
The guide's third rule (the same dead-letter queue) holds by construction here: the lab keeps a
function's DLQ per function, not per version. The error messages are the lab's wording.
"""

import functools
import random

from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError
from moto.awslambda.models import LambdaStorage, lambda_backends

TOO_MANY = "An alias can route to at most one additional version (AdditionalVersionWeights)."
NOT_A_VERSION = ("AdditionalVersionWeights names {version!r}: an alias routes only to published "
                 "versions (a number), not $LATEST.")
LATEST_PRIMARY = ("An alias with RoutingConfig must point to a published version, not $LATEST: "
                  "both versions of a weighted alias must be published.")
SAME_VERSION = "The additional version {version} is the alias's own version."
BAD_WEIGHT = "The weight of version {version} must be a number from 0.0 to 1.0, got {weight!r}."
OTHER_ROLE = ("Versions {primary} and {version} have different execution roles; both versions "
              "of a weighted alias must have the same role.")

ORIGINALS = {"put_alias": LambdaStorage.put_alias, "update_alias": LambdaStorage.update_alias}


def weights(routing_config) -> dict[str, float]:
    """{additional version: weight} of an alias's RoutingConfig (moto keeps the API's dict)."""
    return dict(((routing_config or {}).get("AdditionalVersionWeights") or {}).items())


def routed(fn, qualified_arn: str | None, *, draw=random.random):
    """The version an invocation through `qualified_arn` runs: fn (the alias's primary
    version), or the additional version with its weight's probability."""
    if not qualified_arn or fn.version == "$LATEST":
        return fn
    alias_name = qualified_arn.rsplit(":", 1)[1]
    if alias_name.isdigit():
        return fn  # invoked through a version, not an alias
    backend = lambda_backends[fn.account_id][fn.region]
    try:
        alias = backend.get_alias(alias_name, fn.function_name)
    except LambdaClientError:  # deleted since: the version resolved already runs
        return fn
    threshold = 0.0
    pick = draw()
    for version, weight in weights(alias.routing_config).items():
        threshold += float(weight)
        if pick < threshold:
            return backend.get_function(fn.function_name, str(version))
    return fn


def _check(storage: LambdaStorage, function_name: str, primary: str, routing_config) -> None:
    extra = weights(routing_config)
    if not extra:
        return
    if len(extra) > 1:
        raise InvalidParameterValueException(TOO_MANY)
    [(version, weight)] = extra.items()
    if not str(version).isdigit():
        raise InvalidParameterValueException(NOT_A_VERSION.format(version=version))
    if str(primary) == "$LATEST":
        raise InvalidParameterValueException(LATEST_PRIMARY)
    if str(version) == str(primary):
        raise InvalidParameterValueException(SAME_VERSION.format(version=version))
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
        raise InvalidParameterValueException(BAD_WEIGHT.format(version=version, weight=weight))
    # Unknown versions: moto's own ResourceNotFoundException, as AWS answers.
    first = storage.get_function_by_name_or_arn_with_qualifier(function_name, str(primary))
    second = storage.get_function_by_name_or_arn_with_qualifier(function_name, str(version))
    if first.role != second.role:
        raise InvalidParameterValueException(
            OTHER_ROLE.format(primary=primary, version=version))


@functools.wraps(ORIGINALS["put_alias"])
def _put_alias(self, name, function_name, function_version, description, routing_config):
    _check(self, function_name, function_version, routing_config)
    return ORIGINALS["put_alias"](self, name, function_name, function_version, description,
                                  routing_config)


@functools.wraps(ORIGINALS["update_alias"])
def _update_alias(self, name, function_name, function_version, description, routing_config):
    if routing_config is not None or function_version is not None:
        current = self.get_alias(name, function_name)
        _check(self, function_name, function_version or current.function_version,
               current.routing_config if routing_config is None else routing_config)
    return ORIGINALS["update_alias"](self, name, function_name, function_version, description,
                                     routing_config)


def install() -> None:
    """Check RoutingConfig on CreateAlias and UpdateAlias as AWS does (before anything is
    stored: a refused alias change leaves the alias as it was)."""
    LambdaStorage.put_alias = _put_alias
    LambdaStorage.update_alias = _update_alias
