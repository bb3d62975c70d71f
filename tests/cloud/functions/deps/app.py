import six  # installed from requirements.txt by the lab's build, as `sam build` would


def handler(event, context):
    return {"six": six.__version__}
