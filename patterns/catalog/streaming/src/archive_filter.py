"""Firehose's transformation for the archive: keeps bots' page views out of it.

Amazon Data Firehose buffers the views it reads from PageViewStream and invokes this function
synchronously with each batch: {"invocationId", "sourceKinesisStreamArn", "deliveryStreamArn",
"region", "records": [{"recordId", "approximateArrivalTimestamp", "data" (base64),
"kinesisRecordMetadata"}]}. The answer must name every recordId once, each with a result:

- Ok: the record goes on to the archive, with the data returned (here unchanged);
- Dropped: the record is left out on purpose (a bot's view);
- ProcessingFailed: the record could not be read; Firehose writes it, with the reason, under
  the error output prefix (failed/processing-failed/...) in the archive bucket instead.

Raising would fail the whole batch: Firehose retries the invocation (NumberOfRetries) and
then writes every record of it under the error output prefix. So bad data is answered per record.
"""

import base64
import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    answer = []
    for record in event["records"]:
        result = "Ok"
        try:
            view = json.loads(base64.b64decode(record["data"]))
            if "bot" in str(view.get("agent", "")).lower():
                result = "Dropped"
        except (ValueError, AttributeError):
            logger.warning("Record %s is not a JSON view", record["recordId"])
            result = "ProcessingFailed"
        answer.append({"recordId": record["recordId"], "result": result,
                       "data": record["data"]})
    kept = sum(r["result"] == "Ok" for r in answer)
    logger.info("Archive filter: %d of %d views kept", kept, len(answer))
    return {"records": answer}
