import json


def handler(event, context):
    return json.loads(event["Records"][0]["Sns"]["Message"])
