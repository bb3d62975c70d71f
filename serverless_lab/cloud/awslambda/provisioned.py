"""Provisioned concurrency: Lambda's four API operations, answered by the lab, per account.

moto 5.2.5 has no provisioned concurrency. Here, as on AWS:
- PutProvisionedConcurrencyConfig on a published version or an alias (never $LATEST) answers
  202 with Status IN_PROGRESS; the runtime initialises the environments in the background and
  the configuration turns READY once all are (FAILED, with a reason, if Init fails);
- it is set aside from the account's concurrency: a function's provisioned concurrency may
  not exceed its reserved concurrency, and otherwise must leave the account's unreserved
  concurrency at its minimum (100, or the account's limit if lower);
- Get answers the Requested, Allocated and Available counts, List every configuration of a
  function, Delete releases the environments (204, also when there was none).
Invocations through that version or alias take a provisioned environment first
(runtime/provisioned_pools.py). A configuration whose function, version or alias is gone is
dropped the next time the account's configurations are looked at.

The configuration follows its alias: "If you change the version that an alias points to,
Lambda deallocates the provisioned concurrency from the old version and allocates it to the
new version" (Lambda developer guide). UpdateAlias is moto's; the lab wraps it (`install`) so
the new version's environments start at once (IN_PROGRESS, then READY) and the old ones go,
and DeleteAlias releases the alias's environments.
"""

import functools
import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend, lambda_backends
from moto.logs.models import logs_backends

from .invoke_api import _answer, _error
from .moto_patch import function_config
from .runtime.functions import FunctionConfig
from .runtime.lambda_runtime import LambdaRuntime

PATH = re.compile(r"^/2019-09-30/functions/(?P<name>[^/]+)/provisioned-concurrency/?$")
UNRESERVED_MINIMUM = 100  # what an account's unreserved concurrency may not go below
UNPUBLISHED = ("Provisioned Concurrency Configs cannot be applied to unpublished function "
               "versions.")
NOT_ALIAS_OR_VERSION = "The function resource provided must be an alias or a published version."
NOT_FOUND = "No Provisioned Concurrency Config found for this function"
OVER_RESERVED = ("Requested Provisioned Concurrency should not be greater than the "
                 "reservedConcurrentExecution for function")
BELOW_MINIMUM = ("Specified ConcurrentExecutions for function decreases account's "
                 "UnreservedConcurrentExecution below its minimum value of [{minimum}].")
ALIAS_ON_PROVISIONED_VERSION = ("Alias can't be used for Provisioned Concurrency "
                                "configuration on an already Provisioned version")
VERSION_UNDER_ALIAS = "Version is pointed by a Provisioned Concurrency alias"
TOO_FEW = ("1 validation error detected: Value '{n}' at 'provisionedConcurrentExecutions' "
           "failed to satisfy constraint: Member must have value greater than or equal to 1")


LIST_MAX_ITEMS = 50
MAX_ITEMS_RANGE = ("1 validation error detected: Value '{n}' at 'maxItems' failed to satisfy "
                   "constraint: Member must have value {bound}")


class ApiError(Exception):
    def __init__(self, status: int, error_type: str, message: str):
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


def _max_items(text: str | None) -> int:
    """ListProvisionedConcurrencyConfigs' MaxItems: 1-50, 50 when not given."""
    if text is None:
        return LIST_MAX_ITEMS
    n = int(text) if text.lstrip("-").isdigit() else None
    if n is not None and 1 <= n <= LIST_MAX_ITEMS:
        return n
    bound = (f"less than or equal to {LIST_MAX_ITEMS}" if n is not None and n > LIST_MAX_ITEMS
             else "greater than or equal to 1")
    raise ApiError(400, "ValidationException", MAX_ITEMS_RANGE.format(n=text, bound=bound))


