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
    from tests.conftest import learner_session

    session, found = learner_session(lab, learner)

    class Sandbox:
        account_id = found["account_id"]

        @staticmethod
        def client(service):
            return session.client(service, endpoint_url=found["endpoint_url"])

    return Sandbox


@pytest.fixture
def gate(sandbox):
    """A gate that handlers wait at instead of sleeping (`_gate` in the test functions'
    app.py): an S3 bucket in this test's sandbox where each invocation given
    `{"gate": gate.spec()}` leaves a `started/` marker and then waits until the test calls
    `gate.open()` (or, with `parties`, until that many invocations have started). So work
    that must overlap does, however slow the machine, and a deadline only bounds a hang."""
    import uuid

    s3 = sandbox.client("s3")
    bucket = f"gate-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=bucket)

    class Gate:
        name = bucket

        @staticmethod
        def spec(parties: int = 0) -> dict:
            return {"bucket": bucket, "prefix": "gate", "parties": parties}

        @staticmethod
        def started() -> int:
            found = s3.list_objects_v2(Bucket=bucket, Prefix="gate/started/")
            return found.get("KeyCount", 0)

        @staticmethod
        def open() -> None:
            s3.put_object(Bucket=bucket, Key="gate/open", Body=b"")

    return Gate


COGNITO_PASSWORD = "Correct-horse-9"


def cognito_sign_in(cognito, pool_id: str, client_id: str, email: str) -> dict:
    """A confirmed user of the pool signed in (ADMIN_USER_PASSWORD_AUTH): its
    AuthenticationResult (IdToken, AccessToken...). `cognito` is a cognito-idp client."""
    cognito.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS",
                              TemporaryPassword=COGNITO_PASSWORD,
                              UserAttributes=[{"Name": "email", "Value": email}])
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email,
                                    Password=COGNITO_PASSWORD, Permanent=True)
    return cognito.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": COGNITO_PASSWORD})["AuthenticationResult"]


def expired_token(token: str, *, expired_seconds_ago: int = 3600) -> str:
    """The same Cognito token, signed with the key the sandbox's pools sign with (moto's), so
    only its expiry is wrong: time has passed."""
    import time

    from joserfc import jwt
    from joserfc.jwk import RSAKey
    from moto.utilities.utils import load_resource

    key = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    claims = jwt.decode(token, key).claims
    now = int(time.time())
    return jwt.encode({"kid": "dummy", "alg": "RS256"},
                      {**claims, "iat": now - expired_seconds_ago - 3600,
                       "exp": now - expired_seconds_ago}, key)
