"""Provisioned concurrency inside the runtime: the environments kept initialised for a
version or alias.

Provisioned concurrency keeps N environments of a version or alias initialised ahead (their
AWS_LAMBDA_INITIALIZATION_TYPE is `provisioned-concurrency`): an invocation through that
qualifier takes one without Init, and spills over to on-demand environments when all N are
busy. They are never reaped while the configuration exists; one that dies is replaced. The
Lambda API side (Put/Get/List/Delete, the concurrency checks) is awslambda/provisioned.py.
"""

import threading

from .functions import PROVISIONED, ExecutionEnvironment, FunctionConfig, ProvisionedPool


class ProvisionedEnvironments:
    """The provisioned-concurrency half of LambdaRuntime (a mixin: it shares the runtime's
    lock, spawner and counters)."""

    def provisioned_total(self, account_id: str) -> int:
        """Provisioned concurrency configured in the account (what it sets aside)."""
        return sum(p.requested for p in list(self._provisioned.values())
                   if p.fn.account_id == account_id)

    def _take_provisioned(self, fn: FunctionConfig, qualified_arn: str):
        """An idle provisioned environment of the qualifier fn was invoked through, counted
        as running; None when it has none free (the invocation spills over to on-demand)."""
        with self._lock:
            pool = self._provisioned.get(qualified_arn)
            if pool is None or not pool.idle or pool.fn.environment_key != fn.environment_key:
                return None
            env = pool.idle.pop()
            self._busy.add(env.pid)
            self._count_in(fn, provisioned=True)
            return env

    def provision(self, key: str, fn: FunctionConfig, count: int, *, on_init=None):
        """Keep `count` environments of fn (a version) initialised for the qualifier `key`
        (its qualified ARN), starting them in the background: the configuration's status is
        IN_PROGRESS until all are ready, then READY (FAILED if Init fails)."""
        with self._lock:
            pool = self._provisioned.get(key)
            replaced = None
            if pool is None or pool.fn.environment_key != fn.environment_key:
                replaced = pool
                pool = ProvisionedPool(key=key, fn=fn, requested=count, on_init=on_init)
                self._provisioned[key] = pool
            pool.requested = count
            surplus = []
            while pool.allocated > count and pool.idle:
                surplus.append(pool.idle.pop())
                pool.allocated -= 1
            if pool.allocated < count:
                pool.status, pool.status_reason = "IN_PROGRESS", None
            elif pool.status != "FAILED":
                pool.status = "READY"
        if replaced is not None:
            surplus += self._drop_pool(replaced)
        self._kill_all(surplus)
        self._fill(pool)
        return pool

    def unprovision(self, key: str) -> int:
        """Delete the configuration on `key`: its idle environments stop now, busy ones when
        their invocation ends. Returns how many stopped."""
        with self._lock:
            pool = self._provisioned.pop(key, None)
            doomed = self._drop_pool(pool) if pool else []
        self._kill_all(doomed)
        return len(doomed)

    def unprovision_account(self, account_id: str) -> int:
        keys = [k for k, p in list(self._provisioned.items()) if p.fn.account_id == account_id]
        return sum(self.unprovision(k) for k in keys)

    def provisioned_status(self, key: str) -> ProvisionedPool | None:
        return self._provisioned.get(key)

    def _drop_pool(self, pool: ProvisionedPool) -> list:
        pool.deleted = True
        doomed, pool.idle = pool.idle, []
        return doomed

    def _kill_all(self, envs: list) -> None:
        for env in envs:
            env.kill()
            self.spawner.forget_exit(env.pid)

    def _fill(self, pool: ProvisionedPool) -> None:
        with self._lock:
            if pool.starting or pool.deleted or pool.allocated >= pool.requested:
                return
            pool.starting = True
        threading.Thread(target=self._provision_environments, args=(pool,), daemon=True,
                         name="lambda-provisioner").start()

    def _provision_environments(self, pool: ProvisionedPool) -> None:
        """Initialise environments until the pool has what it was asked for."""
        while True:
            with self._lock:
                if pool.deleted or self._stopped.is_set() or pool.allocated >= pool.requested:
                    if not pool.deleted and pool.allocated >= pool.requested:
                        pool.status = "READY"
                    pool.starting = False
                    return
            try:
                env, init = self._start_environment(pool.fn, PROVISIONED)
            except Exception as e:  # noqa: BLE001 - a fork that fails leaves the pool FAILED
                env, init = None, {"error": {"errorType": type(e).__name__,
                                             "errorMessage": str(e)}, "logs": ""}
            if init.get("error"):
                if env is not None:
                    self._kill_all([env])
                with self._lock:
                    error = init["error"]
                    pool.status = "FAILED"
                    pool.status_reason = f"{error['errorType']}: {error['errorMessage']}"
                    pool.starting = False
                return
            env.pool = pool
            if pool.on_init:
                pool.on_init(pool.fn, env.log_stream, init)
            with self._lock:
                keep = not pool.deleted and not self._stopped.is_set()
                if keep:
                    pool.idle.append(env)
                    pool.allocated += 1
            if not keep:
                self._kill_all([env])

    def _release_provisioned(self, env: ExecutionEnvironment, *, healthy: bool) -> None:
        pool = env.pool
        with self._lock:
            self._busy.discard(env.pid)
            if (healthy and not pool.deleted and not self._stopped.is_set()
                    and pool.allocated <= pool.requested):
                pool.idle.append(env)
                return
            pool.allocated -= 1
        self._kill_all([env])
        self._fill(pool)  # a provisioned environment that died is replaced, as on AWS
