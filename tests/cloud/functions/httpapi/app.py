"""Test handlers for HTTP APIs: the payload format 2.0 event echoed back, and the 2.0
response format's shortcuts (a bare dict, a bare string)."""

import json


def echo(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json",
                                           "Access-Control-Allow-Origin": "https://evil.example"},
            "cookies": ["session=abc; Path=/", "theme=dark"], "body": json.dumps(event)}


def bare(event, context):
    return {"hello": "world"}


def text(event, context):
    return "Hello from Lambda!"
