"""Test handlers: what the runtime must report about a function, from inside one."""

import json
import logging
import os
import time

logger = logging.getLogger()
logger.setLevel(logging.INFO)
LOADED_AT = time.time()  # module-level code: runs once per execution environment
MALFORMED = {"string": "just a string", "no-status": {"body": "no status"},
             "object-body": {"statusCode": 200, "body": {"not": "a string"}}}


def handler(event, context):
    print("event received")
    logger.info("request %s", context.aws_request_id)
    if event.get("raise"):
        raise ValueError(event["raise"])
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {
        "environment": dict(os.environ),
        "loaded_at": LOADED_AT,
        "context": {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
        "cwd": os.getcwd(),
        "event": event,
    }


def proxy(event, context):
    """An API Gateway proxy handler that echoes what it was given (under /malformed/{kind},
    an answer API Gateway cannot read: a 502)."""
    if event.get("resource") == "/malformed/{kind}":
        return MALFORMED[event["pathParameters"]["kind"]]
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(event)}

