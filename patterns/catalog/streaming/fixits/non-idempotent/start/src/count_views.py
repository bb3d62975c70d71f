"""PageViewStream -> views per page in DynamoDB.

Lambda's event source mapping reads the shard in order and invokes this function with a batch
of records: each has kinesis.data (the producer's JSON, base64-encoded), kinesis.partitionKey
and kinesis.sequenceNumber. A view is {"view_id": "v-...", "page": "/...", "session": "..."};
the producer gives every view its own view_id.
"""

import base64
import json
import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

dynamodb = boto3.client("dynamodb")
VIEWS_TABLE = os.environ["VIEWS_TABLE"]
COUNTED_TABLE = os.environ["COUNTED_TABLE"]


def handler(event, context):
    for record in event["Records"]:
        view = json.loads(base64.b64decode(record["kinesis"]["data"]))
        dynamodb.update_item(
            TableName=VIEWS_TABLE, Key={"page": {"S": view["page"]}},
            UpdateExpression="ADD view_count :one",
            ExpressionAttributeValues={":one": {"N": "1"}})
        logger.info("Counted view %s of %s", view["view_id"], view["page"])
    logger.info("Batch of %d records counted", len(event["Records"]))
