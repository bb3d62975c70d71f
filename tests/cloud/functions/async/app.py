import time


def fail(event, context):
    raise RuntimeError(f"cannot process {event.get('order', '?')}")


def sleep(event, context):
    time.sleep(event.get("sleep", 0))
    return {"slept": event.get("sleep", 0)}
