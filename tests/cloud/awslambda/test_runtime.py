"""The Lambda runtime: cold and warm environments, context, logs, errors and timeouts."""

import json
import re

from moto.logs.models import logs_backends


def invoke(lab, learner, function, event=None):
    return lab.invoke(learner, "echo", function, event or {})


def test_first_invocation_is_cold_then_warm_reuses_the_environment(lab, learner, deploy):
    deploy("echo")
    lab.recycle(learner)
    first = invoke(lab, learner, "EchoFunction")
    second = invoke(lab, learner, "EchoFunction")
    assert first["cold_start"] is True and first["init_duration_ms"] > 0
    assert second["cold_start"] is False and second["init_duration_ms"] is None
    # Module-level code ran once: the warm invocation sees the same module.
    assert json.loads(first["payload"])["loaded_at"] == json.loads(second["payload"])["loaded_at"]
    assert first["log_stream"] == second["log_stream"]


def test_report_line_has_awss_format(lab, learner, deploy):
    deploy("echo")
    lab.recycle(learner)
    cold = invoke(lab, learner, "EchoFunction")
    pattern = (r"^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d{2} ms\tBilled Duration: "
               r"\d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\tInit Duration: "
               r"\d+\.\d{2} ms$")
    assert re.match(pattern, cold["report"])
    lines = cold["logs"].splitlines()
    assert lines[0] == f"START RequestId: {cold['request_id']} Version: $LATEST"
    assert lines[-2] == f"END RequestId: {cold['request_id']}"
    assert lines[-1] == cold["report"]
    assert "event received" in cold["logs"]
    assert re.search(rf"\[INFO\]\t\S+Z\t{cold['request_id']}\trequest {cold['request_id']}",
                     cold["logs"])
    # Billed duration rounds up to the millisecond and includes Init on a cold start.
    assert cold["billed_duration_ms"] >= cold["duration_ms"] + cold["init_duration_ms"]


def test_context_and_environment_match_aws(lab, learner, deploy, sandbox):
    deployment = deploy("echo")
    name = deployment["functions"]["EchoFunction"]
    result = json.loads(invoke(lab, learner, "EchoFunction", {"x": 1})["payload"])
    context, environment = result["context"], result["environment"]
    assert context["function_name"] == name
    assert context["memory_limit_in_mb"] == "256"
    assert context["invoked_function_arn"] == (
        f"arn:aws:lambda:us-east-1:{sandbox.account_id}:function:{name}")
    assert context["log_group_name"] == f"/aws/lambda/{name}"
    assert re.match(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$", context["log_stream_name"])
    assert 0 < context["remaining_ms"] <= 1000
    assert environment["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert environment["AWS_REGION"] == "us-east-1"
    assert environment["GREETING"] == "hello"
    assert environment["_HANDLER"] == "app.handler"
    assert result["cwd"] == environment["LAMBDA_TASK_ROOT"]


def test_handler_exception_returns_awss_error_document(lab, learner, deploy):
    deploy("echo")
    failed = invoke(lab, learner, "EchoFunction", {"raise": "no stock"})
    error = failed["error"]
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "no stock"
    assert error["requestId"] == failed["request_id"]
    assert any("app.py" in frame for frame in error["stackTrace"])
    assert "[ERROR] ValueError: no stock" in failed["logs"]
    # The environment survives a handled-by-runtime exception: the next call is warm.
    assert invoke(lab, learner, "EchoFunction")["cold_start"] is False


def test_timeout_kills_the_environment_and_the_next_call_is_cold(lab, learner, deploy):
    deploy("echo")
    invoke(lab, learner, "EchoFunction")
    timed_out = invoke(lab, learner, "EchoFunction", {"sleep": 5})
    assert timed_out["error"]["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in timed_out["logs"]
    assert invoke(lab, learner, "EchoFunction")["cold_start"] is True


def test_logs_are_written_to_cloudwatch_logs(lab, learner, deploy, sandbox):
    deployment = deploy("echo")
    done = invoke(lab, learner, "EchoFunction")
    logs = sandbox.client("logs")
    group = f"/aws/lambda/{deployment['functions']['EchoFunction']}"
    events = logs.get_log_events(logGroupName=group, logStreamName=done["log_stream"])["events"]
    messages = [e["message"] for e in events]
    assert f"START RequestId: {done['request_id']} Version: $LATEST" in messages
    assert done["report"] in messages
    assert sandbox.account_id in logs_backends


def test_import_error_and_missing_handler_are_reported_as_aws_does(lab, learner, deploy):
    deploy("broken")
    import_error = lab.invoke(learner, "broken", "ImportErrorFunction", {})["error"]
    assert import_error["errorType"] == "Runtime.ImportModuleError"
    assert import_error["errorMessage"] == (
        "Unable to import module 'app': No module named 'a_module_that_does_not_exist'")
    missing = lab.invoke(learner, "broken", "MissingHandlerFunction", {})["error"]
    assert missing["errorType"] == "Runtime.HandlerNotFound"
    assert missing["errorMessage"] == "Handler 'handler' missing on module 'other'"
