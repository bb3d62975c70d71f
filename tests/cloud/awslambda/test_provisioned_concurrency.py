"""Provisioned concurrency: the Lambda API operations, the environments kept initialised
ahead, spill-over to on-demand environments, and SAM's AutoPublishAlias deploy."""

import base64
import json
import threading
import time

import pytest
from botocore.exceptions import ClientError

from tests.conftest import trace_mark

# AWS_LAMBDA_INITIALIZATION_TYPE's values, as the Lambda developer guide's "Defined runtime
# environment variables" lists them
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
ON_DEMAND = "on-demand"
PROVISIONED = "provisioned-concurrency"

# AWS's words for what the provisioned concurrency operations refuse. The API reference
# lists the error codes, not the texts: PutProvisionedConcurrencyConfig
# (https://docs.aws.amazon.com/lambda/latest/api/API_PutProvisionedConcurrencyConfig.html),
# GetProvisionedConcurrencyConfig (.../API_GetProvisionedConcurrencyConfig.html) and
# ListProvisionedConcurrencyConfigs (.../API_ListProvisionedConcurrencyConfigs.html). The
# texts are what the lab holds AWS to answer; no AWS documentation page spells them out, so
# they are not checked against one.
UNPUBLISHED = ("Provisioned Concurrency Configs cannot be applied to unpublished function "
               "versions.")
NOT_ALIAS_OR_VERSION = "The function resource provided must be an alias or a published version."
VERSION_UNDER_ALIAS = "Version is pointed by a Provisioned Concurrency alias"
NOT_FOUND = "No Provisioned Concurrency Config found for this function"
# "Unreserved account concurrency ... at least 100" is in the developer guide's "Configuring
# reserved concurrency" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
BELOW_MINIMUM = ("Specified ConcurrentExecutions for function decreases account's "
                 "UnreservedConcurrentExecution below its minimum value of [100].")
OVER_RESERVED = ("Requested Provisioned Concurrency should not be greater than the "
                 "reservedConcurrentExecution for function")
# The service's input validation (the Smithy constraint MaxItems 1-50 in the API reference).
MAX_ITEMS_51 = ("1 validation error detected: Value '51' at 'maxItems' failed to satisfy "
                "constraint: Member must have value less than or equal to 50")


def _error(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**params)
    error = raised.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"][
        "HTTPStatusCode"]


def _environments(lab_cloud, account_id: str) -> set[int]:
    """The process ids of the execution environments the account has now (idle on demand and
    provisioned): only the test's own, whatever other tests and the idle reaper do meanwhile.
    Busy environments are not counted: the tests ask when nothing of theirs is running."""
    runtime = lab_cloud.runtime
    with runtime._lock:
        idle = [e for key, envs in runtime._idle.items() if f":{account_id}:" in key[0]
                for e in envs]
        provisioned = [e for key, pool in runtime._provisioned.items()
                       if f":{account_id}:" in key for e in pool.idle]
    return {e.pid for e in idle + provisioned}


def _invocations(lab, learner, mark: int) -> list[dict]:
    return [e for e in lab.trace(learner, since=mark)["events"] if e["type"] == "invocation"]


def test_deploying_auto_publish_alias_with_provisioned_concurrency_makes_a_ready_alias(
        deploy, sandbox):
    deployment = deploy("provisioned")
    name = deployment["functions"]["WarmFunction"]
    alias = deployment["resources"]["WarmFunctionAliaslive"]
    assert alias["type"] == "AWS::Lambda::Alias"
    assert alias["physical_id"].endswith(f":function:{name}:live")
    assert deployment["outputs"]["LiveAlias"] == alias["physical_id"]
    assert not deployment["notes"]  # nothing left out
    client = sandbox.client("lambda")
    assert client.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"
    config = client.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert {k: config[k] for k in ("RequestedProvisionedConcurrentExecutions",
                                   "AllocatedProvisionedConcurrentExecutions",
                                   "AvailableProvisionedConcurrentExecutions", "Status")} == {
        "RequestedProvisionedConcurrentExecutions": 2,
        "AllocatedProvisionedConcurrentExecutions": 2,
        "AvailableProvisionedConcurrentExecutions": 2, "Status": "READY"}
    assert config["LastModified"].endswith("+0000")
    [listed] = client.list_provisioned_concurrency_configs(
        FunctionName=name)["ProvisionedConcurrencyConfigs"]
    assert listed["FunctionArn"] == alias["physical_id"] and listed["Status"] == "READY"
    # Init ran ahead of any invocation, and said so in the function's log group.
    logs = sandbox.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")
    assert sum("Init: provisioned-concurrency" in e["message"] for e in logs["events"]) == 2


