"""A handler that says which code and which kind of environment served it, whoever invoked it."""

import json
import os

CODE = "version-1"  # the tests publish other versions with this line changed

print(f"Init: {os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']} {CODE}")


def handler(event, context):
    served = {"code": CODE, "version": context.function_version,
              "initialization_type": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"],
              "invoked_function_arn": context.invoked_function_arn}
    if "requestContext" in event:  # API Gateway (REST or HTTP API): a proxy response
        return {"statusCode": 200, "body": json.dumps(served)}
    return served