@dataclass
class Config:
    account_id: str
    region: str
    function_name: str
    qualifier: str
    requested: int
    last_modified: str
    version: str  # the version its environments run (an alias's, when it is on an alias)

    @property
    def arn(self) -> str:
        return (f"arn:aws:lambda:{self.region}:{self.account_id}:function:"
                f"{self.function_name}:{self.qualifier}")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _function_name(name: str) -> str:
    """A function name from a name, an ARN or a partial ARN (account:function:name)."""
    parts = name.split(":")
    if name.startswith("arn:"):
        return parts[6]
    if len(parts) >= 3 and parts[1] == "function":
        return parts[2]
    return parts[0]


class ProvisionedConcurrency:
    """Every account's provisioned concurrency configurations, and their environments."""

    def __init__(self, *, runtime: LambdaRuntime, account_concurrency):
        self.runtime = runtime
        self.account_concurrency = account_concurrency  # account id -> its limit
        self._lock = threading.RLock()
        self._configs: dict[str, Config] = {}  # qualified ARN -> its configuration

    # -- the wire ----------------------------------------------------------------------
    def handle(self, environ, start_response, *, account_id: str, region: str):
        """Answer a provisioned-concurrency request (PUT, GET, GET ?List=ALL, DELETE)."""
        query = parse_qs(environ.get("QUERY_STRING", ""))
        name = _function_name(unquote(PATH.match(environ["PATH_INFO"])["name"]))
        qualifier = query.get("Qualifier", [None])[0]
        method = environ["REQUEST_METHOD"]
        try:
            if method == "GET" and query.get("List") == ["ALL"]:
                return self._json(start_response, 200, self.list_configs(
                    account_id=account_id, region=region, function_name=name,
                    marker=query.get("Marker", [None])[0],
                    max_items=query.get("MaxItems", [None])[0]))
            if method == "PUT":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                return self._json(start_response, 202, self.put(
                    account_id=account_id, region=region, function_name=name,
                    qualifier=qualifier, count=body.get("ProvisionedConcurrentExecutions")))
            if method == "GET":
                return self._json(start_response, 200, self.get(
                    account_id=account_id, region=region, function_name=name,
                    qualifier=qualifier))
            if method == "DELETE":
                self.delete(account_id=account_id, region=region, function_name=name,
                            qualifier=qualifier)
                return _answer(start_response, 204, b"", {})
        except ApiError as e:
            return _error(start_response, e.status, e.error_type, e.message)
        return _error(start_response, 405, "MethodNotAllowed", f"{method} is not supported")

    @staticmethod
    def _json(start_response, status: int, document: dict):
        return _answer(start_response, status, json.dumps(document).encode(), {})

    # -- the operations ----------------------------------------------------------------
    def put(self, *, account_id: str, region: str, function_name: str,
            qualifier: str | None, count) -> dict:
        if not isinstance(count, int) or count < 1:
            raise ApiError(400, "ValidationException", TOO_FEW.format(n=count))
        if qualifier in (None, "", "$LATEST"):
            raise ApiError(400, "InvalidParameterValueException", UNPUBLISHED)
        with self._lock:
            self.sweep(account_id)
            backend = lambda_backends[account_id][region]
            version = self._resolve(backend, function_name, qualifier)
            self._check_conflicts(backend, account_id, region, function_name, qualifier,
                                  version)
            self._check_limits(backend, account_id, region, function_name, qualifier, count)
            config = Config(account_id, region, function_name, qualifier, count, _now(),
                            version)
            self._configs[config.arn] = config
            fn = backend.get_function(function_name, version)
            self.runtime.provision(config.arn, function_config(fn), count,
                                   on_init=_log_init(account_id, region))
        return {"RequestedProvisionedConcurrentExecutions": count,
                "AvailableProvisionedConcurrentExecutions": 0,
                "AllocatedProvisionedConcurrentExecutions": 0,
                "Status": "IN_PROGRESS", "LastModified": config.last_modified}

    def get(self, *, account_id: str, region: str, function_name: str,
            qualifier: str | None) -> dict:
        config = self._find(account_id, region, function_name, qualifier)
        if config is None:
            raise ApiError(404, "ProvisionedConcurrencyConfigNotFoundException", NOT_FOUND)
        return self._describe(config)

    def delete(self, *, account_id: str, region: str, function_name: str,
               qualifier: str | None) -> None:
        config = self._find(account_id, region, function_name, qualifier)
        if config is not None:
            with self._lock:
                self._configs.pop(config.arn, None)
            self.runtime.unprovision(config.arn)

    def list_configs(self, *, account_id: str, region: str, function_name: str,
                     marker: str | None = None, max_items: str | None = None) -> dict:
        """A page of the function's configurations (MaxItems 1-50, default 50), in ARN order;
        NextMarker (the next one's ARN) while more follow."""
        limit = _max_items(max_items)
        backend = lambda_backends[account_id][region]
        try:
            backend.get_function(function_name)
        except LambdaClientError as e:
            raise ApiError(404, "ResourceNotFoundException", e.message) from None
        with self._lock:
            self.sweep(account_id)
            configs = sorted((c for c in self._configs.values()
                              if (c.account_id, c.region, c.function_name)
                              == (account_id, region, function_name)), key=lambda c: c.arn)
        if marker:
            configs = [c for c in configs if c.arn >= marker]
        page = {"ProvisionedConcurrencyConfigs": [
            {"FunctionArn": c.arn, **self._describe(c)} for c in configs[:limit]]}
        if len(configs) > limit:
            page["NextMarker"] = configs[limit].arn
        return page

    def forget(self, account_id: str) -> None:
        """The account was reset: its configurations and environments go."""
        with self._lock:
            for arn in [a for a, c in self._configs.items() if c.account_id == account_id]:
                del self._configs[arn]
        self.runtime.unprovision_account(account_id)

    def sweep(self, account_id: str) -> None:
        """Drop the account's configurations whose function, version or alias is gone, and
        move an alias's environments to the version it points at now."""
        with self._lock:
            for config in [c for c in self._configs.values() if c.account_id == account_id]:
                backend = lambda_backends[account_id][config.region]
                try:
                    version = self._resolve(backend, config.function_name, config.qualifier)
                    fn = backend.get_function(config.function_name, version)
                except ApiError:
                    del self._configs[config.arn]
                    self.runtime.unprovision(config.arn)
                    continue
                if version != config.version:
                    config.version = version
                    self.runtime.provision(config.arn, function_config(fn), config.requested,
                                           on_init=_log_init(account_id, config.region))

    # -- helpers -----------------------------------------------------------------------
    def _find(self, account_id, region, function_name, qualifier) -> Config | None:
        if qualifier in (None, "", "$LATEST"):
            raise ApiError(400, "InvalidParameterValueException", NOT_ALIAS_OR_VERSION)
        with self._lock:
            self.sweep(account_id)
            self._resolve(lambda_backends[account_id][region], function_name, qualifier)
            arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}:{qualifier}"
            return self._configs.get(arn)

    def _describe(self, config: Config) -> dict:
        pool = self.runtime.provisioned_status(config.arn)
        ready = pool.allocated if pool else 0
        described = {"RequestedProvisionedConcurrentExecutions": config.requested,
                     "AvailableProvisionedConcurrentExecutions": ready,
                     "AllocatedProvisionedConcurrentExecutions": ready,
                     "Status": pool.status if pool else "IN_PROGRESS",
                     "LastModified": config.last_modified}
        if pool and pool.status_reason:
            described["StatusReason"] = pool.status_reason
        return described

    @staticmethod
    def _resolve(backend, function_name: str, qualifier: str) -> str:
        """The published version a qualifier names (itself, or the version of an alias)."""
        arn = (f"arn:aws:lambda:{backend.region_name}:{backend.account_id}:function:"
               f"{function_name}")
        try:
            backend.get_function(function_name)
        except LambdaClientError as e:
            raise ApiError(404, "ResourceNotFoundException", e.message) from None
        if qualifier.isdigit():
            if any(str(v.version) == qualifier
                   for v in backend.list_versions_by_function(function_name)):
                return qualifier
            raise ApiError(404, "ResourceNotFoundException",
                           f"Function not found: {arn}:{qualifier}")
        try:
            version = str(backend.get_alias(qualifier, function_name).function_version)
        except LambdaClientError as e:
            raise ApiError(404, "ResourceNotFoundException", e.message) from None
        if version == "$LATEST":
            raise ApiError(400, "InvalidParameterValueException", UNPUBLISHED)
        return version

    def _check_conflicts(self, backend, account_id, region, function_name, qualifier,
                         version) -> None:
        """A version is provisioned through one qualifier: itself or an alias on it."""
        base = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}:"
        if not qualifier.isdigit():
            if base + version in self._configs:
                raise ApiError(409, "ResourceConflictException", ALIAS_ON_PROVISIONED_VERSION)
            return
        for alias in backend.list_aliases(function_name):
            if str(alias.function_version) == qualifier and base + alias.name in self._configs:
                raise ApiError(409, "ResourceConflictException", VERSION_UNDER_ALIAS)

    def _check_limits(self, backend, account_id, region, function_name, qualifier,
                      count) -> None:
        """Provisioned concurrency comes out of the function's reserved concurrency, or else
        out of the account's unreserved concurrency, which keeps its minimum."""
        others = [c for c in self._configs.values()
                  if c.account_id == account_id and c.region == region
                  and not (c.function_name == function_name and c.qualifier == qualifier)]
        reserved = backend.get_function(function_name).reserved_concurrency
        if reserved is not None:
            mine = sum(c.requested for c in others if c.function_name == function_name)
            if mine + count > int(reserved):
                raise ApiError(400, "InvalidParameterValueException", OVER_RESERVED)
            return
        limit = self.account_concurrency(account_id)
        functions = list(backend.list_functions())
        reserved_total = sum(int(f.reserved_concurrency) for f in functions
                             if f.reserved_concurrency is not None)
        with_reserved = {f.function_name for f in functions
                         if f.reserved_concurrency is not None}
        provisioned = sum(c.requested for c in others if c.function_name not in with_reserved)
        minimum = min(UNRESERVED_MINIMUM, limit)
        if limit - reserved_total - provisioned - count < minimum:
            raise ApiError(400, "InvalidParameterValueException",
                           BELOW_MINIMUM.format(minimum=minimum))


