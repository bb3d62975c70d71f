"""One AWS account per learner, reached only with credentials issued into that account.

A learner's account id is derived from their name, so the same learner lands in the same
account after a restart. Credentials come from STS AssumeRole into the account, which is how
moto maps an access key to an account (never the process-wide MOTO_ACCOUNT_ID).

The lab's own identity for those AssumeRole calls (the bootstrap key) is made at random for
each lab cloud and known only to its Accounts: no credential lives in the source. A learner's
credentials expire as AWS's do (AWS's default AssumeRole session is one hour,
LAB_CREDENTIAL_SECONDS to change), are replaced when close to expiry, and are revoked when the
sandbox is reset (`rotate`): moto forgets the old key, so it is refused from then on.
"""

import datetime
import hashlib
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass

from moto.core.base_backend import BackendDict
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

from .clients import REGION, client

LEARNER_ROLE = "lab-learner"
# AWS's default for AssumeRole's DurationSeconds; STS takes 900 to 43,200.
DEFAULT_CREDENTIAL_SECONDS = 3600
# A learner's set with less than this left is replaced by a new one when asked for.
RENEW_BEFORE_SECONDS = 300
# The lab's own credentials (execution roles, state machines, the services' deliveries) live
# inside the lab cloud and are asked for again per environment: STS's longest session.
LAB_ROLE_SECONDS = 43200
PARTITION = "aws"
# What AWS answers a request signed with a key it never issued or has forgotten, as STS
# answers it (403 InvalidClientTokenId; DynamoDB words the same refusal
# UnrecognizedClientException, S3 InvalidAccessKeyId: the lab gives STS's everywhere), and one
# signed with credentials past their expiry (STS's 400 ExpiredToken).
INVALID_TOKEN = (403, "InvalidClientTokenId",
                 "The security token included in the request is invalid.")
EXPIRED_TOKEN = (400, "ExpiredToken", "The security token included in the request is expired")
# IAM holds the access keys STS issued into an account; keeping it keeps credentials valid.
KEPT_ON_RESET = {"iam", "sts"}
INVALID_LEARNER = "A learner name is 1-64 letters, digits, '.', '_', '@' or '-'."
LEARNER_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


class InvalidLearner(ValueError):
    pass


def bootstrap_credentials() -> dict:
    """The lab's own identity for STS AssumeRole: random for each start, never written down."""
    return {"AccessKeyId": "AKIA" + secrets.token_hex(8).upper(),
            "SecretAccessKey": secrets.token_urlsafe(30)}


def credential_seconds() -> int:
    """How long a learner's credentials last: LAB_CREDENTIAL_SECONDS, within STS's range."""
    seconds = int(os.environ.get("LAB_CREDENTIAL_SECONDS") or DEFAULT_CREDENTIAL_SECONDS)
    return min(max(seconds, 900), 43200)


def moto_key(access_key: str) -> tuple[str, float | None] | None:
    """(account id, expiry or None) of a key moto's IAM or STS issued, None for one it does
    not know."""
    for account_id, account in list(iam_backends.items()):
        if access_key in account[PARTITION].access_keys:
            role = sts_backends[account_id][PARTITION].get_assumed_role_from_access_key(
                access_key)
            if role is None:
                return account_id, None
            return account_id, role.expiration.replace(tzinfo=datetime.UTC).timestamp()
    return None


