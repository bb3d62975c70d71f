import inflection


def handler(event, context):
    return {"inflection": inflection.__version__, "from": inflection.__file__}
