import os


def handler(event, context):
    return {"released": os.environ["RELEASED"], "greeting": os.environ["GREETING"],
            "records": len(event.get("Records", []))}
