"""The "Use your own tools" panel: the learner's sandbox as the AWS CLI or boto3 reach it,
with credentials issued to this learner only (issue 11)."""

import datetime
import shlex
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from serverless_lab.cloud.client import LabClient
from serverless_lab.cloud.clients import client as aws_client

from .aws_cli import sandbox_commands
from .catalog import Pattern


@dataclass(frozen=True)
class OwnTools:
    learner: str
    account_id: str
    exports: str  # the shell lines, ready to paste
    expires: datetime.datetime
    commands: list[str]
    deployed: bool  # the pattern's stack is in the sandbox (commands name its resources)

    @property
    def caller(self) -> str:
        """How the trace names calls made with these credentials."""
        return f"learner:{self.learner}"


def own_tools_get(*, client: LabClient, learner: str, pattern: Pattern) -> OwnTools:
    """This learner's credentials (a new set when the last is close to expiry) and the AWS CLI
    commands that inspect the pattern's resources in their sandbox."""
    found = client.sandbox(learner)
    credentials = found["credentials"]
    exports = {"AWS_ENDPOINT_URL": settings.LAB_CLOUD_PUBLIC_URL or found["endpoint_url"],
               "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
               "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
               "AWS_SESSION_TOKEN": credentials["SessionToken"],
               "AWS_REGION": found["region"]}
    resources = _stack_resources(found, stack=pattern.slug)
    return OwnTools(
        learner=learner, account_id=found["account_id"],
        exports="\n".join(f"export {k}={shlex.quote(v)}" for k, v in exports.items()),
        expires=datetime.datetime.strptime(credentials["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
        .replace(tzinfo=datetime.UTC),
        commands=sandbox_commands(pattern, resources), deployed=resources is not None)


def _stack_resources(found: dict, *, stack: str) -> dict[str, tuple[str, str]] | None:
    cloudformation = aws_client("cloudformation", endpoint_url=found["endpoint_url"],
                                credentials=found["credentials"], region=found["region"])
    try:
        listed = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    except (ClientError, BotoCoreError):  # not deployed yet: the commands use placeholders
        return None
    return {r["LogicalResourceId"]: (r["ResourceType"], r.get("PhysicalResourceId", ""))
            for r in listed}
