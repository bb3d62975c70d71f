"""DynamoDB Streams (OrdersTable, NEW_AND_OLD_IMAGES) -> one audit log entry per change, and a
per-customer projection of order count and total.

Lambda reads the stream in order per shard and invokes this function with batches of records;
a batch that fails is retried, so a record can arrive more than once. Each record is applied
in one transaction: the audit entry is written only if that record (its eventID) has not been
audited yet, and the projection update commits with it or not at all. A record delivered a
second time therefore changes nothing.
"""

import logging
import os
from datetime import UTC, datetime

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

dynamodb = boto3.client("dynamodb")
AUDIT_TABLE = os.environ["AUDIT_TABLE"]
TOTALS_TABLE = os.environ["TOTALS_TABLE"]
# Who deletes an item whose time to live has passed; application writes carry no userIdentity.
TTL_DELETER = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def handler(event, context):
    for record in event["Records"]:
        try:
            apply(record)
        except Exception:
            logger.exception("Could not apply record %s", record["eventID"])
            # Records of a shard must be applied in order: report this one as the first
            # failure, and Lambda retries the batch from it (ReportBatchItemFailures).
            return {"batchItemFailures": [
                {"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}


def apply(record: dict) -> None:
    change = record["dynamodb"]
    old, new = change.get("OldImage"), change.get("NewImage")
    order_id = change["Keys"]["order_id"]["S"]
    changed_at = datetime.fromtimestamp(change["ApproximateCreationDateTime"], UTC)
    audit = {
        "order_id": {"S": order_id},
        "event_id": {"S": record["eventID"]},
        "event_name": {"S": record["eventName"]},  # INSERT, MODIFY or REMOVE
        "sequence_number": {"S": change["SequenceNumber"]},
        "changed_at": {"S": changed_at.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "changed_by": {"S": "ttl" if record.get("userIdentity") == TTL_DELETER else "application"},
    }
    if old:
        audit["old_image"] = {"M": old}
    if new:
        audit["new_image"] = {"M": new}
    writes = [{"Put": {"TableName": AUDIT_TABLE, "Item": audit,
                       "ConditionExpression": "attribute_not_exists(event_id)"}}]
    for customer, (orders, cents) in projection_deltas(old, new).items():
        writes.append({"Update": {
            "TableName": TOTALS_TABLE,
            "Key": {"customer_id": {"S": customer}},
            "UpdateExpression": "ADD order_count :orders, total_cents :cents "
                                "SET last_change = :event",
            "ExpressionAttributeValues": {":orders": {"N": str(orders)},
                                          ":cents": {"N": str(cents)},
                                          ":event": {"S": record["eventID"]}}}})
    try:
        dynamodb.transact_write_items(TransactItems=writes)
    except ClientError as e:
        reasons = e.response.get("CancellationReasons") or [{}]
        if reasons[0].get("Code") == "ConditionalCheckFailed":
            logger.info("Skipped %s of %s: record %s was already applied (duplicate delivery)",
                        record["eventName"], order_id, record["eventID"])
            return
        raise
    logger.info("Applied %s of %s: record %s, %d projection update(s)",
                record["eventName"], order_id, record["eventID"], len(writes) - 1)


def projection_deltas(old: dict | None, new: dict | None) -> dict[str, tuple[int, int]]:
    """{customer_id: (orders, cents)} to add: the old image is taken away, the new one added.
    A MODIFY that moves an order to another customer changes two customers."""
    deltas: dict[str, tuple[int, int]] = {}
    for image, sign in ((old, -1), (new, 1)):
        if not image or "customer_id" not in image:
            continue
        customer = image["customer_id"]["S"]
        orders, cents = deltas.get(customer, (0, 0))
        amount = int(image.get("amount_cents", {"N": "0"})["N"])
        deltas[customer] = (orders + sign, cents + sign * amount)
    return {customer: delta for customer, delta in deltas.items() if delta != (0, 0)}
