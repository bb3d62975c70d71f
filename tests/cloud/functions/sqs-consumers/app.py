"""SQS consumers for the mapping tests. A message body is JSON: {"n": ..., "fail": ...} where
fail is "item" (always reported in batchItemFailures), "first" (reported on its first
receive only), "batch" (raises, failing the whole batch) or "batch-first" (raises on the
first receive only). Each processed message is printed, so the logs show the order."""

import json


def _fails(record: dict, body: dict) -> str | None:
    first = record["attributes"]["ApproximateReceiveCount"] == "1"
    fail = body.get("fail")
    if fail in ("item", "batch") or (fail in ("first", "batch-first") and first):
        return fail
    return None


def consume(event, context):
    failures = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        fail = _fails(record, body)
        if fail and fail.startswith("batch"):
            raise RuntimeError(f"cannot process message {body.get('n')}")
        if fail:
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        print(f"PROCESSED {body.get('n')}")
    return {"batchItemFailures": failures}


def consume_in_order(event, context):
    """FIFO practice: after a message of a group fails, report it and every later message of
    that group, so the group keeps its order; other groups go on."""
    failures, stopped = [], set()
    for record in event["Records"]:
        group = record["attributes"]["MessageGroupId"]
        body = json.loads(record["body"])
        if group in stopped or _fails(record, body):
            stopped.add(group)
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        print(f"PROCESSED {group}{body['n']}")
    return {"batchItemFailures": failures}
