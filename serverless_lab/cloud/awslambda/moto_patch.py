"""Where moto meets the lab's runtime: the one private moto method the lab replaces.

moto runs Lambda code only in Docker, through `LambdaFunction._invoke_lambda(self, event)
-> (payload, errored, logs)`. Every caller goes through it (Invoke, S3, SNS and SQS deliveries,
DynamoDB and Kinesis streams, Step Functions), so replacing it routes them all to the lab's
runtime. It is private: moto is pinned exactly, and tests/cloud/test_moto_contract.py fails
loudly if its signature changes.

Also patched for Lambda, next to the behaviour each serves (every entry is one moto internal;
tests/cloud/test_moto_patches.py fails when a patch is not listed in a moto_patch.py):
- `LambdaStorage.put_alias`, `LambdaStorage.update_alias`: awslambda/alias_routing.py
  (RoutingConfig checked as AWS does; tests/cloud/awslambda/test_alias_routing.py);
- `LambdaBackend.update_alias`, `LambdaBackend.delete_alias`: awslambda/provisioned.py
  (provisioned environments follow the alias;
  tests/cloud/awslambda/test_provisioned_concurrency.py);
- `SQSBackend.send_message`: awslambda/recursion.py (SQS keeps a handler's trace header as
  AWSTraceHeader; tests/cloud/awslambda/test_recursion.py, test_moto_contract.py);
- `Permission.create_from_cloudformation_json`: deploy/lambda_aliases.py (a permission on an
  alias or version is scoped to it; test_moto_contract.py);
- `LambdaBackend.create_function`: quotas.py (a sandbox's quota of functions, refused with
  CodeStorageExceededException; tests/cloud/test_quotas.py);
- here: `LambdaFunction._invoke_lambda`, `LambdaBackend.send_sns_message`,
  `notifications._invoke_awslambda`, and moto's server dispatch
  (`moto.backends.list_of_moto_modules`, `moto.core.responses.method_names_from_class`).
"""

import contextvars
import functools
import inspect
import io
import json
import zipfile

from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.s3 import notifications

from .runtime.functions import FunctionConfig, Invocation
from .runtime.lambda_runtime import LambdaRuntime

EXPECTED_SIGNATURE = "(self, event: 'str | None' = None) -> 'tuple[str, bool, str]'"
# moto's S3 and SNS deliveries, which name the function (an alias or version ARN too) and then
# hand `_invoke_lambda` only the version it resolved to.
NAMING_SIGNATURES = {
    "s3": "(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None",
    "sns": "(self, function_name: 'str', message: 'str', subject: 'str | None' = None, "
           "qualifier: 'str | None' = None) -> 'None'",
}
_delivering_to = contextvars.ContextVar("lab_delivering_to", default=None)


def function_config(fn: LambdaFunction) -> FunctionConfig:
    return FunctionConfig(
        account_id=fn.account_id,
        region=fn.region,
        function_name=fn.function_name,
        function_arn=fn.function_arn,
        handler=fn.handler,
        runtime=fn.run_time or "python3.12",
        memory_size=int(fn.memory_size),
        timeout=float(fn.timeout),
        role=fn.role,
        code_zip=fn.code_bytes,
        reserved_concurrency=(int(fn.reserved_concurrency)
                              if fn.reserved_concurrency is not None else None),
        environment=tuple(sorted((k, str(v)) for k, v in (fn.environment_vars or {}).items())),
        version=str(fn.version),
        layers_zip=layers_zip(fn),
    )


_layer_zips: dict[tuple, bytes] = {}
CACHED_LAYER_ZIPS = 64


def layers_zip(fn: LambdaFunction) -> bytes:
    """The function's layers' files in one zip, each layer extracted over the ones before it
    (as Lambda extracts them into /opt); b"" for none. Layer versions never change, so the
    zip is made once per list of layer versions."""
    from moto.awslambda.models import lambda_backends

    backend = lambda_backends[fn.account_id][fn.region]
    versions = [version for layer in getattr(fn, "layers", None) or []
                if isinstance(layer, dict) and layer.get("Arn")
                and (version := backend.layers_versions_by_arn(layer["Arn"])) is not None
                and getattr(version, "code_bytes", None)]
    if not versions:
        return b""
    key = tuple(version.code_sha_256 for version in versions)
    if key not in _layer_zips:
        files: dict[str, bytes] = {}
        for version in versions:
            with zipfile.ZipFile(io.BytesIO(version.code_bytes)) as archive:
                files.update({i.filename: archive.read(i) for i in archive.infolist()
                              if not i.is_dir()})
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), files[name])
        while len(_layer_zips) >= CACHED_LAYER_ZIPS:
            _layer_zips.pop(next(iter(_layer_zips)))
        _layer_zips[key] = buffer.getvalue()
    return _layer_zips[key]


