"""Never runs: the template it belongs to does not deploy."""


def handler(event, context):
    return event
