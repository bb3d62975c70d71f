def handler(event, context):
    return {"greeting": f"hello {event.get('name', 'world')}"}
