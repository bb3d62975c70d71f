"""What the Lambda runtime runs and reports: a function's configuration, an execution
environment, an invocation's outcome with AWS's REPORT figures, and the limits of a worker."""

import hashlib
import math
import os
import signal
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime


class Throttled(RuntimeError):
    """No concurrency left for this invocation; `reason` is AWS's TooManyRequests reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


ACCOUNT_LIMIT_EXCEEDED = "ConcurrentInvocationLimitExceeded"
RESERVED_LIMIT_EXCEEDED = "ReservedFunctionConcurrentInvocationLimitExceeded"
DEFAULT_ACCOUNT_CONCURRENCY = 1000
ON_DEMAND = "on-demand"
PROVISIONED = "provisioned-concurrency"


@dataclass(frozen=True)
class FunctionConfig:
    """What the runtime needs to know of a function: its configuration and code."""

    account_id: str
    region: str
    function_name: str
    function_arn: str
    handler: str
    runtime: str
    memory_size: int
    timeout: float
    role: str
    code_zip: bytes = field(repr=False)
    environment: tuple[tuple[str, str], ...] = ()
    version: str = "$LATEST"
    reserved_concurrency: int | None = None
    # The function's layers' files, extracted in order into one zip (b"": no layers); a
    # worker sees them at /opt, as on AWS.
    layers_zip: bytes = field(default=b"", repr=False)

    @property
    def code_sha256(self) -> str:
        return hashlib.sha256(self.code_zip).hexdigest()

    @property
    def layers_sha256(self) -> str:
        return hashlib.sha256(self.layers_zip).hexdigest() if self.layers_zip else ""

    @property
    def unqualified_arn(self) -> str:
        """The function's ARN without a version (reserved concurrency is the function's)."""
        return ":".join(self.function_arn.split(":")[:7])

    @property
    def environment_key(self) -> tuple:
        """Environments are reused only for the same code and configuration."""
        return (self.function_arn, self.code_sha256, self.layers_sha256, self.handler,
                self.memory_size,
                self.timeout, self.environment, self.role)


@dataclass
class Invocation:
    """One invocation's outcome, with the figures of AWS's REPORT line."""

    request_id: str
    function_name: str
    account_id: str
    cold_start: bool
    duration_ms: float
    billed_duration_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None
    payload: str | None
    error: dict | None
    logs: str
    log_group: str
    log_stream: str
    started_at: float
    initialization_type: str = ON_DEMAND  # which kind of environment served it
    version: str = "$LATEST"  # the version that ran (a weighted alias picks one of two)

    @property
    def report_line(self) -> str:
        line = (f"REPORT RequestId: {self.request_id}\tDuration: {self.duration_ms:.2f} ms\t"
                f"Billed Duration: {self.billed_duration_ms} ms\t"
                f"Memory Size: {self.memory_size_mb} MB\t"
                f"Max Memory Used: {self.max_memory_used_mb} MB")
        if self.init_duration_ms is not None:
            line += f"\tInit Duration: {self.init_duration_ms:.2f} ms"
        return line


@dataclass
class ExecutionEnvironment:
    pid: int
    channel: socket.socket
    key: tuple
    log_stream: str
    last_used: float = field(default_factory=time.monotonic)
    pool: "ProvisionedPool | None" = None  # set for a provisioned-concurrency environment
    killer: object = None  # (pid, sweep=) -> None: the spawner's kill (sandbox's pids)
    strays: bool = True  # whether it may have processes of its own (unknown: True)

    def kill(self) -> None:
        if self.killer is not None:
            self.killer(self.pid, sweep=self.strays)
        else:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.channel.close()


@dataclass(eq=False)
class ProvisionedPool:
    """The environments provisioned concurrency keeps for one version or alias."""

    key: str  # the qualified ARN the configuration is on (version or alias)
    fn: FunctionConfig  # the version its environments run
    requested: int
    on_init: object = None  # (fn, log_stream, init) -> None: where Init's logs go
    idle: list = field(default_factory=list)
    allocated: int = 0  # initialised environments (idle or busy)
    starting: bool = False
    status: str = "IN_PROGRESS"
    status_reason: str | None = None
    deleted: bool = False


def timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def log_stream_name(version: str = "$LATEST") -> str:
    return f"{datetime.now(UTC):%Y/%m/%d}/[{version}]{uuid.uuid4().hex}"



INIT_TIMEOUT_SECONDS = 10  # AWS gives the Init phase 10 seconds


def billed_duration(duration_ms: float, init_ms: float | None) -> int:
    """Rounded up to the millisecond. Since August 2025 AWS bills the Init phase of
    on-demand functions too, so a cold start's billed duration includes it. An invocation
    served by a provisioned environment has no Init (its Init ran ahead, paid for as
    provisioned concurrency), so only its duration is billed."""
    return math.ceil(duration_ms + (init_ms or 0))


WORKER_PROCESS_LIMIT = 64  # processes and threads of one worker (AWS allows 1024)


def worker_limits(fn: FunctionConfig, *, own_uid: bool = False) -> dict[str, int]:
    """Resource limits of a worker process: a runaway handler hits these, not the machine.
    `own_uid`: the worker runs as a uid of its own (the sandbox as root), so RLIMIT_NPROC,
    which counts a uid's processes, caps this worker alone (a fork bomb stops there)."""
    limits = {
        # CPU seconds over the environment's whole life: generous (warm environments live long),
        # since a runaway invocation is stopped by its timeout first.
        "RLIMIT_CPU": 3600,
        "RLIMIT_FSIZE": 512 * 1024 * 1024,  # /tmp is 512 MB by default on AWS
        "RLIMIT_NOFILE": 1024,
    }
    if own_uid:
        limits["RLIMIT_NPROC"] = WORKER_PROCESS_LIMIT
    return limits


def init_error_log(init: dict) -> str:
    error = init["error"]
    return f"[ERROR] {error['errorType']}: {error['errorMessage']}\n"
