def handler(event, context):
    return {"source": event.get("source")}
