"""Per-sandbox quotas for a class server, so one learner cannot starve a class (issue 11).

Three limits per sandbox (account), from the environment of the lab cloud's process and
changeable per sandbox through `POST /_lab/settings`:
- LAB_QUOTA_FUNCTIONS: Lambda functions. CreateFunction beyond it (a deploy's included) is
  refused as Lambda refuses a function when the account's code storage is full:
  400 CodeStorageExceededException "Code storage limit exceeded.";
- LAB_QUOTA_STORED_MB: bytes stored, summed over S3 objects, DynamoDB items and queued SQS
  messages. AWS has no such per-account limit for S3 or DynamoDB, so their refusals are the
  lab's own (S3: 403 QuotaExceeded; DynamoDB: 400 QuotaExceededException); SQS refuses with
  its own limit error, 403 OverLimit;
- LAB_QUOTA_ENVIRONMENTS: execution environments running at once, i.e. the sandbox's
  concurrency: an invocation beyond it is throttled as Lambda throttles, 429
  TooManyRequestsException (ConcurrentInvocationLimitExceeded).
The defaults are far above what any pattern uses. Every check runs before the write, so a
refused call changes nothing. Measuring what an account stores walks its objects, items and
messages, so it is done only when a write might not fit: each account keeps an upper bound
(the last measure plus what was written since; deletes only lower the truth).

The checks are wrapped around moto's backends (every entry listed in a moto_patch.py:
awslambda/, s3/, sqs/ and kinesis/ for DynamoDB); tests/cloud/test_quotas.py.
"""

import functools
import json
import os
import threading
from dataclasses import asdict, dataclass, replace

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend, lambda_backends
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.s3.models import S3Backend, s3_backends
from moto.sqs.exceptions import SQSException
from moto.sqs.models import SQSBackend, sqs_backends
from werkzeug.exceptions import HTTPException

MB = 1024 * 1024
ENVIRONMENT_VARIABLES = {"functions": "LAB_QUOTA_FUNCTIONS", "stored_mb": "LAB_QUOTA_STORED_MB",
                         "environments": "LAB_QUOTA_ENVIRONMENTS"}
CODE_STORAGE_EXCEEDED = "Code storage limit exceeded."  # Lambda's own message
STORAGE_FULL = ("This sandbox's storage quota is used up: {stored} of {limit} MB stored (S3 "
                "objects, DynamoDB items and queued messages count). This is a limit of the "
                "lab's class server, not of AWS: delete what you no longer need, or reset the "
                "sandbox.")
BAD_QUOTA = "{name} is a whole number, 0 or more (stored_mb: a number of MB)"


@dataclass(frozen=True)
class Quotas:
    functions: int = 200
    stored_mb: float = 512
    environments: int = 200

    @property
    def stored_bytes(self) -> int:
        return int(self.stored_mb * MB)

    def as_json(self) -> dict:
        return asdict(self)


def quotas_checked(values: dict, *, base: Quotas) -> Quotas:
    """base with the given values ({functions, stored_mb, environments}: numbers, or strings
    of numbers as the environment gives them); ValueError names a bad one."""
    changes = {}
    for name, value in values.items():
        try:
            number = float(value) if name == "stored_mb" else int(str(value))
        except (TypeError, ValueError):
            number = -1
        if isinstance(value, bool) or number < 0:
            raise ValueError(BAD_QUOTA.format(name=name))
        changes[name] = number
    return replace(base, **changes)


def quotas_from_environment(environ=os.environ) -> Quotas:
    quotas = Quotas()
    for name, variable in ENVIRONMENT_VARIABLES.items():
        if environ.get(variable):
            try:
                quotas = quotas_checked({name: environ[variable]}, base=quotas)
            except ValueError:
                raise ValueError(f"{variable}={environ[variable]!r}: "
                                 + BAD_QUOTA.format(name=name)) from None
    return quotas


class QuotaBook:
    """Each account's quotas (the defaults unless set) and its stored-bytes bound."""

    def __init__(self, defaults: Quotas | None = None):
        self.defaults = defaults or quotas_from_environment()
        self._lock = threading.Lock()
        self._set: dict[str, Quotas] = {}
        self._bound: dict[str, int] = {}  # account -> at least what it stores

    def of(self, account_id: str) -> Quotas:
        with self._lock:
            return self._set.get(account_id, self.defaults)

    def update(self, account_id: str, values: dict) -> Quotas:
        with self._lock:
            self._set[account_id] = quotas_checked(
                values, base=self._set.get(account_id, self.defaults))
            self._bound.pop(account_id, None)  # measured afresh against the new limit
            return self._set[account_id]

    def forget(self, account_id: str) -> None:
        """Back to the defaults (a forgotten sandbox starts afresh, as its limits do)."""
        with self._lock:
            self._set.pop(account_id, None)
            self._bound.pop(account_id, None)

    def store(self, account_id: str, adding: int, refuse) -> None:
        """Count `adding` bytes about to be written, or call refuse(message) (which raises)
        if they do not fit."""
        limit = self.of(account_id).stored_bytes
        with self._lock:
            bound = self._bound.get(account_id)
            if bound is not None and bound + adding <= limit:
                self._bound[account_id] = bound + adding
                return
        stored = stored_bytes(account_id)
        if stored + adding > limit:
            refuse(STORAGE_FULL.format(stored=round(stored / MB, 3),
                                       limit=round(limit / MB, 3)))
        with self._lock:
            self._bound[account_id] = stored + adding


