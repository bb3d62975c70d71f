def handler(event, context):
    record = event["Records"][0]
    keys, image = record["dynamodb"]["Keys"], record["dynamodb"]["NewImage"]
    return {"order": keys["orderId"]["S"], "placed": int(keys["placedAt"]["N"]),
            "image_has_the_key": image["orderId"] == keys["orderId"],
            "table": record["eventSourceARN"].split("/")[1]}
