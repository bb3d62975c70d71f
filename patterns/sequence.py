"""A Mermaid sequence diagram of a run, drawn from its trace: who called whom, in order."""

SERVICE_NAMES = {"dynamodb": "DynamoDB", "s3": "S3", "sqs": "SQS", "sns": "SNS",
                 "events": "EventBridge", "kinesis": "Kinesis", "states": "Step Functions",
                 "lambda": "Lambda", "logs": "CloudWatch Logs", "cognito-idp": "Cognito",
                 "firehose": "Firehose", "scheduler": "Scheduler"}
MAX_MESSAGES = 60


def _participant(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def _short(function_name: str) -> str:
    # Stack-generated names end in a random suffix: rest-api-CreateOrderFunction-ABC123.
    parts = function_name.split("-")
    return parts[-2] if len(parts) >= 3 else function_name


def sequence_from_run(run: dict) -> str:
    """The run's hops as `sequenceDiagram` text, or "" when nothing happened."""
    lines, actors = [], {}

    def actor(label: str) -> str:
        key = _participant(label)
        actors.setdefault(key, label)
        return key

    for step in run.get("steps", []):
        request = step.get("request", {})
        for event in step.get("events", []):
            kind = event["type"]
            if kind == "http":
                lines.append(f"{actor('Client')}->>{actor('API Gateway')}: "
                             f"{event['method']} {event['path']}")
            elif kind == "delivery":
                source = event["source"]
                origin = "API Gateway" if source.startswith("apigateway") else \
                    "Step Functions" if source.startswith("states:") else \
                    SERVICE_NAMES.get(source.removeprefix("aws:"), source)
                arrow = "->>" if event.get("mode") == "sync" else "-)"
                lines.append(f"{actor(origin)}{arrow}{actor(_short(event['target']))}: "
                             f"{event.get('mode', '')} event")
            elif kind == "api_call":
                caller = event.get("caller", "")
                who = _short(caller.removeprefix("function:")) if caller.startswith(
                    "function:") else "Step Functions" if caller.startswith("states:") \
                    else "Client"
                lines.append(f"{actor(who)}->>{actor(SERVICE_NAMES.get(event['service'], event['service']))}: "  # noqa: E501
                             f"{event['operation']} ({event.get('status')})")
            elif kind == "invocation":
                note = "cold start" if event.get("cold_start") else "warm"
                if event.get("error"):
                    note += f", {event['error'].get('errorType', 'error')}"
                lines.append(f"Note over {actor(_short(event['function_name']))}: {note}, "
                             f"{event.get('duration_ms')} ms")
        response = step.get("response") or {}
        if request.get("method") and response.get("status") is not None:
            lines.append(f"{actor('API Gateway')}-->>{actor('Client')}: {response['status']}")
    if not lines:
        return ""
    header = ["sequenceDiagram"] + [f"  participant {k} as {v}" for k, v in actors.items()]
    if len(lines) > MAX_MESSAGES:
        lines = lines[:MAX_MESSAGES] + [f"Note over {next(iter(actors))}: … "
                                        f"{len(lines) - MAX_MESSAGES} more hops in the trace"]
    return "\n".join(header + [f"  {line}" for line in lines])
