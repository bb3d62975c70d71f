"""PageViewStream -> views per page in DynamoDB.

Lambda's event source mapping reads the shard in order and invokes this function with a batch
of records (kinesis.data is the producer's JSON, base64-encoded). A record that is not a JSON
view raises: the batch fails and Lambda retries it, as the mapping says.
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


def handler(event, context):
    for record in event["Records"]:
        view = json.loads(base64.b64decode(record["kinesis"]["data"]))
        dynamodb.update_item(
            TableName=VIEWS_TABLE, Key={"page": {"S": view["page"]}},
            UpdateExpression="ADD view_count :one",
            ExpressionAttributeValues={":one": {"N": "1"}})
        logger.info("Counted view %s of %s", view["view_id"], view["page"])
