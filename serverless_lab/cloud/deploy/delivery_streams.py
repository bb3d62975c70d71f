"""Deploying AWS::KinesisFirehose::DeliveryStream, which moto's CloudFormation cannot create.

Before the stack is created, each delivery stream is taken out of the template and given its
name (its DeliveryStreamName, or `<stack>-<LogicalId>-<suffix>` as CloudFormation names it);
references to it (Ref is the name, Fn::GetAtt .Arn the ARN) are written in. The names are
listed on the stack (tag `lab:delivery-streams`), so a later describe finds them and a redeploy
or a failed deploy deletes them. Once the stack exists (its bucket, role and Kinesis stream),
the lab creates the delivery streams through Firehose's API in the learner's account, so
Firehose's own checks apply (firehose/config.py); a refusal fails the deploy with AWS's error,
and the deploy's rollback deletes everything.
"""

import json
import random
import string

from botocore.exceptions import BotoCoreError, ClientError

from .apis import references_apply, resolve
from .sam import TemplateError

DELIVERY_STREAM = "AWS::KinesisFirehose::DeliveryStream"
MADE_TAG = "lab:delivery-streams"
# CloudFormation properties that are CreateDeliveryStream parameters of the same name.
API_PARAMETERS = ("DeliveryStreamType", "KinesisStreamSourceConfiguration",
                  "DeliveryStreamEncryptionConfigurationInput", "S3DestinationConfiguration",
                  "ExtendedS3DestinationConfiguration", "RedshiftDestinationConfiguration",
                  "ElasticsearchDestinationConfiguration",
                  "AmazonopensearchserviceDestinationConfiguration",
                  "SplunkDestinationConfiguration", "HttpEndpointDestinationConfiguration",
                  "SnowflakeDestinationConfiguration", "IcebergDestinationConfiguration",
                  "Tags")
MAX_NAME = 64


def take(template: dict, stack_name: str, *, region: str, account_id: str) -> dict:
    """Take the delivery streams out of the template and write their names and ARNs where
    it refers to them. Returns {logical id: {type, physical_id, properties}}."""
    taken = {}
    for logical_id in [k for k, r in template["Resources"].items()
                       if r.get("Type") == DELIVERY_STREAM]:
        properties = template["Resources"].pop(logical_id).get("Properties", {})
        name = properties.get("DeliveryStreamName") or _generated_name(stack_name, logical_id)
        taken[logical_id] = {"type": DELIVERY_STREAM, "physical_id": name,
                             "properties": properties}
    references = {}
    for logical_id, entry in taken.items():
        references[logical_id] = entry["physical_id"]
        references[f"{logical_id}.Arn"] = (f"arn:aws:firehose:{region}:{account_id}:"
                                           f"deliverystream/{entry['physical_id']}")
    if references:
        references_apply(template, taken, references)
    return taken


def _generated_name(stack_name: str, logical_id: str) -> str:
    suffix = "".join(random.choices(string.ascii_uppercase + string.digits, k=12))
    head = f"{stack_name}-{logical_id}"[:MAX_NAME - len(suffix) - 1]
    return f"{head}-{suffix}"


def create(sandbox, taken: dict, variables: dict[str, str]) -> None:
    """Create the delivery streams, their references to the stack's resources resolved."""
    firehose = sandbox.client("firehose")
    for logical_id, entry in taken.items():
        properties = resolve(entry["properties"], variables)
        parameters = {k: properties[k] for k in API_PARAMETERS if k in properties}
        try:
            firehose.create_delivery_stream(DeliveryStreamName=entry["physical_id"],
                                            **parameters)
        except (ClientError, BotoCoreError) as e:
            raise TemplateError(f"{logical_id} ({DELIVERY_STREAM}): {e}") from None


def stack_tags(taken: dict) -> list[dict]:
    listed = {k: v["physical_id"] for k, v in taken.items()}
    return [{"Key": MADE_TAG, "Value": json.dumps(listed, separators=(",", ":"))}] \
        if taken else []


def made_resources(stack: dict | None) -> dict[str, dict]:
    """{logical id: {type, physical_id}} of the stack's delivery streams (from its tag)."""
    tag = next((t["Value"] for t in (stack or {}).get("Tags", []) if t["Key"] == MADE_TAG),
               None)
    return {k: {"type": DELIVERY_STREAM, "physical_id": v}
            for k, v in (json.loads(tag) if tag else {}).items()}


def made_delete(sandbox, made: dict) -> None:
    """Delete the delivery streams, quietly: some may not have been created."""
    firehose = sandbox.client("firehose")
    for entry in made.values():
        try:
            firehose.delete_delivery_stream(DeliveryStreamName=entry["physical_id"])
        except (ClientError, BotoCoreError):
            pass
