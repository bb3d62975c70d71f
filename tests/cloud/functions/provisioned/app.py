"""A handler whose Init says which kind of environment ran it."""

import os
import time

print(f"Init: {os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']}")


def handler(event, context):
    if "gate" in event:  # wait until the test's other invocations have started too
        _gate(event["gate"], context)
    time.sleep(event.get("sleep", 0))
    return {"initialization_type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"],
            "version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn}


def _gate(gate: dict, context) -> None:
    """Wait at the test's gate (tests/cloud/conftest.py `gate`): leave a started marker, then
    wait until the test opens it or `parties` invocations have started; raise if neither
    happens before the function's timeout is near, so the test sees it."""
    import boto3

    s3, bucket, prefix = boto3.client("s3"), gate["bucket"], gate["prefix"]
    s3.put_object(Bucket=bucket, Key=f"{prefix}/started/{context.aws_request_id}", Body=b"")
    while context.get_remaining_time_in_millis() > 1500:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
                .get("Contents", [])]
        started = sum(k.startswith(f"{prefix}/started/") for k in keys)
        if f"{prefix}/open" in keys or 0 < gate.get("parties", 0) <= started:
            return
        time.sleep(0.05)
    raise RuntimeError("the test's gate did not open")
