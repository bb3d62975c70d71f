import json
import os

import greetings


def handler(event, context):
    try:
        with open(os.path.join(os.path.dirname(greetings.__file__), "written.txt"), "w"):
            writable = True
    except OSError:
        writable = False
    return {"statusCode": 200, "body": json.dumps({"message": greetings.greet("layer")}),
            "layer_file": greetings.__file__, "layer_writable": writable}
