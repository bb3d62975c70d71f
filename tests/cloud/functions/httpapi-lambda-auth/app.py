"""Test handlers for HTTP API Lambda authorizers: a simple-response authorizer, an IAM policy
authorizer for payload formats 1.0 and 2.0, and a backend that echoes its event."""

import json
import time


def simple(event, context):
    """allow-<user>: authorized, with a context; deny-<user>: not authorized; boom: an error;
    malformed: an answer without isAuthorized; slow: longer than the function's timeout."""
    kind, _, user = event["identitySource"][0].partition("-")
    if kind == "allow":
        return {"isAuthorized": True,
                "context": {"user": user, "tier": 3, "admin": True, "groups": ["a", "b"]}}
    if kind == "deny":
        return {"isAuthorized": False}
    if kind == "malformed":
        return {"allowed": True}
    if kind == "slow":
        time.sleep(5)
    raise ValueError(f"cannot read {event['identitySource']!r}")


def policy(event, context):
    """Allows every route of the stage to the tenant in the query string when X-Api-Key is
    `secret`; denies otherwise. Reads both payload formats."""
    if event["version"] == "1.0":
        arn, headers = event["methodArn"], event["headers"]
    else:
        arn, headers = event["routeArn"], event["headers"]
    key = next((v for k, v in headers.items() if k.lower() == "x-api-key"), None)
    tenant = event["queryStringParameters"]["tenant"]
    api, stage = arn.split("/")[:2]
    return {"principalId": f"tenant-{tenant}",
            "policyDocument": {"Version": "2012-10-17", "Statement": [{
                "Action": "execute-api:Invoke", "Resource": f"{api}/{stage}/*",
                "Effect": "Allow" if key == "secret" else "Deny"}]},
            "context": {"tenant": tenant, "version": event["version"]}}


def echo(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(event)}
