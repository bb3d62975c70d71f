"""Weighted aliases (awslambda/alias_routing.py): an alias splits its invocations between two
published versions by weight, says which ran, and is refused as AWS refuses it.

What AWS refuses is in the Lambda developer guide, "Implement Lambda canary deployments using
a weighted alias" (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html:
at most one additional version, both published, the same execution role, a weight from 0.0
to 1.0) and the API reference for AliasRoutingConfiguration
(https://docs.aws.amazon.com/lambda/latest/api/API_AliasRoutingConfiguration.html). AWS's
exact message text for these refusals is not documented: the texts below are the lab's own
wording (AWS answers with the same error code, InvalidParameterValueException).
"""

import pytest
from botocore.exceptions import ClientError

from tests.conftest import wait_quiet

# The lab's wording (AWS's text is not known; see the docstring).
TOO_MANY = "An alias can route to at most one additional version (AdditionalVersionWeights)."
BAD_WEIGHT = "The weight of version 2 must be a number from 0.0 to 1.0, got 1.5."
SAME_VERSION = "The additional version 1 is the alias's own version."
LATEST_PRIMARY = ("An alias with RoutingConfig must point to a published version, not $LATEST: "
                  "both versions of a weighted alias must be published.")
OTHER_ROLE = ("Versions 1 and 3 have different execution roles; both versions of a weighted "
              "alias must have the same role.")
NOT_A_VERSION = ("AdditionalVersionWeights names '$LATEST': an alias routes only to published "
                 "versions (a number), not $LATEST.")


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
        "AdditionalVersionWeights": {"2": 0.1, "3": 0.1}}) == TOO_MANY
    assert _refused(update, FunctionName=name, Name="live", RoutingConfig={
        "AdditionalVersionWeights": {"2": 1.5}}) == BAD_WEIGHT
    assert _refused(update, FunctionName=name, Name="live", RoutingConfig={
        "AdditionalVersionWeights": {"1": 0.5}}) == SAME_VERSION
    assert _refused(client.create_alias, FunctionName=name, Name="edge",
                    FunctionVersion="$LATEST", RoutingConfig={
                        "AdditionalVersionWeights": {"2": 0.5}}) == LATEST_PRIMARY
    # A version with another execution role cannot share an alias.
    other_role = "arn:aws:iam::123456789012:role/another-role"
    client.update_function_configuration(FunctionName=name, Role=other_role)
    client.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert client.publish_version(FunctionName=name)["Version"] == "3"
    assert _refused(update, FunctionName=name, Name="live", RoutingConfig={
        "AdditionalVersionWeights": {"3": 0.1}}) == OTHER_ROLE
    alias = client.get_alias(FunctionName=name, Name="live")
    assert alias["FunctionVersion"] == "1" and not alias.get("RoutingConfig")
    assert "edge" not in [a["Name"] for a in client.list_aliases(FunctionName=name)["Aliases"]]


def test_a_template_whose_alias_routes_to_latest_does_not_deploy(lab, learner, sandbox):
    from serverless_lab.cloud.client import LabCloudError
    from tests.cloud.conftest import FUNCTIONS

    with pytest.raises(LabCloudError) as raised:
        lab.deploy(learner, str(FUNCTIONS / "weighted-latest"), stack="weighted-latest")
    assert "alias live (AWS::Lambda::Alias): " in str(raised.value)
    assert NOT_A_VERSION in str(raised.value)
    stacks = sandbox.client("cloudformation").list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks
               if s["StackName"] == "weighted-latest")
    assert not sandbox.client("lambda").list_functions()["Functions"]
