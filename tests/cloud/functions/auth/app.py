"""Test handlers for API Gateway authorizers: a TOKEN and a REQUEST Lambda authorizer, and a
backend that echoes the event it was given."""

import json


def _policy(principal, effect, resource, context=None):
    answer = {"principalId": principal,
              "policyDocument": {"Version": "2012-10-17", "Statement": [
                  {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]}}
    if context is not None:
        answer["context"] = context
    return answer


def _api_wildcard(method_arn):
    """arn:aws:execute-api:region:account:api/stage/* from the request's method ARN."""
    api, stage = method_arn.split("/")[:2]
    return f"{api}/{stage}/*"


def token(event, context):
    """allow-<user>: every method of the stage; narrow-<user>: only this method ARN;
    deny-<user>: an explicit deny; unauthorized: 401; anything else: an error."""
    kind, _, user = event["authorizationToken"].partition("-")
    if kind == "allow":
        return _policy(user, "Allow", _api_wildcard(event["methodArn"]),
                       {"user": user, "tier": 3, "admin": True, "team": None})
    if kind == "narrow":
        return _policy(user, "Allow", event["methodArn"])
    if kind == "deny":
        return _policy(user, "Deny", _api_wildcard(event["methodArn"]))
    if kind == "unauthorized":
        raise Exception("Unauthorized")
    if kind == "malformed":
        return {"policy": "none"}
    if kind == "nested":  # a context value may not be an object
        return _policy(user, "Allow", event["methodArn"], {"user": {"name": user}})
    raise ValueError(f"cannot read token {event['authorizationToken']!r}")


def request(event, context):
    """Allows the tenant named in the query string when X-Api-Key is `secret`."""
    key = (event.get("headers") or {}).get("X-Api-Key")
    tenant = (event.get("queryStringParameters") or {}).get("tenant")
    effect = "Allow" if key == "secret" else "Deny"
    return _policy(f"tenant-{tenant}", effect, _api_wildcard(event["methodArn"]),
                   {"tenant": tenant, "seen": json.dumps(sorted(event))})


def echo(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(event)}
