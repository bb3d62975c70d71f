"""AWS::Lambda::Alias, which moto's CloudFormation lacks, created in the stack by the lab.

SAM's `AutoPublishAlias: live` becomes an AWS::Lambda::Version (moto publishes it) and an
AWS::Lambda::Alias on that version, with the function's `ProvisionedConcurrencyConfig`; SAM
then points the function's event sources at the alias (an API's integration URI, an event
source mapping's FunctionName, an SNS subscription's endpoint, an EventBridge target). The lab
gives moto's CloudFormation an Alias model, so the alias is created in the stack's dependency
order, before what names it (moto's CreateEventSourceMapping refuses an alias that does not
exist yet), and a `Ref` to it is its ARN, as on AWS. The provisioned concurrency is taken out
and put through the lab's own Lambda API once the stack exists, waiting until it is READY, as
CloudFormation does.

A permission SAM grants on the alias (an EventBridge rule's or an S3 bucket's right to invoke
it) names the alias ARN; moto's CloudFormation files it with the unqualified function as its
Resource, which would let nothing invoke the alias. The lab scopes it to what FunctionName
names, as Lambda does (`permission_scoped`, contract-tested).
"""

import time

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import Permission, lambda_backends
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.core.common_models import CloudFormationModel

from .sam import TemplateError

ALIAS = "AWS::Lambda::Alias"
READY_TIMEOUT_SECONDS = 60


class StackAlias(CloudFormationModel):
    """An alias moto's CloudFormation creates (and deletes with its stack)."""

    def __init__(self, *, arn: str, name: str, function_name: str):
        self.arn, self.name, self.function_name = arn, name, function_name

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return ALIAS

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "AliasArn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "AliasArn":
            return self.arn
        return super().get_cfn_attribute(attribute_name)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        backend = lambda_backends[account_id][region_name]
        function = properties["FunctionName"]
        version = properties.get("FunctionVersion", "$LATEST")
        if hasattr(version, "version"):  # moto's AWS::Lambda::Version of the stack (`take`)
            version = version.version
        try:
            alias = backend.create_alias(name=properties["Name"], function_name=function,
                                         function_version=str(version),
                                         description=properties.get("Description", ""),
                                         routing_config=_routing(properties))
        except LambdaClientError as e:
            # CloudFormation's answer (the stack fails), not the Lambda API's error document.
            raise ValidationError(message=f"alias {properties['Name']} (AWS::Lambda::Alias): "
                                          f"{e.message}") from None
        return cls(arn=alias.arn, name=alias.name, function_name=function)

    def delete(self, account_id: str, region_name: str) -> None:
        try:
            lambda_backends[account_id][region_name].delete_alias(self.name, self.function_name)
        except LambdaClientError:
            pass  # its function went first: so did the alias


ORIGINAL_PERMISSION_CREATE = Permission.create_from_cloudformation_json.__func__


def _qualified_arn(function_name: str, unqualified_arn: str) -> str | None:
    """The ARN of the version or alias `function_name` names (None if it names neither)."""
    parts = function_name.split(":")
    if function_name.startswith("arn:"):
        return function_name if len(parts) == 8 else None
    return f"{unqualified_arn}:{parts[-1]}" if len(parts) == 2 else None


@classmethod
def permission_scoped(cls, resource_name, cloudformation_json, account_id, region_name,
                      **kwargs):
    permission = ORIGINAL_PERMISSION_CREATE(cls, resource_name, cloudformation_json,
                                            account_id, region_name, **kwargs)
    properties = cloudformation_json["Properties"]
    statement = lambda_backends[account_id][region_name].get_function(
        properties["FunctionName"]).policy.statements[-1]
    if qualified := _qualified_arn(properties["FunctionName"], statement["Resource"]):
        statement["Resource"] = qualified
    statement.pop("FunctionName", None)  # moto copies the properties; AWS's has no such key
    return permission


Permission.create_from_cloudformation_json = permission_scoped

# moto lists its CloudFormation models once (cached); list them again with this one.
parsing.get_model_list.cache_clear()
parsing.get_model_map.cache_clear()
parsing.get_name_type_map.cache_clear()


def take(template: dict) -> dict[str, dict]:
    """Take the provisioned concurrency out of the template's aliases (moto would not know
    it): logical id -> the alias's properties, with its ProvisionedConcurrencyConfig."""
    taken = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == ALIAS:
            properties = resource.setdefault("Properties", {})
            version = properties.get("FunctionVersion")
            if isinstance(version, dict) and "Fn::GetAtt" in version:
                # moto's AWS::Lambda::Version has no attributes; a Ref gives its model.
                target = version["Fn::GetAtt"]
                properties["FunctionVersion"] = {
                    "Ref": target[0] if isinstance(target, list) else target.split(".")[0]}
            taken[logical_id] = {**properties, "ProvisionedConcurrencyConfig":
                                 properties.pop("ProvisionedConcurrencyConfig", None)}
    return taken


def apply(sandbox, resources: dict, aliases: dict[str, dict], resolve) -> None:
    """Put each alias's provisioned concurrency and wait until it is READY; `resolve`
    resolves Ref/GetAtt/Sub. The aliases themselves are in the stack (`resources`)."""
    for logical_id, properties in aliases.items():
        provisioned = properties.get("ProvisionedConcurrencyConfig")
        if not provisioned or logical_id not in resources:
            continue
        client = sandbox.client("lambda")
        function = resolve(properties["FunctionName"])
        client.put_provisioned_concurrency_config(
            FunctionName=function, Qualifier=properties["Name"],
            ProvisionedConcurrentExecutions=int(provisioned["ProvisionedConcurrentExecutions"]))
        _wait_ready(client, function, properties["Name"])


def _wait_ready(client, function: str, alias: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    pause = 0.005  # environments run Init in tens of milliseconds: look soon, then less often
    while True:
        config = client.get_provisioned_concurrency_config(FunctionName=function,
                                                           Qualifier=alias)
        if config["Status"] == "READY":
            return
        if config["Status"] == "FAILED" or time.monotonic() > deadline:
            reason = config.get("StatusReason", "not ready in time")
            raise TemplateError(f"provisioned concurrency of {function}:{alias} failed: "
                                f"{reason}")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _routing(properties: dict) -> dict | None:
    """CloudFormation's RoutingConfig (a list of FunctionVersion/FunctionWeight) in the API's
    shape, which moto keeps: {"AdditionalVersionWeights": {version: weight}}."""
    listed = (properties.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or []
    if not listed:
        return None
    return {"AdditionalVersionWeights": {
        str(getattr(w["FunctionVersion"], "version", w["FunctionVersion"])):
            float(w["FunctionWeight"]) for w in listed}}
