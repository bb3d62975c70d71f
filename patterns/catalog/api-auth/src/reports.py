"""GET /reports and GET /reports/{period}: reports for the partner system the Lambda
authorizer identified. The partner comes from the authorizer's answer, never from the
request, so one partner cannot ask for another's reports."""

import json

PERIODS = ("daily", "weekly", "monthly")


def handler(event, context):
    authorizer = event["requestContext"]["authorizer"]
    partner, plan = authorizer["partner"], authorizer["plan"]
    period = (event.get("pathParameters") or {}).get("period")
    if period is not None and period not in PERIODS:
        return {"statusCode": 404, "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"message": f"no {period} report"})}
    reports = [{"period": p, "url": f"/reports/{p}"} for p in PERIODS
               if period in (None, p)]
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"partner": partner, "plan": plan, "reports": reports})}
