"""A handler whose Init says which kind of environment ran it."""

import os
import time

print(f"Init: {os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']}")


def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"initialization_type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"],
            "version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn}
