"""Greets whoever the event names."""


def handler(event, context):
    return {"greeting": f"hello {event['name']}"}
