"""Execution environments and invocations, as AWS Lambda runs them.

An environment is a worker process forked from the zygote. It serves one invocation at a time;
an invocation that finds no idle environment of its function gets a new one (a cold start, with
Init). Idle environments are reaped after `idle_ttl` seconds. Timeouts and crashes kill the
environment, and the next invocation starts cold, as on AWS.

Provisioned concurrency's environments: provisioned_pools.py. What a function, an environment
and an invocation are: functions.py.
"""

import hashlib
import io
import os
import threading
import time
import uuid
import zipfile
from pathlib import Path

from . import protocol, sandbox
from .functions import (
    ACCOUNT_LIMIT_EXCEEDED,
    DEFAULT_ACCOUNT_CONCURRENCY,
    INIT_TIMEOUT_SECONDS,
    ON_DEMAND,
    PROVISIONED,
    RESERVED_LIMIT_EXCEEDED,
    ExecutionEnvironment,
    FunctionConfig,
    Invocation,
    ProvisionedPool,
    Throttled,
    billed_duration,
    init_error_log,
    log_stream_name,
    timestamp,
    worker_limits,
)
from .provisioned_pools import ProvisionedEnvironments
from .spawner import Spawner

IDLE_TTL_SECONDS = 600  # AWS keeps idle environments for minutes; 10 is the lab's default


