"""Firehose transformation functions: each answers with AWS's status model."""

import base64


def transform(event, context):
    """Upper-cases each line and ends it with a newline; drops bots; fails what says bad."""
    print(f"{len(event['records'])} records from {event['deliveryStreamArn']}")
    answer = []
    for record in event["records"]:
        text = base64.b64decode(record["data"]).decode()
        if text.startswith("bot"):
            answer.append({"recordId": record["recordId"], "result": "Dropped",
                           "data": record["data"]})
        elif text.startswith("bad"):
            answer.append({"recordId": record["recordId"], "result": "ProcessingFailed",
                           "data": record["data"]})
        else:
            data = base64.b64encode(text.upper().encode() + b"\n").decode()
            answer.append({"recordId": record["recordId"], "result": "Ok", "data": data})
    return {"records": answer}


def broken(event, context):
    raise RuntimeError("the transformation is broken")


def forgetful(event, context):
    """Answers for every record but the first: Firehose fails the whole batch."""
    return {"records": [{"recordId": r["recordId"], "result": "Ok", "data": r["data"]}
                        for r in event["records"][1:]]}
