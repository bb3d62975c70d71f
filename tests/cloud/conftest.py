from pathlib import Path

import pytest

FUNCTIONS = Path(__file__).parent / "functions"


@pytest.fixture
def deploy(lab, learner):
    """Deploy a test folder (tests/cloud/functions/<name>) into this test's sandbox."""

    def _deploy(name: str) -> dict:
        return lab.deploy(learner, str(FUNCTIONS / name), stack=name)

    return _deploy


@pytest.fixture
def sandbox(lab, learner):
    """boto3 clients carrying this test's learner's credentials."""
    import boto3

    found = lab.sandbox(learner)
    credentials = found["credentials"]
    session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"],
                            region_name=found["region"])

    class Sandbox:
        account_id = found["account_id"]

        @staticmethod
        def client(service):
            return session.client(service, endpoint_url=found["endpoint_url"])

    return Sandbox
