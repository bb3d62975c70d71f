"""A burst of batch jobs next to a critical function, in one account's concurrency."""

import json
import os
import threading
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# No SDK retries: each call's first answer is what the experiment counts.
lambda_client = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1},
                                                     max_pool_connections=32))
table = boto3.resource("dynamodb").Table(os.environ["STARTED_TABLE"])


def batch_job(event, context):
    table.update_item(Key={"run": event["run"]}, UpdateExpression="ADD started :one",
                      ExpressionAttributeValues={":one": 1})
    time.sleep(3)  # the job's work: it holds its execution environment meanwhile
    return {"done": True}


def checkout(event, context):
    return {"served": True}


def _call(function_name: str, payload: dict) -> str:
    try:
        lambda_client.invoke(FunctionName=function_name, Payload=json.dumps(payload))
        return "served"
    except ClientError as e:
        if e.response["Error"]["Code"] == "TooManyRequestsException":
            print(f"throttled: {function_name}: {e.response.get('Reason', '')}")
            return "throttled"
        raise


def drive(event, context):
    jobs, run = int(event.get("jobs", 12)), context.aws_request_id
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(
        _call(os.environ["BATCH_JOB"], {"run": run}))) for _ in range(jobs)]
    for thread in threads:
        thread.start()
    # Call checkout once every job has either started (and holds an environment for its
    # 3 seconds) or been throttled.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        item = table.get_item(Key={"run": run}, ConsistentRead=True).get("Item") or {}
        if int(item.get("started", 0)) + outcomes.count("throttled") >= jobs:
            break
        time.sleep(0.2)
    critical = _call(os.environ["CHECKOUT"], {"order": "o-1"})
    for thread in threads:
        thread.join()
    result = {"critical": critical, "batch_jobs_ran": outcomes.count("served"),
              "batch_jobs_throttled": outcomes.count("throttled")}
    print(json.dumps(result))
    return result