def _expiration(at: float) -> str:
    """An expiry as STS writes it (ISO 8601, UTC)."""
    return datetime.datetime.fromtimestamp(at, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Sandbox:
    learner: str
    account_id: str
    region: str
    endpoint_url: str
    credentials: dict

    def client(self, service: str):
        return client(service, endpoint_url=self.endpoint_url, credentials=self.credentials,
                      region=self.region)

    def as_json(self) -> dict:
        return {"learner": self.learner, "account_id": self.account_id, "region": self.region,
                "endpoint_url": self.endpoint_url, "credentials": self.credentials}


def account_id_for(learner: str, salt: int = 0) -> str:
    digest = hashlib.sha256(f"{learner}:{salt}".encode()).hexdigest()
    # Leading 9 keeps clear of moto's default account (123456789012) and AWS's own ids.
    return "9" + str(int(digest, 16) % 10**11).zfill(11)


class Accounts:
    def __init__(self, *, endpoint_url: str, bootstrap: dict | None = None,
                 learner_seconds: int | None = None):
        self.endpoint_url = endpoint_url
        self.bootstrap = bootstrap or bootstrap_credentials()
        self.learner_seconds = learner_seconds or credential_seconds()
        self.expiry: dict[str, float] = {}  # access key -> epoch seconds, learners' keys
        self._lock = threading.Lock()
        self._sandboxes: dict[str, Sandbox] = {}
        self._owners: dict[str, str] = {}  # account id -> learner
        self._function_credentials: dict[tuple[str, str], dict] = {}
        self._service_sandboxes: dict[str, Sandbox] = {}
        self.callers: dict[str, tuple[str, str]] = {}  # access key -> (account, who), for traces

    def sandbox(self, learner: str) -> Sandbox:
        """The learner's sandbox, created on first use, with credentials that have more than
        RENEW_BEFORE_SECONDS left (a new set when the last is close to expiry)."""
        if not LEARNER_NAME.match(learner or ""):
            raise InvalidLearner(INVALID_LEARNER)
        with self._lock:
            found = self._sandboxes.get(learner)
            if found and self.expiry[found.credentials["AccessKeyId"]] - time.time() \
                    > RENEW_BEFORE_SECONDS:
                return found
            if found:
                account = found.account_id
            else:
                salt = 0
                while (account := account_id_for(learner, salt)) in self._owners:
                    salt += 1
                self._owners[account] = learner
        return self._issue(learner, account)

    def rotate(self, learner: str) -> Sandbox:
        """A new set of credentials for the learner; moto forgets the old key, which is
        refused from then on (a reset sandbox's old keys reach nothing)."""
        old = self.sandbox(learner)
        sandbox = self._issue(learner, old.account_id)
        self._revoke(old.account_id, old.credentials["AccessKeyId"])
        return sandbox

    def _issue(self, learner: str, account: str) -> Sandbox:
        credentials = self._assume(account, LEARNER_ROLE, session_name=f"learner-{learner}",
                                   seconds=self.learner_seconds)
        expires = time.time() + self.learner_seconds
        credentials["Expiration"] = _expiration(expires)
        sandbox = Sandbox(learner=learner, account_id=account, region=REGION,
                          endpoint_url=self.endpoint_url, credentials=credentials)
        with self._lock:
            self._sandboxes[learner] = sandbox
            self.expiry[credentials["AccessKeyId"]] = expires
            self.callers[credentials["AccessKeyId"]] = (account, f"learner:{learner}")
        return sandbox

    def _revoke(self, account_id: str, access_key: str) -> None:
        """moto forgets the key: IAM's access key and STS's assumed-role session."""
        iam_backends[account_id][PARTITION].access_keys.pop(access_key, None)
        sts = sts_backends[account_id][PARTITION]
        sts.assumed_roles = [r for r in sts.assumed_roles if r.access_key_id != access_key]
        with self._lock:
            self.callers.pop(access_key, None)
            self.expiry.pop(access_key, None)

    def refusal(self, access_key: str) -> tuple[int, str, str] | None:
        """Why a request signed with this key is refused (status, code, message), or None:
        a key neither this lab nor moto's STS issued, or one past its expiry, reaches no
        account (moto would take an unknown key into its default account and never looks
        at expiry)."""
        with self._lock:
            known = access_key in self.callers
            expires = self.expiry.get(access_key)
        if not known:
            found = moto_key(access_key)
            if found is None:
                return INVALID_TOKEN
            expires = found[1]
        if expires is not None and time.time() >= expires:
            return EXPIRED_TOKEN
        return None

    def caller_arn(self, access_key: str, account_id: str) -> str:
        """The ARN AWS names a caller by in a refusal: its assumed role's session."""
        role = sts_backends[account_id][PARTITION].get_assumed_role_from_access_key(access_key)
        return role.arn if role else f"arn:aws:iam::{account_id}:root"

    def find(self, learner: str) -> Sandbox | None:
        with self._lock:
            return self._sandboxes.get(learner)

    def owner(self, account_id: str) -> str | None:
        with self._lock:
            return self._owners.get(account_id)

    def function_credentials(self, account_id: str, role_arn: str, function_name: str) -> dict:
        """Environment variables carrying the function's execution-role credentials."""
        key = (account_id, role_arn)
        with self._lock:
            credentials = self._function_credentials.get(key)
        if credentials is None:
            role_name = role_arn.rsplit("/", 1)[-1]
            credentials = self._assume(account_id, role_name, session_name=function_name[:64])
            with self._lock:
                self._function_credentials[key] = credentials
                self.callers[credentials["AccessKeyId"]] = (account_id,
                                                            f"function:{function_name}")
        return {"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
                "AWS_SESSION_TOKEN": credentials["SessionToken"]}

    def service_sandbox(self, account_id: str) -> Sandbox:
        """Credentials in an account for the lab's own calls on AWS services' behalf (a
        destination delivery, a poller), which the trace shows as `service`."""
        with self._lock:
            found = self._service_sandboxes.get(account_id)
        if found is None:
            credentials = self._assume(account_id, "lab-service", session_name="aws-service")
            found = Sandbox(learner=f"service:{account_id}", account_id=account_id,
                            region=REGION, endpoint_url=self.endpoint_url,
                            credentials=credentials)
            with self._lock:
                self._service_sandboxes[account_id] = found
                self.callers[credentials["AccessKeyId"]] = (account_id, "aws-service")
        return found

    def _assume(self, account_id: str, role_name: str, *, session_name: str,
                seconds: int = LAB_ROLE_SECONDS) -> dict:
        sts = client("sts", endpoint_url=self.endpoint_url, credentials=self.bootstrap)
        response = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}",
                                   RoleSessionName=re.sub(r"[^\w+=,.@-]", "-",
                                                          session_name)[:64],
                                   DurationSeconds=seconds)
        credentials = response["Credentials"]
        return {k: credentials[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}

    def count(self) -> int:
        with self._lock:
            return len(self._sandboxes)

    def forget(self, learner: str) -> None:
        """Drop a learner's sandbox after reset(): its account's IAM and STS too, so its
        credentials stop working and its memory is freed. sandbox() makes it afresh, in the
        same account (the id comes from the learner's name)."""
        with self._lock:
            sandbox = self._sandboxes.pop(learner, None)
            if sandbox is None:
                return
            account_id = sandbox.account_id
            self._owners.pop(account_id, None)
            self._service_sandboxes.pop(account_id, None)
            gone = {k for k, v in self.callers.items() if v[0] == account_id}
            self.callers = {k: v for k, v in self.callers.items() if k not in gone}
            self.expiry = {k: v for k, v in self.expiry.items() if k not in gone}
        for backend in list(BackendDict._instances):
            if backend.service_name in KEPT_ON_RESET and account_id in backend:
                backend[account_id].reset()
                del backend[account_id]

    def reset(self, account_id: str) -> None:
        """Empty every service of one account. Its credentials stay valid (IAM and STS are
        kept) and its S3 bucket names are freed; no other account is touched."""
        for backend in list(BackendDict._instances):
            if backend.service_name in KEPT_ON_RESET or account_id not in backend:
                continue
            backend[account_id].reset()
            del backend[account_id]
        with self._lock:
            self._function_credentials = {k: v for k, v in self._function_credentials.items()
                                          if k[0] != account_id}
