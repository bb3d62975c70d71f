"""Three customers at once on an API function, with or without environments ready for them."""

import json
import os
import threading
import time

import boto3
from botocore.config import Config

# Init: what a real function does once per execution environment (a client, a price list).
PRICES = {f"sku-{n}": n * 1.25 for n in range(10_000)}
print(f"Init: {os.environ.get('AWS_LAMBDA_INITIALIZATION_TYPE')}, {len(PRICES)} prices loaded")

lambda_client = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1},
                                                     max_pool_connections=8))


def api(event, context):
    time.sleep(1)  # the request's work: three at once need three environments
    return {"initialization_type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"],
            "price": PRICES["sku-42"]}


def _provisioned_ready(function: str) -> str:
    """Wait (up to 30 s) for the alias's provisioned concurrency: READY, or None if there
    is none."""
    deadline = time.monotonic() + 30
    while True:
        try:
            status = lambda_client.get_provisioned_concurrency_config(
                FunctionName=function, Qualifier="live")["Status"]
        except lambda_client.exceptions.ProvisionedConcurrencyConfigNotFoundException:
            return "none"
        if status != "IN_PROGRESS" or time.monotonic() > deadline:
            return status
        time.sleep(0.5)


def drive(event, context):
    function = os.environ["API_FUNCTION"]
    status = _provisioned_ready(function)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(json.loads(
        lambda_client.invoke(FunctionName=function, Qualifier="live")["Payload"].read())))
        for _ in range(int(event.get("customers", 3)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kinds = [a["initialization_type"] for a in answers]
    result = {"provisioned_status": status, "on_demand": kinds.count("on-demand"),
              "provisioned": kinds.count("provisioned-concurrency")}
    print(json.dumps(result))
    return result
