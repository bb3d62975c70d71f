"""Managed policies on roles, as IAM keeps them.

moto's CloudFormation creates an AWS::IAM::Role with its inline `Policies` but ignores its
`ManagedPolicyArns` (SAM puts AWSLambdaBasicExecutionRole there, and policies named in a
function's `Policies`, e.g. AmazonDynamoDBFullAccess), and moto's IAM knows AWS's managed
policies only when told to load all of them into every account (MOTO_IAM_LOAD_MANAGED_POLICIES,
~1,000 documents per account). The lab attaches a role's ManagedPolicyArns after moto creates
it (`Role.create_from_cloudformation_json`), and `IAMBackend.attach_role_policy` first adds an
AWS managed policy that moto's aws_managed_policies data knows to the account, so a learner
can attach one too. An ARN neither the account nor that data knows is skipped (CloudFormation
would fail the stack; the lab keeps moto's leniency). Deleting a stack's role detaches its
managed policies first (`Role.delete_from_cloudformation_json`), as CloudFormation does, or
moto's IAM would refuse and no stack could be replaced. Contract-tested in
tests/cloud/iam/test_function_permissions.py (the basic execution role attached, an AWS
managed policy attached and detached by a learner).
"""

import functools
import json

from moto.iam.models import AWSManagedPolicy, IAMBackend, Role, iam_backends

ORIGINAL_CREATE = Role.create_from_cloudformation_json.__func__
ORIGINAL_ATTACH = IAMBackend.attach_role_policy
AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy"


@functools.cache
def aws_managed_policy(arn: str) -> tuple[str, dict] | None:
    """(name, moto's data) of the AWS managed policy with this ARN, or None. Only that
    entry of moto's data is parsed (all of it takes ~135 ms)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data as data

    if not arn.startswith(AWS_POLICY_PREFIX + "/"):
        return None
    name = arn.rsplit("/", 1)[-1]
    at = data.find(f'\n "{name}":')
    if at < 0:
        return None
    found, _ = json.JSONDecoder().raw_decode(data, data.index("{", at))
    if f"{AWS_POLICY_PREFIX}{found.get('Path', '/')}{name}" != arn:
        return None
    return name, found


def _known(backend: IAMBackend, arn: str) -> bool:
    """Adds an AWS managed policy to the account on first use; False if none has that ARN."""
    if arn in backend.managed_policies:
        return True
    found = aws_managed_policy(arn)
    if found is None:
        return False
    name, data = found
    policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
    backend.managed_policies[policy.arn] = policy
    return True


@functools.wraps(ORIGINAL_ATTACH)
def attach_role_policy(self, policy_arn: str, role_name: str) -> None:
    _known(self, policy_arn)
    return ORIGINAL_ATTACH(self, policy_arn, role_name)


@classmethod
def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                    region_name, **kwargs):
    role = ORIGINAL_CREATE(cls, resource_name, cloudformation_json, account_id, region_name,
                           **kwargs)
    backend = iam_backends[account_id]["aws"]
    for arn in cloudformation_json.get("Properties", {}).get("ManagedPolicyArns") or []:
        if isinstance(arn, str) and _known(backend, arn):
            backend.managed_policies[arn].attach_to(role)
    return role


ORIGINAL_DELETE = Role.delete_from_cloudformation_json.__func__


@classmethod
def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                    region_name, **kwargs):
    """A stack's role goes with the managed policies attached to it detached first, as
    CloudFormation does (moto's IAM refuses to delete a role with attached policies)."""
    backend = iam_backends[account_id]["aws"]
    for role in list(backend.roles.values()):
        if role.name == resource_name:
            for arn in list(role.managed_policies):
                backend.detach_role_policy(arn, resource_name)
    return ORIGINAL_DELETE(cls, resource_name, cloudformation_json, account_id, region_name,
                           **kwargs)


def install() -> None:
    """For the whole process (moto's IAM is), idempotent."""
    Role.create_from_cloudformation_json = create_from_cloudformation_json
    Role.delete_from_cloudformation_json = delete_from_cloudformation_json
    IAMBackend.attach_role_policy = attach_role_policy