def save_logs(fn: LambdaFunction, invocation: Invocation) -> None:
    """Write the invocation's lines to /aws/lambda/<name>, one stream per environment."""
    logs = fn.logs_backend
    logs.ensure_log_group(invocation.log_group)
    group = logs.groups[invocation.log_group]
    if invocation.log_stream not in group.streams:
        logs.create_log_stream(invocation.log_group, invocation.log_stream)
    at = int(invocation.started_at * 1000)
    events = [{"timestamp": at, "message": line} for line in invocation.logs.splitlines()]
    logs.put_log_events(invocation.log_group, invocation.log_stream, events)


def lambda_invoke(runtime: LambdaRuntime, fn: LambdaFunction, document: str,
                  **options) -> Invocation:
    """Invoke a moto function in the lab's runtime and keep its logs, as AWS would.
    `options` go to LambdaRuntime.invoke (qualified_arn, trace_header)."""
    invocation = runtime.invoke(function_config(fn), document, **options)
    save_logs(fn, invocation)
    return invocation


def install(invoke):
    """Send every moto Lambda invocation to `invoke(function, event_json)`, which returns an
    Invocation, or None when it queued the event for asynchronous invocation. Returns what was
    installed before, for `restore` (moto's backends are per process, so is this hook)."""
    previous = LambdaFunction._invoke_lambda

    def _invoke_lambda(self: LambdaFunction, event: str | dict | None = None):
        # moto passes a dict from Invoke and a JSON string from its event sources.
        document = event if isinstance(event, str) else json.dumps(event or {})
        invocation = invoke(self, document)
        if invocation is None:
            return "", False, ""
        if invocation.error is not None:
            return json.dumps(invocation.error), True, invocation.logs
        return invocation.payload or "null", False, invocation.logs

    LambdaFunction._invoke_lambda = _invoke_lambda
    notifications._invoke_awslambda = _naming(ORIGINAL_S3_INVOKE, _s3_target)
    LambdaBackend.send_sns_message = _naming(ORIGINAL_SNS_INVOKE, _sns_target)
    return previous


def delivering_to() -> str | None:
    """The function name or ARN (with its alias or version, if it has one) that the moto
    S3 or SNS delivery in progress on this thread names, for the qualifier AWS would keep."""
    return _delivering_to.get()


def _naming(original, target):
    @functools.wraps(original)
    def delivery(*args, **kwargs):
        token = _delivering_to.set(target(*args, **kwargs))
        try:
            return original(*args, **kwargs)
        finally:
            _delivering_to.reset(token)

    return delivery


def _s3_target(account_id, event_body, fn_arn, region_name):
    return fn_arn


def _sns_target(self, function_name, message, subject=None, qualifier=None):
    return f"{function_name}:{qualifier}" if qualifier else function_name


def restore(previous) -> None:
    LambdaFunction._invoke_lambda = previous


def speed_up_dispatch() -> None:
    """Two pure lookups moto's server repeats on every request, cached: the listing of its
    own package directory (to recognise a service by host) and the method names of a
    response class (to find an action). Both depend only on the installed moto."""
    import moto.backends
    import moto.core.responses

    modules = tuple(ORIGINAL_MODULE_LISTING())
    moto.backends.list_of_moto_modules = lambda: modules
    moto.core.responses.method_names_from_class = functools.cache(ORIGINAL_METHOD_NAMES)


def signature_matches() -> bool:
    return str(inspect.signature(ORIGINAL_INVOKE)) == EXPECTED_SIGNATURE


def naming_signatures_match() -> bool:
    return (str(inspect.signature(ORIGINAL_S3_INVOKE)) == NAMING_SIGNATURES["s3"]
            and str(inspect.signature(ORIGINAL_SNS_INVOKE)) == NAMING_SIGNATURES["sns"])


ORIGINAL_INVOKE = LambdaFunction._invoke_lambda
ORIGINAL_S3_INVOKE = notifications._invoke_awslambda
ORIGINAL_SNS_INVOKE = LambdaBackend.send_sns_message
ORIGINAL_MODULE_LISTING = __import__("moto.backends").backends.list_of_moto_modules
ORIGINAL_METHOD_NAMES = __import__("moto.core.responses").core.responses.method_names_from_class