class LambdaRuntime(ProvisionedEnvironments):
    """Runs functions' handlers. `credentials_for` maps (account, role) to the environment
    variables of the function's credentials; `on_invocation` is told of every invocation.
    Workers run contained where bubblewrap is installed (sandbox.py): they see their own code
    at /var/task and nothing of `code_dir`'s other folders nor of the rest of the data dir."""

    ca_bundle: str | None = None  # a CA file workers trust, for the lab's HTTPS endpoints

    def __init__(self, *, endpoint_url: str, code_dir: Path, credentials_for, on_invocation=None,
                 idle_ttl: float = IDLE_TTL_SECONDS, warmup_credentials: dict | None = None,
                 account_concurrency=lambda account_id: DEFAULT_ACCOUNT_CONCURRENCY):
        self.endpoint_url = endpoint_url
        self.code_dir = code_dir
        self.credentials_for = credentials_for
        self.on_invocation = on_invocation
        self.idle_ttl = idle_ttl
        self.account_concurrency = account_concurrency
        self._running: dict[str, int] = {}  # account id -> invocations in flight
        self._running_by_function: dict[str, int] = {}
        # Inside the sandbox workers see only code_dir and share_dir of the lab's data.
        self.share_dir = code_dir.parent / "worker-share"
        self.spawner = Spawner(endpoint_url=endpoint_url, warmup_credentials=warmup_credentials,
                               functions_dir=code_dir, share_dir=self.share_dir)
        self.contained = self.spawner.contained  # None, or the sandbox's mode
        self._shared: dict[str, str] = {}  # host file -> its path inside the sandbox
        self._idle: dict[tuple, list[ExecutionEnvironment]] = {}
        self._provisioned: dict[str, ProvisionedPool] = {}  # qualified ARN -> its pool
        self._provisioned_running: dict[str, int] = {}  # account -> in flight on them
        self._busy: set[int] = set()
        self._lock = threading.Lock()
        self._code_lock = threading.Lock()
        self._stopped = threading.Event()
        threading.Thread(target=self._reap_idle, name="lambda-reaper", daemon=True).start()

    # -- environments -------------------------------------------------------------------
    def _task_root(self, fn: FunctionConfig) -> Path:
        """The function's code, unpacked once per code hash (like /var/task)."""
        return self._unpacked(fn.code_sha256, fn.code_zip)

    def _unpacked(self, digest: str, data: bytes) -> Path:
        root = self.code_dir / digest
        with self._code_lock:
            if not root.exists():
                staging = root.with_name(root.name + ".tmp")
                zipfile.ZipFile(io.BytesIO(data)).extractall(staging)
                staging.rename(root)
        return root

    def _worker_path(self, path: str) -> str:
        """Where a worker finds a public file of the lab's (copied into the share dir)."""
        if not self.contained:
            return path
        with self._code_lock:
            if path not in self._shared:
                data = Path(path).read_bytes()
                name = f"{hashlib.sha256(data).hexdigest()[:16]}-{Path(path).name}"
                if not (self.share_dir / name).exists():
                    staging = self.share_dir / f".{name}.tmp"
                    staging.write_bytes(data)
                    staging.chmod(0o644)
                    staging.rename(self.share_dir / name)
                self._shared[path] = f"{sandbox.SHARE_DIR}/{name}"
            return self._shared[path]

    def _environment_variables(self, fn: FunctionConfig, log_stream: str, task_root: Path,
                               initialization_type: str = ON_DEMAND):
        # The variables AWS sets for every Python function, then the function's own.
        variables = {
            "AWS_REGION": fn.region,
            "AWS_DEFAULT_REGION": fn.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": fn.version,
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type,
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(task_root),
            "_HANDLER": fn.handler,
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AWS_ENDPOINT_URL": self.endpoint_url,
            **({"AWS_CA_BUNDLE": self._worker_path(self.ca_bundle)}  # the lab's HTTPS
               if self.ca_bundle else {}),
            **self.credentials_for(fn.account_id, fn.role, fn.function_name),
        }
        variables.update(dict(fn.environment))
        return variables

    def _start_environment(self, fn: FunctionConfig, initialization_type: str = ON_DEMAND):
        task_root = self._task_root(fn)
        # The layers' files, unpacked like code; a contained worker sees them at /opt.
        opt_root = self._unpacked(fn.layers_sha256, fn.layers_zip) if fn.layers_zip else None
        if self.contained:  # the worker sees its code there, as on AWS
            task_root = Path(sandbox.TASK_ROOT)
            opt_root = Path(sandbox.OPT_ROOT) if opt_root else None
        log_stream = log_stream_name(fn.version)
        variables = self._environment_variables(fn, log_stream, task_root, initialization_type)
        # Init Duration as AWS reports it: from creating the environment to a ready handler.
        started = time.perf_counter()
        pid, channel = self.spawner.fork(
            limits=worker_limits(fn, own_uid=self.contained == "root"), code=fn.code_sha256,
            layers=fn.layers_sha256)
        env = ExecutionEnvironment(pid=pid, channel=channel, key=fn.environment_key,
                                   log_stream=log_stream, killer=self.spawner.kill)
        config = {
            "function_name": fn.function_name,
            "function_arn": fn.function_arn,
            "version": fn.version,
            "memory_size": fn.memory_size,
            "handler": fn.handler,
            "task_root": str(task_root),
            "opt_root": str(opt_root) if opt_root else "",
            "log_group_name": f"/aws/lambda/{fn.function_name}",
            "log_stream_name": log_stream,
            "environment": variables,
        }
        protocol.send(channel, {"op": "init", "config": config})
        channel.settimeout(INIT_TIMEOUT_SECONDS)
        try:
            init = protocol.recv(channel)
        except TimeoutError:
            init = {"logs": "", "error": {
                "errorType": "Runtime.InitTimeout", "errorMessage":
                f"Init phase timed out after {INIT_TIMEOUT_SECONDS:.2f} seconds"}}
        except protocol.ChannelClosed:
            status = self.spawner.exit_status(pid) or "signal: killed"
            init = {"logs": "", "error": {"errorType": "Runtime.ExitError",
                                          "errorMessage": f"Runtime exited with error: {status}"}}
        init["init_ms"] = (time.perf_counter() - started) * 1000
        env.strays = init.get("strays", True)
        return env, init

    def _admit(self, fn: FunctionConfig) -> None:
        """Count an on-demand invocation against the account's and the function's
        concurrency, or refuse it as Lambda does (reserved concurrency 0 throttles every
        call). Provisioned concurrency is set aside from the account's: on-demand invocations
        share what is left."""
        with self._lock:
            running = self._running_by_function.get(fn.unqualified_arn, 0)
            if fn.reserved_concurrency is not None and running >= fn.reserved_concurrency:
                raise Throttled(RESERVED_LIMIT_EXCEEDED)
            on_demand = (self._running.get(fn.account_id, 0)
                         - self._provisioned_running.get(fn.account_id, 0))
            set_aside = self.provisioned_total(fn.account_id) if self._provisioned else 0
            if on_demand + set_aside >= self.account_concurrency(fn.account_id):
                raise Throttled(ACCOUNT_LIMIT_EXCEEDED)
            self._count_in(fn)

    def _count_in(self, fn: FunctionConfig, *, provisioned: bool = False) -> None:
        """Count an invocation as running (the caller holds the lock); `_leave` undoes it."""
        self._running[fn.account_id] = self._running.get(fn.account_id, 0) + 1
        self._running_by_function[fn.unqualified_arn] = (
            self._running_by_function.get(fn.unqualified_arn, 0) + 1)
        if provisioned:
            self._provisioned_running[fn.account_id] = (
                self._provisioned_running.get(fn.account_id, 0) + 1)

    def _leave(self, fn: FunctionConfig, *, provisioned: bool = False) -> None:
        with self._lock:
            self._running[fn.account_id] -= 1
            self._running_by_function[fn.unqualified_arn] -= 1
            if provisioned:
                self._provisioned_running[fn.account_id] -= 1

    def _acquire(self, fn: FunctionConfig):
        with self._lock:
            idle = self._idle.get(fn.environment_key)
            if idle:
                env = idle.pop()
                self._busy.add(env.pid)
                return env, None
        env, init = self._start_environment(fn)
        with self._lock:
            self._busy.add(env.pid)
        return env, init

    def _release(self, env: ExecutionEnvironment, *, healthy: bool) -> None:
        if env.pool is not None:
            self._release_provisioned(env, healthy=healthy)
            return
        with self._lock:
            self._busy.discard(env.pid)
            if healthy and not self._stopped.is_set():
                env.last_used = time.monotonic()
                self._idle.setdefault(env.key, []).append(env)
                return
        env.kill()
        self.spawner.forget_exit(env.pid)

    def _reap_idle(self) -> None:
        while not self._stopped.wait(min(30.0, self.idle_ttl / 2)):
            self.reap(older_than=self.idle_ttl)

    def reap(self, *, older_than: float = 0.0, account_id: str | None = None) -> int:
        """Stop idle environments unused for `older_than` seconds (of one account, if given)."""
        cutoff = time.monotonic() - older_than
        doomed = []
        with self._lock:
            for key, envs in self._idle.items():
                if account_id and f":{account_id}:" not in key[0]:
                    continue
                keep = [e for e in envs if e.last_used > cutoff]
                doomed += [e for e in envs if e.last_used <= cutoff]
                envs[:] = keep
        for env in doomed:
            env.kill()
            self.spawner.forget_exit(env.pid)
        return len(doomed)

    def idle_through(self, account_id: str, seconds: float) -> int:
        """`seconds` of the account's lab time skipped (its clock fast-forwarded): its idle
        environments age by as much, and those now idle longer than `idle_ttl` are reaped, so
        the next invocation is a cold start as it would be after that time on AWS."""
        with self._lock:
            for key, envs in self._idle.items():
                if f":{account_id}:" in key[0]:
                    for env in envs:
                        env.last_used -= seconds
        return self.reap(older_than=self.idle_ttl, account_id=account_id)

    def environment_count(self) -> int:
        with self._lock:
            return (len(self._busy) + sum(len(v) for v in self._idle.values())
                    + sum(len(p.idle) for p in self._provisioned.values()))

    # -- invocations ---------------------------------------------------------------------
    def invoke(self, fn: FunctionConfig, event: str, *, qualified_arn: str | None = None,
               trace_header: str | None = None) -> Invocation:
        """Run fn's handler on event (a JSON document) and return what happened. Raises
        Throttled when the function or its account has no concurrency left. `qualified_arn`
        is the version or alias it was invoked through (its provisioned environments serve
        first); `trace_header` becomes the handler's _X_AMZN_TRACE_ID."""
        env = (self._take_provisioned(fn, qualified_arn)
               if qualified_arn and self._provisioned else None)
        if env is None:
            self._admit(fn)
        try:
            return self._invoke(fn, event, env, trace_header, qualified_arn)
        finally:
            self._leave(fn, provisioned=env is not None)

    def _invoke(self, fn: FunctionConfig, event: str, env=None, trace_header=None,
                qualified_arn=None) -> Invocation:
        request_id = str(uuid.uuid4())
        started_at = time.time()
        env, init = (env, None) if env is not None else self._acquire(fn)
        cold = init is not None
        init_logs = init["logs"] if cold else ""
        init_ms = init["init_ms"] if cold else None
        if cold and init.get("error"):
            self._release(env, healthy=False)
            return self._finish(fn, env, request_id, started_at, cold=True, init_ms=init_ms,
                                duration_ms=0.0, max_memory=0, payload=None,
                                error=init["error"], logs=init_error_log(init),
                                init_logs=init_logs)
        deadline = time.time() + fn.timeout
        message = {"op": "invoke", "request_id": request_id, "event": event,
                   "deadline_ms": int(deadline * 1000)}
        if trace_header:
            message["trace_id"] = trace_header
        if qualified_arn:
            message["invoked_function_arn"] = qualified_arn
        env.strays = True  # until it says otherwise, the handler may fork
        protocol.send(env.channel, message)
        env.channel.settimeout(fn.timeout)
        t0 = time.perf_counter()
        try:
            result = protocol.recv(env.channel)
        except TimeoutError:
            self._release(env, healthy=False)
            message = f"Task timed out after {fn.timeout:.2f} seconds"
            return self._finish(
                fn, env, request_id, started_at, cold=cold, init_ms=init_ms,
                duration_ms=fn.timeout * 1000, max_memory=fn.memory_size, payload=None,
                error={"errorMessage": f"{timestamp()} {request_id} {message}"},
                logs=f"{timestamp()} {request_id} {message}\n", init_logs=init_logs)
        except protocol.ChannelClosed:
            elapsed = (time.perf_counter() - t0) * 1000
            # How it ended, before the environment is killed (its exit code, not our kill),
            # with time for a busy zygote to report it.
            status = self.spawner.exit_status(env.pid, wait=5.0) or "signal: killed"
            self._release(env, healthy=False)
            message = f"Runtime exited with error: {status}"
            return self._finish(
                fn, env, request_id, started_at, cold=cold, init_ms=init_ms,
                duration_ms=elapsed, max_memory=0, payload=None,
                error={"errorType": "Runtime.ExitError", "errorMessage": message},
                logs=f"RequestId: {request_id} Error: {message}\n", init_logs=init_logs)
        env.strays = result.get("strays", True)
        self._release(env, healthy=not result.get("fatal"))
        return self._finish(fn, env, request_id, started_at, cold=cold, init_ms=init_ms,
                            duration_ms=result["duration_ms"], max_memory=result["max_memory_mb"],
                            payload=result["payload"], error=result["error"],
                            logs=result["logs"], init_logs=init_logs)

    def _finish(self, fn, env, request_id, started_at, *, cold, init_ms, duration_ms,
                max_memory, payload, error, logs, init_logs="") -> Invocation:
        invocation = Invocation(
            request_id=request_id, function_name=fn.function_name, account_id=fn.account_id,
            cold_start=cold, duration_ms=round(duration_ms, 2),
            billed_duration_ms=billed_duration(duration_ms, init_ms),
            memory_size_mb=fn.memory_size, max_memory_used_mb=max_memory,
            init_duration_ms=round(init_ms, 2) if init_ms is not None else None,
            payload=payload, error=error, logs="", log_group=f"/aws/lambda/{fn.function_name}",
            log_stream=env.log_stream, started_at=started_at,
            initialization_type=PROVISIONED if env.pool is not None else ON_DEMAND,
            version=str(fn.version),
        )
        # What the Init phase printed comes first, before START, as in AWS's log stream.
        invocation.logs = (f"{init_logs}START RequestId: {request_id} Version: {fn.version}\n{logs}"
                           f"END RequestId: {request_id}\n{invocation.report_line}\n")
        if self.on_invocation:
            self.on_invocation(invocation)
        return invocation

    def stop(self) -> None:
        self._stopped.set()
        self.reap()
        for key in list(self._provisioned):
            self.unprovision(key)
        self.spawner.close()


