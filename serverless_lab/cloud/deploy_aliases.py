"""AWS::Lambda::Alias, which moto's CloudFormation lacks, applied by the lab on deploy.

SAM's `AutoPublishAlias: live` becomes an AWS::Lambda::Version (moto publishes it) and an
AWS::Lambda::Alias on that version, with the function's `ProvisionedConcurrencyConfig`. The
lab takes the alias out of the template moto creates (a `Ref` to it becomes the alias ARN it
will have), then creates it with the Lambda API and puts its provisioned concurrency through
the lab's own Lambda API, waiting until it is READY, as CloudFormation does.
"""

import time

from .sam import TemplateError

ALIAS = "AWS::Lambda::Alias"
READY_TIMEOUT_SECONDS = 60


def take(template: dict) -> dict[str, dict]:
    """Remove the template's aliases (logical id -> properties) and point every Ref to one
    at the alias ARN it will have."""
    resources = template["Resources"]
    aliases = {logical_id: r.get("Properties", {}) for logical_id, r in resources.items()
               if r["Type"] == ALIAS}
    for logical_id in aliases:
        del resources[logical_id]
    arns = {logical_id: _arn_expression(p) for logical_id, p in aliases.items()}

    def rewrite(value):
        if isinstance(value, dict):
            if len(value) == 1 and value.get("Ref") in arns:
                return arns[value["Ref"]]
            return {k: rewrite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rewrite(v) for v in value]
        return value

    template["Resources"] = rewrite(resources)
    if "Outputs" in template:
        template["Outputs"] = rewrite(template["Outputs"])
    return aliases


def _arn_expression(properties: dict):
    function = properties.get("FunctionName")
    name = properties.get("Name", "")
    if isinstance(function, dict) and "Ref" in function:
        return {"Fn::Join": [":", [{"Fn::GetAtt": [function["Ref"], "Arn"]}, name]]}
    return {"Fn::Join": [":", ["arn:aws:lambda", {"Ref": "AWS::Region"},
                               {"Ref": "AWS::AccountId"}, "function", function, name]]}


def apply(sandbox, resources: dict, aliases: dict[str, dict], resolve) -> None:
    """Create each alias (on the version its FunctionVersion names: an AWS::Lambda::Version
    of the stack is the function's latest published one) and put its provisioned
    concurrency; `resolve` resolves Ref/GetAtt/Sub. The aliases join `resources`."""
    client = sandbox.client("lambda")
    for logical_id, properties in aliases.items():
        function = resolve(properties["FunctionName"])
        version = properties.get("FunctionVersion", "$LATEST")
        if isinstance(version, dict):
            versions = client.list_versions_by_function(FunctionName=function)["Versions"]
            version = versions[-1]["Version"]
        alias = client.create_alias(FunctionName=function, Name=properties["Name"],
                                    FunctionVersion=str(version),
                                    Description=properties.get("Description", ""))
        resources[logical_id] = {"type": ALIAS, "physical_id": alias["AliasArn"]}
        provisioned = properties.get("ProvisionedConcurrencyConfig")
        if provisioned:
            client.put_provisioned_concurrency_config(
                FunctionName=function, Qualifier=properties["Name"],
                ProvisionedConcurrentExecutions=int(
                    provisioned["ProvisionedConcurrentExecutions"]))
            _wait_ready(client, function, properties["Name"])


def _wait_ready(client, function: str, alias: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        config = client.get_provisioned_concurrency_config(FunctionName=function,
                                                           Qualifier=alias)
        if config["Status"] == "READY":
            return
        if config["Status"] == "FAILED" or time.monotonic() > deadline:
            reason = config.get("StatusReason", "not ready in time")
            raise TemplateError(f"provisioned concurrency of {function}:{alias} failed: "
                                f"{reason}")
        time.sleep(0.05)