def test_the_api_refuses_what_aws_refuses(deploy, sandbox, lab, learner):
    name = deploy("provisioned")["functions"]["WarmFunction"]
    client = sandbox.client("lambda")
    put = client.put_provisioned_concurrency_config
    assert _error(put, FunctionName=name, Qualifier="$LATEST",
                  ProvisionedConcurrentExecutions=1) == (
        "InvalidParameterValueException", UNPUBLISHED, 400)
    assert _error(client.get_provisioned_concurrency_config, FunctionName=name,
                  Qualifier="$LATEST") == (
        "InvalidParameterValueException", NOT_ALIAS_OR_VERSION, 400)
    code, message, status = _error(put, FunctionName=name, Qualifier="blue",
                                   ProvisionedConcurrentExecutions=1)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message.startswith("Cannot find alias arn: ") and message.endswith(f"{name}:blue")
    assert _error(put, FunctionName=name, Qualifier="7", ProvisionedConcurrentExecutions=1)[::2] \
        == ("ResourceNotFoundException", 404)
    # Version 1 is already provisioned through the alias on it.
    assert _error(put, FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1) == (
        "ResourceConflictException", VERSION_UNDER_ALIAS, 409)
    assert _error(client.get_provisioned_concurrency_config, FunctionName=name,
                  Qualifier="1") == ("ProvisionedConcurrencyConfigNotFoundException",
                                     NOT_FOUND, 404)
    assert _error(client.list_provisioned_concurrency_configs,
                  FunctionName="no-such-function")[::2] == ("ResourceNotFoundException", 404)
    # It comes out of the account's unreserved concurrency, which keeps 100...
    lab.settings(learner, concurrency_limit=104)
    assert _error(put, FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=5) \
        == ("InvalidParameterValueException", BELOW_MINIMUM, 400)
    updated = put(FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=4)
    assert updated["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (updated["Status"], updated["RequestedProvisionedConcurrentExecutions"]) == (
        "IN_PROGRESS", 4)
    # ...or out of the function's reserved concurrency.
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=3)
    assert _error(put, FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=4) \
        == ("InvalidParameterValueException", OVER_RESERVED, 400)


def test_an_update_initialises_more_environments_and_turns_ready(deploy, sandbox):
    name = deploy("provisioned")["functions"]["WarmFunction"]
    client = sandbox.client("lambda")
    client.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                              ProvisionedConcurrentExecutions=3)
    deadline = time.monotonic() + 20
    while (config := client.get_provisioned_concurrency_config(
            FunctionName=name, Qualifier="live"))["Status"] != "READY":
        assert config["Status"] == "IN_PROGRESS" and time.monotonic() < deadline
        time.sleep(0.05)
    assert config["AllocatedProvisionedConcurrentExecutions"] == 3


def test_an_invoke_through_the_alias_is_served_warm_by_a_provisioned_environment(
        deploy, sandbox, lab, learner):
    deployment = deploy("provisioned")
    name = deployment["functions"]["WarmFunction"]
    alias_arn = deployment["resources"]["WarmFunctionAliaslive"]["physical_id"]
    client = sandbox.client("lambda")
    mark = trace_mark(lab, learner)
    for target in ({"FunctionName": name, "Qualifier": "live"}, {"FunctionName": alias_arn}):
        answer = client.invoke(LogType="Tail", **target)
        assert answer["ExecutedVersion"] == "1"
        assert json.loads(answer["Payload"].read()) == {
            "initialization_type": PROVISIONED, "version": "1",
            "invoked_function_arn": alias_arn}
        tail = base64.b64decode(answer["LogResult"]).decode()
        assert "REPORT RequestId" in tail and "Init Duration" not in tail
        assert "START RequestId: " in tail and "Version: 1" in tail
    invocations = _invocations(lab, learner, mark)
    assert [(i["cold_start"], i["init_duration_ms"], i["initialization_type"])
            for i in invocations] == [(False, None, PROVISIONED)] * 2
    # Its Init ran ahead (paid as provisioned concurrency): only the duration is billed.
    assert all(i["billed_duration_ms"] < i["duration_ms"] + 2 for i in invocations)
    # $LATEST is not provisioned: an on-demand environment starts cold.
    payload = json.loads(client.invoke(FunctionName=name)["Payload"].read())
    assert payload["initialization_type"] == ON_DEMAND and payload["version"] == "$LATEST"
    [latest] = _invocations(lab, learner, mark)[2:]
    assert latest["cold_start"] and latest["init_duration_ms"] is not None
    assert "Init Duration" in latest["report"]


