"""The AWS CLI commands that would deploy a pattern to a real AWS account and fire its
triggers, generated from its template so they name its real resources and routes."""

import json

from serverless_lab.cloud.deploy.sam import SERVERLESS_FUNCTION, template_read

from .catalog import Pattern


def deploy_commands(pattern: Pattern) -> list[str]:
    stack = pattern.slug
    return [
        "sam build",
        f"sam deploy --stack-name {stack} --resolve-s3 --capabilities CAPABILITY_IAM",
        f"aws cloudformation describe-stacks --stack-name {stack} "
        "--query 'Stacks[0].Outputs'",
        f"sam logs --stack-name {stack} --tail",
        f"sam delete --stack-name {stack}",
    ]


def trigger_commands(pattern: Pattern) -> list[str]:
    """One command per event source in the template, with a placeholder where only the
    deployed stack knows the value (an API id, a physical name)."""
    template = template_read(pattern.folder)
    commands = []
    body = pattern.default_request.get("body") or "{}"
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != SERVERLESS_FUNCTION:
            continue
        commands.append(f"aws lambda invoke --function-name <{logical_id} physical name> "
                        "--payload file://event.json --cli-binary-format raw-in-base64-out "
                        "response.json")
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            command = _trigger(event, body)
            if command and command not in commands:
                commands.append(command)
    return commands


def _ref(value) -> str:
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"]
    return str(value)


def _trigger(event: dict, body: str) -> str | None:
    kind, properties = event.get("Type"), event.get("Properties", {})
    if kind == "Api":
        path = properties.get("Path", "/").replace("{", "<").replace("}", ">")
        method = properties.get("Method", "get").upper()
        data = f" -H 'Content-Type: application/json' -d '{body}'" if method in (
            "POST", "PUT", "PATCH") else ""
        return (f"curl -X {method} https://<api-id>.execute-api.<region>.amazonaws.com/Prod"
                f"{path}{data}")
    if kind == "HttpApi":
        path = properties.get("Path", "/").replace("{", "<").replace("}", ">")
        return f"curl https://<api-id>.execute-api.<region>.amazonaws.com{path}"
    if kind == "S3":
        rules = properties.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        prefix = next((r["Value"] for r in rules if r["Name"].lower() == "prefix"), "")
        suffix = next((r["Value"] for r in rules if r["Name"].lower() == "suffix"), ".txt")
        return f"aws s3 cp ./example{suffix} s3://<{_ref(properties.get('Bucket'))}>/{prefix}"
    if kind == "SQS":
        return (f"aws sqs send-message --queue-url <{_ref(properties.get('Queue'))} URL> "
                f"--message-body '{body}'")
    if kind == "SNS":
        return (f"aws sns publish --topic-arn <{_ref(properties.get('Topic'))} ARN> "
                f"--message '{body}'")
    if kind == "Kinesis":
        return (f"aws kinesis put-record --stream-name <{_ref(properties.get('Stream'))}> "
                "--partition-key example --data '" + body + "' "
                "--cli-binary-format raw-in-base64-out")
    if kind == "DynamoDB":
        return ("aws dynamodb put-item --table-name <table> --item "
                + json.dumps(json.dumps({"id": {"S": "example"}}))[1:-1].join("''"))
    if kind in ("Schedule", "ScheduleV2"):
        return ("aws events list-rules   # the schedule "
                f"{properties.get('Schedule') or properties.get('ScheduleExpression')} "
                "fires on its own")
    if kind in ("EventBridgeRule", "CloudWatchEvent"):
        return ("aws events put-events --entries "
                "'[{\"Source\": \"example\", \"DetailType\": \"example\", \"Detail\": \"{}\"}]'")
    return None


# What to look at in a learner's sandbox, per resource type: the AWS CLI command that shows
# what the pattern's handlers did there. `{id}` is the resource's physical id (a name, a URL
# or an ARN, as CloudFormation gives it).
INSPECT = {
    "AWS::DynamoDB::Table": "aws dynamodb scan --table-name {id}",
    "AWS::S3::Bucket": "aws s3 ls s3://{id} --recursive",
    "AWS::SQS::Queue": "aws sqs receive-message --queue-url {id} --max-number-of-messages 10",
    "AWS::SNS::Topic": "aws sns list-subscriptions-by-topic --topic-arn {id}",
    "AWS::Kinesis::Stream": "aws kinesis describe-stream-summary --stream-name {id}",
    "AWS::Lambda::Function": "aws logs tail /aws/lambda/{id}",
    "AWS::StepFunctions::StateMachine": "aws stepfunctions list-executions "
                                        "--state-machine-arn {id}",
    "AWS::Events::Rule": "aws events describe-rule --name {id}",
}
# SAM's resource types, as they land in the stack.
SAM_TYPES = {SERVERLESS_FUNCTION: "AWS::Lambda::Function",
             "AWS::Serverless::SimpleTable": "AWS::DynamoDB::Table",
             "AWS::Serverless::StateMachine": "AWS::StepFunctions::StateMachine"}


def sandbox_commands(pattern: Pattern, resources: dict[str, tuple[str, str]] | None
                     ) -> list[str]:
    """AWS CLI commands that inspect the pattern's resources in the learner's sandbox.
    `resources` (logical id -> (type, physical id)) comes from the deployed stack; without
    one (not run yet) each names its resource by a placeholder."""
    stack = pattern.slug
    if resources is None:
        template = template_read(pattern.folder)
        resources = {logical_id: (SAM_TYPES.get(r.get("Type"), r.get("Type")),
                                  f"<{logical_id} physical name>")
                     for logical_id, r in template["Resources"].items()}
    commands = [f"aws cloudformation describe-stack-resources --stack-name {stack}"]
    for _logical_id, (kind, physical_id) in sorted(resources.items()):
        if kind in INSPECT and physical_id:
            commands.append(INSPECT[kind].format(id=physical_id))
    return commands