ORIGINALS = {"update_alias": LambdaBackend.update_alias,
             "delete_alias": LambdaBackend.delete_alias}
_installed: list[ProvisionedConcurrency] = []  # the latest lab cloud's gets alias changes


def _after_alias_change(original):
    @functools.wraps(original)
    def change(self: LambdaBackend, *args, **kwargs):
        result = original(self, *args, **kwargs)
        if _installed:
            _installed[-1].sweep(self.account_id)
        return result

    return change


def install(configurations: ProvisionedConcurrency) -> None:
    """Move an alias's provisioned environments when UpdateAlias repoints it, and release
    them when DeleteAlias deletes it (moto's backends are per process: the latest lab cloud
    installed gets these, until it is uninstalled)."""
    _installed.append(configurations)
    LambdaBackend.update_alias = _after_alias_change(ORIGINALS["update_alias"])
    LambdaBackend.delete_alias = _after_alias_change(ORIGINALS["delete_alias"])


def uninstall(configurations: ProvisionedConcurrency) -> None:
    if configurations in _installed:
        _installed.remove(configurations)


def _log_init(account_id: str, region: str):
    """Where a provisioned environment's Init output goes: its log stream, when it starts
    (ahead of any invocation, as on AWS)."""

    def write(fn: FunctionConfig, log_stream: str, init: dict) -> None:
        logs = logs_backends[account_id][region]
        group = f"/aws/lambda/{fn.function_name}"
        logs.ensure_log_group(group)
        if log_stream not in logs.groups[group].streams:
            logs.create_log_stream(group, log_stream)
        lines = init.get("logs", "").splitlines()
        if lines:
            at = int(datetime.now(UTC).timestamp() * 1000)
            logs.put_log_events(group, log_stream,
                                [{"timestamp": at, "message": line} for line in lines])

    return write
