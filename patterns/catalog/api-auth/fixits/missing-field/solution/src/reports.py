"""GET /reports: reports for the partner system the Lambda authorizer identified.

GET /reports?period=weekly answers that one report; GET /reports answers all of them. The
partner comes from the authorizer's answer (requestContext.authorizer), never from the
request, so one partner cannot ask for another's reports.
"""

import json

PERIODS = ("daily", "weekly", "monthly")


def answer(status: int, body: dict) -> dict:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body)}


def handler(event, context):
    authorizer = event["requestContext"]["authorizer"]
    partner, plan = authorizer["partner"], authorizer["plan"]
    # API Gateway sends "queryStringParameters": null when the URL has no query string.
    period = (event.get("queryStringParameters") or {}).get("period")
    if period is not None and period not in PERIODS:
        return answer(404, {"message": f"no {period} report"})
    reports = [{"period": p, "url": f"/reports?period={p}"} for p in PERIODS
               if period in (None, p)]
    return answer(200, {"partner": partner, "plan": plan, "reports": reports})
