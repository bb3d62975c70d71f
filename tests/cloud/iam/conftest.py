import json
from pathlib import Path

import pytest

PERMISSIONS = Path(__file__).parent / "functions" / "permissions"


@pytest.fixture
def permissions(lab, learner, sandbox):
    """The `permissions` folder deployed in this test's sandbox: its resources' names and a
    way to call its functions (by logical id) with an op for app.py."""
    deployment = lab.deploy(learner, str(PERMISSIONS), stack="permissions")
    resources = {k: v["physical_id"] for k, v in deployment["resources"].items()}

    class Deployed:
        account_id = sandbox.account_id
        table = resources["Orders"]
        queue_url = resources["Outbox"]
        bucket = resources["Uploads"]
        functions = deployment["functions"]

        @staticmethod
        def call(function: str, op: str, **event) -> dict:
            invocation = lab.invoke(learner, "permissions", function, {"op": op, **event})
            assert "error" not in invocation or invocation["error"] is None, invocation
            return json.loads(invocation["payload"])

        @staticmethod
        def role_name(function: str) -> str:
            configuration = sandbox.client("lambda").get_function(
                FunctionName=deployment["functions"][function])["Configuration"]
            return configuration["Role"].rsplit("/", 1)[-1]

        @staticmethod
        def caller_arn(function: str) -> str:
            name = deployment["functions"][function]
            return (f"arn:aws:sts::{sandbox.account_id}:assumed-role/"
                    f"{Deployed.role_name(function)}/{name}")

    return Deployed
