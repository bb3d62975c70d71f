"""Weighted aliases (awslambda/alias_routing.py): an alias splits its invocations between two published
versions by weight, says which ran, and is refused as AWS refuses it."""

import pytest
from botocore.exceptions import ClientError

from serverless_lab.cloud.awslambda import alias_routing
from tests.conftest import wait_quiet


@pytest.fixture
def canary(deploy, sandbox):
    """A function with versions 1 and 2 (their code differs by an environment variable) and
    an alias `live` on version 1."""
    name = deploy("echo")["functions"]["EchoFunction"]
    client = sandbox.client("lambda")
    client.publish_version(FunctionName=name)
    client.update_function_configuration(FunctionName=name,
                                         Environment={"Variables": {"RELEASE": "two"}})
    client.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert client.publish_version(FunctionName=name)["Version"] == "2"
    client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    return name, client


def _routing(client, name, **weights) -> dict:
    return client.update_alias(FunctionName=name, Name="live", RoutingConfig={
        "AdditionalVersionWeights": {k.lstrip("v"): w for k, w in weights.items()}})


def _executed(client, name, count: int, **params) -> list[str]:
    return [client.invoke(FunctionName=name, Qualifier="live", Payload=b"{}", **params)[
        "ExecutedVersion"] for _ in range(count)]


def _invocations(lab, learner) -> list[dict]:
    return [e for e in lab.trace(learner)["events"] if e["type"] == "invocation"]


def test_a_weighted_alias_splits_invocations_and_says_which_version_ran(canary, lab, learner):
    name, client = canary
    answer = _routing(client, name, v2=0.5)
    assert answer["FunctionVersion"] == "1"
    assert answer["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.5}}
    executed = _executed(client, name, 40, LogType="Tail")
    # 40 fair draws all landing on one version: about one chance in 10^12.
    assert set(executed) == {"1", "2"}
    traced = _invocations(lab, learner)[-40:]
    assert [i["version"] for i in traced] == executed
    for invocation in traced:  # the START line names the version, as AWS's does
        assert f"Version: {invocation['version']}\n" in invocation["logs"]


def test_weights_of_one_and_zero_send_everything_one_way(canary, lab, learner):
    name, client = canary
    _routing(client, name, v2=1.0)
    assert _executed(client, name, 5) == ["2"] * 5
    _routing(client, name, v2=0.0)
    assert _executed(client, name, 5) == ["1"] * 5
    client.update_alias(FunctionName=name, Name="live", FunctionVersion="2",
                        RoutingConfig={"AdditionalVersionWeights": {}})
    assert _executed(client, name, 3) == ["2"] * 3  # all traffic shifted: the canary is done


def test_an_asynchronous_invoke_through_the_alias_is_routed_too(canary, lab, learner):
    name, client = canary
    _routing(client, name, v2=1.0)
    client.invoke(FunctionName=f"{name}:live", InvocationType="Event", Payload=b'{"a": 1}')
    wait_quiet(lab, learner)
    assert _invocations(lab, learner)[-1]["version"] == "2"


def _refused(call, **params) -> str:
    with pytest.raises(ClientError) as raised:
        call(**params)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    return raised.value.response["Error"]["Message"]


def test_what_aws_refuses_is_refused_and_the_alias_stays_as_it_was(canary, sandbox):
    name, client = canary
    update = client.update_alias
    assert _refused(update, FunctionName=name, Name="live", RoutingConfig={
        "AdditionalVersionWeights": {"2": 0.1, "3": 0.1}}) == alias_routing.TOO_MANY
    assert _refused(update, FunctionName=name, Name="live", RoutingConfig={
        "AdditionalVersionWeights": {"2": 1.5}}) == alias_routing.BAD_WEIGHT.format(
        version="2", weight=1.5)
    assert _refused(update, FunctionName=name, Name="live", RoutingConfig={
        "AdditionalVersionWeights": {"1": 0.5}}) == alias_routing.SAME_VERSION.format(
        version="1")
    assert _refused(client.create_alias, FunctionName=name, Name="edge",
                    FunctionVersion="$LATEST", RoutingConfig={
                        "AdditionalVersionWeights": {"2": 0.5}}) == alias_routing.LATEST_PRIMARY
    # A version with another execution role cannot share an alias.
    other_role = "arn:aws:iam::123456789012:role/another-role"
    client.update_function_configuration(FunctionName=name, Role=other_role)
    client.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert client.publish_version(FunctionName=name)["Version"] == "3"
    assert _refused(update, FunctionName=name, Name="live", RoutingConfig={
        "AdditionalVersionWeights": {"3": 0.1}}) == alias_routing.OTHER_ROLE.format(
        primary="1", version="3")
    alias = client.get_alias(FunctionName=name, Name="live")
    assert alias["FunctionVersion"] == "1" and not alias.get("RoutingConfig")
    assert "edge" not in [a["Name"] for a in client.list_aliases(FunctionName=name)["Aliases"]]


def test_a_template_whose_alias_routes_to_latest_does_not_deploy(lab, learner, sandbox):
    from serverless_lab.cloud.client import LabCloudError
    from tests.cloud.conftest import FUNCTIONS

    with pytest.raises(LabCloudError) as raised:
        lab.deploy(learner, str(FUNCTIONS / "weighted-latest"), stack="weighted-latest")
    assert "alias live (AWS::Lambda::Alias): " in str(raised.value)
    assert alias_routing.NOT_A_VERSION.format(version="$LATEST") in str(raised.value)
    stacks = sandbox.client("cloudformation").list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks
               if s["StackName"] == "weighted-latest")
    assert not sandbox.client("lambda").list_functions()["Functions"]
