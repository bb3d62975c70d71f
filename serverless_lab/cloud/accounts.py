"""One AWS account per learner, reached only with credentials issued into that account.

A learner's account id is derived from their name, so the same learner lands in the same
account after a restart. Credentials come from STS AssumeRole into the account, which is how
moto maps an access key to an account (never the process-wide MOTO_ACCOUNT_ID).
"""

import hashlib
import re
import threading
from dataclasses import dataclass

from moto.core.base_backend import BackendDict

from .clients import REGION, client

LEARNER_ROLE = "lab-learner"
# Keys that only reach moto's default account; used solely to call STS AssumeRole.
BOOTSTRAP = {"AccessKeyId": "AKIALABBOOTSTRAP0000", "SecretAccessKey": "bootstrap"}
# IAM holds the access keys STS issued into an account; keeping it keeps credentials valid.
KEPT_ON_RESET = {"iam", "sts"}
INVALID_LEARNER = "A learner name is 1-64 letters, digits, '.', '_', '@' or '-'."
LEARNER_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


class InvalidLearner(ValueError):
    pass


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
    def __init__(self, *, endpoint_url: str):
        self.endpoint_url = endpoint_url
        self._lock = threading.Lock()
        self._sandboxes: dict[str, Sandbox] = {}
        self._owners: dict[str, str] = {}  # account id -> learner
        self._function_credentials: dict[tuple[str, str], dict] = {}
        self._service_sandboxes: dict[str, Sandbox] = {}
        self.callers: dict[str, tuple[str, str]] = {}  # access key -> (account, who), for traces

    def sandbox(self, learner: str) -> Sandbox:
        """The learner's sandbox, created on first use."""
        if not LEARNER_NAME.match(learner or ""):
            raise InvalidLearner(INVALID_LEARNER)
        with self._lock:
            if learner in self._sandboxes:
                return self._sandboxes[learner]
            salt = 0
            while (account := account_id_for(learner, salt)) in self._owners:
                salt += 1
            self._owners[account] = learner
        credentials = self._assume(account, LEARNER_ROLE, session_name=f"learner-{learner}")
        sandbox = Sandbox(learner=learner, account_id=account, region=REGION,
                          endpoint_url=self.endpoint_url, credentials=credentials)
        with self._lock:
            self._sandboxes[learner] = sandbox
            self.callers[credentials["AccessKeyId"]] = (account, f"learner:{learner}")
        return sandbox

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

    def _assume(self, account_id: str, role_name: str, *, session_name: str) -> dict:
        sts = client("sts", endpoint_url=self.endpoint_url, credentials=BOOTSTRAP)
        response = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}",
                                   RoleSessionName=re.sub(r"[^\w+=,.@-]", "-",
                                                          session_name)[:64],
                                   DurationSeconds=43200)
        credentials = response["Credentials"]
        return {k: credentials[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}

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
