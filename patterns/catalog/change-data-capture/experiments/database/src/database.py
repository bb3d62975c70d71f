"""Concurrent functions against a SIMULATED relational database with max_connections = 5.

The lab has no database engine: a DynamoDB item stands in for the database's count of open
connections. Connecting directly ("database") is refused beyond the limit, with PostgreSQL's
message; connecting through the simulated proxy ("proxy") waits for a pooled connection to be
free, as RDS Proxy queues a client until its ConnectionBorrowTimeout.
"""

import json
import os
import threading
import time
import uuid

import boto3
from botocore.config import Config

MAX_CONNECTIONS = 5
BORROW_TIMEOUT_SECONDS = 15  # the simulated proxy's; RDS Proxy's is configurable
table = boto3.resource("dynamodb").Table(os.environ.get("DB_TABLE", "unset"))
conditional = table.meta.client.exceptions.ConditionalCheckFailedException


class TooManyConnections(Exception):
    pass


def _connect(run: str) -> bool:
    try:
        table.update_item(Key={"id": f"{run}:open"}, UpdateExpression="ADD connections :one",
                          ConditionExpression="attribute_not_exists(connections) "
                                              "OR connections < :max",
                          ExpressionAttributeValues={":one": 1, ":max": MAX_CONNECTIONS})
        return True
    except conditional:
        return False


def _arrive_and_wait(run: str, workers: int) -> None:
    """Start together: every worker asks for its connection once all have started."""
    table.update_item(Key={"id": f"{run}:started"}, UpdateExpression="ADD workers :one",
                      ExpressionAttributeValues={":one": 1})
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        item = table.get_item(Key={"id": f"{run}:started"}, ConsistentRead=True)["Item"]
        if item["workers"] >= workers:
            return
        time.sleep(0.2)


def work(event, context):
    run, endpoint = event["run"], os.environ["DB_ENDPOINT"]
    _arrive_and_wait(run, int(event["workers"]))
    connected = _connect(run)
    deadline = time.monotonic() + BORROW_TIMEOUT_SECONDS
    while not connected and endpoint == "proxy" and time.monotonic() < deadline:
        time.sleep(0.2)  # the proxy holds the request until a pooled connection is free
        connected = _connect(run)
    if not connected:
        print(f"[simulated database] FATAL: sorry, too many clients already "
              f"(max_connections={MAX_CONNECTIONS})")
        raise TooManyConnections("FATAL: sorry, too many clients already")
    print(f"[simulated {endpoint}] connected; applying the change")
    time.sleep(2)  # the transaction
    table.update_item(Key={"id": f"{run}:open"}, UpdateExpression="ADD connections :minus",
                      ExpressionAttributeValues={":minus": -1})
    return {"applied": True}


lambda_client = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1},
                                                     max_pool_connections=16))


def drive(event, context):
    run, workers = uuid.uuid4().hex[:8], int(event.get("workers", 10))
    answers = []

    def call():
        answer = lambda_client.invoke(FunctionName=os.environ["WORKER"],
                                      Payload=json.dumps({"run": run, "workers": workers}))
        answers.append("FunctionError" not in answer)

    threads = [threading.Thread(target=call) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = {"applied": answers.count(True), "too_many_connections": answers.count(False)}
    print(json.dumps(result))
    return result
