"""Lambda TOKEN authorizer for partner systems.

API Gateway invokes it with the caller's token and the ARN of the method called
({"type": "TOKEN", "authorizationToken": ..., "methodArn": ...}). It answers with the
principal, an IAM policy on execute-api ARNs and a context for the backend; raising
"Unauthorized" makes API Gateway answer 401.

API Gateway caches the answer by token and evaluates the cached policy against the next
requests too, whatever method they call. So the policy names every method of the stage
(`<api>/<stage>/*`), not just the methodArn of the first request: naming only that one would
deny the same partner's next call to another path for as long as the answer is cached.
"""

import hashlib
import os

import boto3

TOKENS = boto3.resource("dynamodb").Table(os.environ["TOKENS_TABLE"])


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def stage_methods(method_arn: str) -> str:
    """arn:aws:execute-api:<region>:<account>:<api>/<stage>/* from the method's ARN."""
    api, stage = method_arn.split("/")[:2]
    return f"{api}/{stage}/*"


def handler(event, context):
    item = TOKENS.get_item(Key={"token_hash": token_hash(event["authorizationToken"])}).get("Item")
    if item is None:
        raise Exception("Unauthorized")  # the exact message API Gateway turns into a 401
    active = item.get("status") == "active"
    print(f"partner {item['partner']}: token {'active' if active else item.get('status')}")
    answer = {
        "principalId": item["partner"],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke",
                           "Effect": "Allow" if active else "Deny",
                           "Resource": stage_methods(event["methodArn"])}],
        },
    }
    if active:
        # Values reach the backend as strings in requestContext.authorizer.
        answer["context"] = {"partner": item["partner"], "plan": item.get("plan", "standard")}
    return answer