def test_invocations_beyond_the_provisioned_environments_spill_over_to_on_demand(
        deploy, sandbox, lab, learner, gate):
    name = deploy("provisioned")["functions"]["WarmFunction"]
    client = sandbox.client("lambda")
    mark = trace_mark(lab, learner)
    payloads = []

    def invoke():
        # Each waits at the gate until all three have started: they run at once.
        answer = client.invoke(FunctionName=name, Qualifier="live",
                               Payload=json.dumps({"gate": gate.spec(parties=3)}))
        payloads.append(json.loads(answer["Payload"].read()))

    threads = [threading.Thread(target=invoke) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(p["initialization_type"] for p in payloads) == [
        ON_DEMAND, PROVISIONED, PROVISIONED]
    invocations = _invocations(lab, learner, mark)
    [spilled] = [i for i in invocations if i["initialization_type"] == ON_DEMAND]
    assert spilled["cold_start"] and spilled["init_duration_ms"] is not None
    assert all(not i["cold_start"] for i in invocations if i is not spilled)


def test_delete_releases_the_environments_and_other_accounts_keep_theirs(
        deploy, sandbox, lab, learner, lab_cloud):
    from tests.cloud.conftest import FUNCTIONS

    name = deploy("provisioned")["functions"]["WarmFunction"]
    other = f"{learner}-b"
    other_deployment = lab.deploy(other, str(FUNCTIONS / "provisioned"), stack="provisioned")
    other_alias = other_deployment["resources"]["WarmFunctionAliaslive"]["physical_id"]
    client = sandbox.client("lambda")
    alias_arn = client.get_alias(FunctionName=name, Name="live")["AliasArn"]
    before = _environments(lab_cloud, sandbox.account_id)
    assert len(before) == 2  # the alias's two provisioned environments, nothing else yet
    deleted = client.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert _environments(lab_cloud, sandbox.account_id) == set()
    assert lab_cloud.runtime.provisioned_status(alias_arn) is None
    assert client.list_provisioned_concurrency_configs(
        FunctionName=name)["ProvisionedConcurrencyConfigs"] == []
    # Deleting again is not an error.
    client.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    mark = trace_mark(lab, learner)
    payload = json.loads(client.invoke(FunctionName=name, Qualifier="live")["Payload"].read())
    assert payload["initialization_type"] == ON_DEMAND
    [invocation] = _invocations(lab, learner, mark)
    assert invocation["cold_start"]
    # The other learner's configuration and environments are untouched, and out of reach.
    other_pool = lab_cloud.runtime.provisioned_status(other_alias)
    assert (other_pool.status, other_pool.allocated, len(other_pool.idle)) == ("READY", 2, 2)
    assert _error(client.get_provisioned_concurrency_config, FunctionName=other_alias,
                  Qualifier="live")[::2] == ("ResourceNotFoundException", 404)
    # Resetting that learner's sandbox releases theirs.
    lab.reset(other)
    assert lab_cloud.runtime.provisioned_status(other_alias) is None


# -- every invoker that names the alias uses its provisioned environments ---------------------
EVENTS = "provisioned-events"  # one function on `live` (1 provisioned), every invoker on it


def _code_zip(code: str) -> bytes:
    """The provisioned-events handler with its CODE line changed."""
    import io
    import zipfile

    from tests.cloud.conftest import FUNCTIONS

    source = (FUNCTIONS / EVENTS / "app.py").read_text().replace(
        'CODE = "version-1"', f'CODE = "{code}"')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def _deploy_events(deploy, sandbox) -> tuple[str, str]:
    """Deploy, then change $LATEST's code without publishing it: whatever runs through the
    alias must still run version 1's code. Returns (function name, alias ARN)."""
    deployment = deploy(EVENTS)
    name = deployment["functions"]["WarmFunction"]
    sandbox.client("lambda").update_function_code(FunctionName=name,
                                                  ZipFile=_code_zip("latest"))
    return name, deployment["outputs"]["LiveAlias"]


def _served_by_alias(invocations: list[dict], alias_arn: str) -> dict:
    """The one invocation, checked to be version 1's code on a provisioned environment
    (no cold start, no Init Duration) invoked through the alias; its answer."""
    [invocation] = invocations
    assert (invocation["cold_start"], invocation["init_duration_ms"],
            invocation["initialization_type"]) == (False, None, PROVISIONED)
    assert "Init Duration" not in invocation["report"]
    served = json.loads(invocation["payload"])
    if "statusCode" in served:
        served = json.loads(served["body"])
    assert served == {"code": "version-1", "version": "1", "initialization_type": PROVISIONED,
                      "invoked_function_arn": alias_arn}
    return served


def test_sam_points_every_event_source_at_the_alias(deploy, sandbox):
    deployment = deploy(EVENTS)
    name = deployment["functions"]["WarmFunction"]
    alias_arn = deployment["outputs"]["LiveAlias"]
    assert alias_arn.endswith(f":function:{name}:live")
    assert deployment["resources"]["WarmFunctionAliaslive"]["physical_id"] == alias_arn
    client = sandbox.client("lambda")
    [mapping] = client.list_event_source_mappings(FunctionName=alias_arn)["EventSourceMappings"]
    assert mapping["EventSourceArn"].split(":")[-1].startswith(f"{EVENTS}-Jobs-")
    assert client.get_provisioned_concurrency_config(FunctionName=name,
                                                     Qualifier="live")["Status"] == "READY"


def test_a_rest_and_an_http_api_on_the_alias_are_served_by_its_provisioned_environment(
        deploy, sandbox, lab, learner):
    name, alias_arn = _deploy_events(deploy, sandbox)
    deployment = deploy(EVENTS)  # the same template again: the stack (and $LATEST) stay
    assert deployment["reused"]
    for api in deployment["apis"]:
        mark = trace_mark(lab, learner)
        answer = lab.http(f"{api['url']}/whoami", method="GET")
        assert answer.status == 200, answer.body
        assert _served_by_alias(_invocations(lab, learner, mark), alias_arn) == json.loads(
            answer.body)
    # $LATEST runs its own (changed) code, on demand: the alias is what is provisioned.
    latest = json.loads(sandbox.client("lambda").invoke(FunctionName=name)["Payload"].read())
    assert (latest["code"], latest["initialization_type"]) == ("latest", ON_DEMAND)


def test_an_event_invoke_with_a_qualifier_runs_on_the_provisioned_environment(
        deploy, sandbox, lab, learner):
    from tests.conftest import wait_quiet

    name, alias_arn = _deploy_events(deploy, sandbox)
    mark = trace_mark(lab, learner)
    answer = sandbox.client("lambda").invoke(FunctionName=name, Qualifier="live",
                                             InvocationType="Event", Payload=b"{}")
    assert answer["StatusCode"] == 202
    wait_quiet(lab, learner)
    _served_by_alias(_invocations(lab, learner, mark), alias_arn)


def test_an_sqs_mapping_on_the_alias_is_served_by_its_provisioned_environment(
        deploy, sandbox, lab, learner):
    from tests.conftest import wait_until

    name, alias_arn = _deploy_events(deploy, sandbox)
    deployment = deploy(EVENTS)
    mark = trace_mark(lab, learner)
    sandbox.client("sqs").send_message(QueueUrl=deployment["resources"]["Jobs"]["physical_id"],
                                       MessageBody="job")
    wait_until(lambda: _invocations(lab, learner, mark))
    _served_by_alias(_invocations(lab, learner, mark), alias_arn)


@pytest.mark.parametrize("source", ["sns", "s3", "events"])
def test_sns_s3_and_eventbridge_targets_on_the_alias_are_served_by_its_provisioned_environment(
        deploy, sandbox, lab, learner, source):
    from tests.conftest import wait_quiet

    name, alias_arn = _deploy_events(deploy, sandbox)
    resources = deploy(EVENTS)["resources"]
    mark = trace_mark(lab, learner)
    if source == "sns":
        sandbox.client("sns").publish(TopicArn=resources["Alerts"]["physical_id"],
                                      Message="hello")
    elif source == "s3":
        sandbox.client("s3").put_object(Bucket=resources["Uploads"]["physical_id"],
                                        Key="a.txt", Body=b"a")
    else:
        # SAM's own permission, on the alias, lets the rule in (deploy_aliases scopes it).
        policy = json.loads(sandbox.client("lambda").get_policy(
            FunctionName=name, Qualifier="live")["Policy"])
        assert {s["Resource"] for s in policy["Statement"]} == {alias_arn}
        sandbox.client("events").put_events(Entries=[{
            "Source": "lab.provisioned", "DetailType": "ping", "Detail": "{}"}])
    wait_quiet(lab, learner)
    _served_by_alias(_invocations(lab, learner, mark), alias_arn)


def test_repointing_the_alias_moves_its_provisioned_concurrency_to_the_new_version(
        deploy, sandbox, lab, learner, lab_cloud):
    name, alias_arn = _deploy_events(deploy, sandbox)
    client = sandbox.client("lambda")
    before = _environments(lab_cloud, sandbox.account_id)
    client.update_function_code(FunctionName=name, ZipFile=_code_zip("version-2"))
    assert client.publish_version(FunctionName=name)["Version"] == "2"
    assert client.update_alias(FunctionName=name, Name="live",
                               FunctionVersion="2")["FunctionVersion"] == "2"
    # The configuration followed the alias: the new version's environments initialise...
    config = client.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert config["Status"] in ("IN_PROGRESS", "READY")
    assert config["RequestedProvisionedConcurrentExecutions"] == 1
    deadline = time.monotonic() + 20
    while (config := client.get_provisioned_concurrency_config(
            FunctionName=name, Qualifier="live"))["Status"] != "READY":
        assert config["Status"] == "IN_PROGRESS" and time.monotonic() < deadline
        time.sleep(0.05)
    assert config["AllocatedProvisionedConcurrentExecutions"] == 1
    logs = sandbox.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")
    assert any("Init: provisioned-concurrency version-2" in e["message"]
               for e in logs["events"])
    # ...and version 1's went: as many environments as before.
    pool = lab_cloud.runtime.provisioned_status(alias_arn)
    assert (pool.fn.version, pool.allocated) == ("2", 1)
    after = _environments(lab_cloud, sandbox.account_id)
    assert len(after) == len(before) and not after & before
    # An invocation through the alias runs version 2, warm, on the provisioned environment.
    mark = trace_mark(lab, learner)
    served = json.loads(client.invoke(FunctionName=alias_arn)["Payload"].read())
    assert served == {"code": "version-2", "version": "2", "initialization_type": PROVISIONED,
                      "invoked_function_arn": alias_arn}
    [invocation] = _invocations(lab, learner, mark)
    assert (invocation["cold_start"], invocation["initialization_type"]) == (False, PROVISIONED)
    # Deleting the alias releases its environments.
    client.delete_alias(FunctionName=name, Name="live")
    assert lab_cloud.runtime.provisioned_status(alias_arn) is None
    assert client.list_provisioned_concurrency_configs(
        FunctionName=name)["ProvisionedConcurrencyConfigs"] == []


def test_the_moto_deliveries_that_name_an_alias_have_the_signatures_the_lab_wraps():
    from serverless_lab.cloud.awslambda import moto_patch

    assert moto_patch.naming_signatures_match()


def test_list_pages_with_max_items_and_marker(deploy, sandbox):
    name = deploy("echo")["functions"]["EchoFunction"]
    client = sandbox.client("lambda")
    for release in ("one", "two", "three"):
        client.update_function_configuration(FunctionName=name,
                                             Environment={"Variables": {"RELEASE": release}})
        client.get_waiter("function_updated_v2").wait(FunctionName=name)
        version = client.publish_version(FunctionName=name)["Version"]
        client.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                                  ProvisionedConcurrentExecutions=1)
    whole = client.list_provisioned_concurrency_configs(FunctionName=name)
    assert len(whole["ProvisionedConcurrencyConfigs"]) == 3 and "NextMarker" not in whole

    first = client.list_provisioned_concurrency_configs(FunctionName=name, MaxItems=2)
    assert len(first["ProvisionedConcurrencyConfigs"]) == 2
    rest = client.list_provisioned_concurrency_configs(FunctionName=name, MaxItems=2,
                                                       Marker=first["NextMarker"])
    assert "NextMarker" not in rest
    assert [c["FunctionArn"] for c in first["ProvisionedConcurrencyConfigs"]
            + rest["ProvisionedConcurrencyConfigs"]] == [
        c["FunctionArn"] for c in whole["ProvisionedConcurrencyConfigs"]]
    paginated = client.get_paginator("list_provisioned_concurrency_configs").paginate(
        FunctionName=name, PaginationConfig={"PageSize": 1})
    assert [len(page["ProvisionedConcurrencyConfigs"]) for page in paginated] == [1, 1, 1]
    assert _error(client.list_provisioned_concurrency_configs, FunctionName=name,
                  MaxItems=51) == ("ValidationException", MAX_ITEMS_51, 400)
