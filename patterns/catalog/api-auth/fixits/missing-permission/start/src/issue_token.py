"""Issue an API token to a partner system. Only the token's SHA-256 is stored: the token
itself is shown once, to the caller, as a password would be."""

import hashlib
import os
import secrets
import time

import boto3

TOKENS = boto3.resource("dynamodb").Table(os.environ["TOKENS_TABLE"])


def handler(event, context):
    token = "ptk_" + secrets.token_urlsafe(24)
    digest = hashlib.sha256(token.encode()).hexdigest()
    TOKENS.put_item(Item={"token_hash": digest, "partner": event["partner"],
                          "plan": event.get("plan", "standard"), "status": "active",
                          "issued_at": int(time.time())})
    return {"partner": event["partner"], "token": token, "token_hash": digest}
