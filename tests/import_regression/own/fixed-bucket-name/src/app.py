import os


def handler(event, context):
    return {"notify": os.environ["NOTIFY"], "key": event["Records"][0]["s3"]["object"]["key"]}
