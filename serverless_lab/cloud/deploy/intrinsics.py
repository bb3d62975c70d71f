"""CloudFormation's intrinsics where the lab applies a template's parts itself: Ref,
Fn::GetAtt and Fn::Sub resolved against what the stack created (moto's CloudFormation
resolves its own; these are for the parts it skips, such as a RestApi's Body)."""

import re

from .sam import TemplateError


def resolve_all(value, variables: dict[str, str]):
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in (
            "Ref", "Fn::GetAtt", "Fn::Sub"):
        return resolve(value, variables)
    if isinstance(value, dict):
        return {k: resolve_all(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_all(v, variables) for v in value]
    return value


def substitutions(sandbox, deployment) -> dict[str, str]:
    variables = {"AWS::Region": sandbox.region, "AWS::AccountId": sandbox.account_id,
                 "AWS::Partition": "aws", "AWS::StackName": deployment.stack_name}
    for logical_id, resource in deployment.resources.items():
        variables[logical_id] = resource["physical_id"]
        arn = resource_arn(resource["type"], resource["physical_id"], region=sandbox.region,
                           account_id=sandbox.account_id)
        if arn:
            variables[f"{logical_id}.Arn"] = arn
        # an SQS integration's uri names the queue
        if resource["type"] == "AWS::SQS::Queue" and isinstance(resource["physical_id"], str):
            variables[f"{logical_id}.QueueName"] = resource["physical_id"].rsplit("/", 1)[-1]
    return variables


def resource_arn(kind: str, physical_id: str, *, region: str, account_id: str) -> str | None:
    """Fn::GetAtt X.Arn from a resource's physical id, for the kinds the patterns use."""
    if not isinstance(physical_id, str):  # e.g. a part the lab made from an unresolved value
        return None
    where = f"{region}:{account_id}"
    return {
        "AWS::Lambda::Function": f"arn:aws:lambda:{where}:function:{physical_id}",
        "AWS::SQS::Queue": f"arn:aws:sqs:{where}:{physical_id.rsplit('/', 1)[-1]}",
        "AWS::SNS::Topic": physical_id,
        "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{where}:table/{physical_id}",
        "AWS::S3::Bucket": f"arn:aws:s3:::{physical_id}",
        "AWS::Kinesis::Stream": f"arn:aws:kinesis:{where}:stream/{physical_id}",
        "AWS::StepFunctions::StateMachine": physical_id,
        "AWS::IAM::Role": f"arn:aws:iam::{account_id}:role/{physical_id}",
        "AWS::KinesisFirehose::DeliveryStream":
            f"arn:aws:firehose:{where}:deliverystream/{physical_id}",
    }.get(kind)


def resolve(value, variables: dict[str, str]) -> str:
    """Ref / Fn::Sub / Fn::GetAtt ...Arn, the intrinsics SAM writes into a RestApi Body."""
    if isinstance(value, str):
        return value
    if "Fn::Sub" in value:
        text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        return re.sub(r"\$\{([^}]+)\}", lambda m: variables.get(m[1], m[0]), text)
    if "Ref" in value:
        return variables.get(value["Ref"], "")
    if "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return variables.get(".".join(target) if isinstance(target, list) else target, "")
    raise TemplateError(f"cannot resolve {value!r} in a RestApi Body")