def stored_bytes(account_id: str) -> int:
    """What the account stores: S3 objects, DynamoDB items, SQS messages not yet deleted."""
    total = 0
    for partition in list(s3_backends.get(account_id, {}).values()):
        for bucket in list(partition.buckets.values()):
            total += sum(getattr(key, "size", 0) or 0 for key in list(bucket.keys.values()))
    for backend in list(dynamodb_backends.get(account_id, {}).values()):
        for table in list(backend.tables.values()):
            total += sum(item.size() for item in table.all_items())
    for backend in list(sqs_backends.get(account_id, {}).values()):
        for queue in list(backend.queues.values()):
            total += sum(len(str(m.body).encode()) for m in list(queue._messages))
    return total


def function_count(account_id: str) -> int:
    return sum(len(list(backend.list_functions()))
               for backend in list(lambda_backends.get(account_id, {}).values()))


def functions_refused(account_id: str, adding: list[str]) -> str | None:
    """Why creating the functions named in `adding` would exceed the sandbox's quota, as
    CloudFormation names the resource whose creation failed; None if they fit."""
    if not _book or not adding:
        return None
    limit, count = _book[-1].of(account_id).functions, function_count(account_id)
    if count + len(adding) <= limit:
        return None
    failing = adding[max(0, limit - count)]
    return (f"{failing}: CodeStorageExceededException: {CODE_STORAGE_EXCEEDED} (the lab's "
            f"quota: {limit} functions per sandbox; {count} there, {len(adding)} to create)")


class S3QuotaExceeded(HTTPException):
    """The lab's refusal (AWS has no per-account byte limit for S3), in S3's error shape."""

    code = 403

    def __init__(self, message: str):
        super().__init__(message)
        self.description = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>QuotaExceeded'
                            f"</Code><Message>{_xml(message)}</Message></Error>")

    def get_headers(self, *args, **kwargs):
        return [("Content-Type", "application/xml")]

    def get_body(self, *args, **kwargs):
        return self.description


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _refuse_s3(message):
    raise S3QuotaExceeded(message)


def _refuse_dynamodb(message):  # the lab's error: DynamoDB has no per-account byte limit
    raise JsonRESTError("com.amazonaws.dynamodb.v20120810#QuotaExceededException", message)


def _refuse_sqs(message):  # SQS's own error for an action that violates a limit
    raise SQSException("OverLimit", message)


def _size(value) -> int:
    return len(json.dumps(value, default=str)) if value else 0


_book: list[QuotaBook] = []  # the running lab cloud's (last installed) book


def _check_function(book, backend, spec, *args, **kwargs):
    if function_count(backend.account_id) >= book.of(backend.account_id).functions:
        raise LambdaClientError("CodeStorageExceededException", CODE_STORAGE_EXCEEDED)


def _check_object(book, backend, bucket_name, key_name, value, *args, **kwargs):
    book.store(backend.account_id, len(value or b""), _refuse_s3)


def _check_item(book, backend, table_name, item_attrs, *args, **kwargs):
    book.store(backend.account_id, _size(item_attrs), _refuse_dynamodb)


def _check_update(book, backend, *args, **kwargs):
    book.store(backend.account_id, _size([args[1:], kwargs]), _refuse_dynamodb)


def _check_transaction(book, backend, transact_items, *args, **kwargs):
    book.store(backend.account_id, _size(transact_items), _refuse_dynamodb)


def _check_message(book, backend, queue_name, message_body, *args, **kwargs):
    book.store(backend.account_id, len(str(message_body).encode()), _refuse_sqs)


def _checked(method, check):
    """method, with check run first; a method already checked is returned as it is (other
    patches may be installed over it by a later lab cloud, and are then wrapped again)."""
    if getattr(method, "lab_quota_check", False):
        return method

    @functools.wraps(method)
    def checked(self, *args, **kwargs):
        if _book:
            check(_book[-1], self, *args, **kwargs)
        return method(self, *args, **kwargs)

    checked.lab_quota_check = True
    return checked


def install(book: QuotaBook) -> None:
    """Check moto's writes against book (the newest installed decides: one lab cloud per
    process, bar `lab bench`'s own inside a running one, with the same defaults)."""
    _book.append(book)
    LambdaBackend.create_function = _checked(LambdaBackend.create_function, _check_function)
    S3Backend.put_object = _checked(S3Backend.put_object, _check_object)
    DynamoDBBackend.put_item = _checked(DynamoDBBackend.put_item, _check_item)
    DynamoDBBackend.update_item = _checked(DynamoDBBackend.update_item, _check_update)
    DynamoDBBackend.transact_write_items = _checked(DynamoDBBackend.transact_write_items,
                                                    _check_transaction)
    SQSBackend.send_message = _checked(SQSBackend.send_message, _check_message)


def uninstall(book: QuotaBook) -> None:
    """Stop checking against book; with no book left, nothing is checked."""
    if book in _book:
        _book.remove(book)
