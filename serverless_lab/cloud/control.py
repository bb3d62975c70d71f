"""The lab cloud's control API under /_lab/: JSON in, JSON out, for the web app and the CLI.

Every route takes a learner; the learner's sandbox is the only account it touches.
Every route but `GET /_lab/health` asks for the lab's control token (control_token.py) as
`Authorization: Bearer <token>`: without it, 401 and nothing done.
"""

import hmac
import json
import logging
import os
import secrets
import shutil
import threading
import time
from pathlib import Path

from moto.awslambda.models import lambda_backends
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import trace
from .accounts import InvalidLearner
from .awslambda.build import package_size_refused
from .awslambda.runtime.functions import Throttled
from .clock import ClockError, duration_seconds
from .deploy.drafts import (
    DraftError,
    deployment_describe,
    draft_make,
    draft_remove,
    drafts_forget,
    drafts_tidy,
    handlers_import_checked,
    paths_inside_checked,
    stack_exists,
)
from .deploy.prepared import template_prepare
from .deploy.sam import TemplateError, template_read
from .deploy.stack import STACK_NAME, DeployError, stack_deploy
from .inventory import (
    NO_SUCH_OBJECT,
    InventoryError,
    inventory_empty,
    inventory_object,
    inventory_read,
)
from .quotas import ENVIRONMENT_VARIABLES as QUOTA_NAMES
from .quotas import Quotas, quotas_checked

logger = logging.getLogger(__name__)
UNKNOWN_FUNCTION = "no function {function!r} in stack {stack!r}"
NOT_A_FOLDER = "{path} is not a folder with a template.yaml"
UNAUTHORIZED = ("the lab's control API needs its token: Authorization: Bearer <token> "
                "(LAB_CONTROL_TOKEN, or the control-token file in the lab's data directory)")
OPEN_PATHS = {"/_lab/health"}
# Deploys are refused while the lab's data directory has less free space than this (MB).
MIN_FREE_MB_VARIABLE = "LAB_DEPLOY_MIN_FREE_MB"
MIN_FREE_MB_DEFAULT = 200
DISK_FULL = ("The lab's disk is nearly full ({free} MB free in its data directory, {needed} MB "
             "needed), so nothing new can be deployed now; tell whoever runs the lab.")
PREVIOUS_BACK = ("The stack's previous version is deployed again: your sandbox is as it was "
                 "(its tables and queues start empty)")
PREVIOUS_LOST = "The stack's previous version could not be deployed again either: {error}"
BAD_MIN_FREE = "LAB_DEPLOY_MIN_FREE_MB is a whole number of megabytes, not {value!r}"


class ControlError(ValueError):
    status = 400


class ControlApi:
    def __init__(self, cloud):
        self.cloud = cloud
        self.boot_id = secrets.token_hex(8)
        # (account, stack) -> the folder of its last deploy that succeeded, and a lock each
        self.last_good: dict[tuple[str, str], Path] = {}
        self._deploying: dict[tuple[str, str], threading.Lock] = {}
        self.routes = Map([
            Rule("/_lab/health", endpoint="health", methods=["GET"]),
            Rule("/_lab/sandboxes", endpoint="sandbox", methods=["POST"]),
            Rule("/_lab/deploy", endpoint="deploy", methods=["POST"]),
            Rule("/_lab/deployment", endpoint="deployment", methods=["GET"]),
            Rule("/_lab/reset", endpoint="reset", methods=["POST"]),
            Rule("/_lab/invoke", endpoint="invoke", methods=["POST"]),
            Rule("/_lab/recycle", endpoint="recycle", methods=["POST"]),
            Rule("/_lab/trace", endpoint="trace", methods=["GET"]),
            Rule("/_lab/inventory", endpoint="inventory", methods=["GET"]),
            Rule("/_lab/settings", endpoint="settings", methods=["POST"]),
            Rule("/_lab/clock", endpoint="clock", methods=["GET"]),
            Rule("/_lab/clock", endpoint="clock_advance", methods=["POST"]),
        ])

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path not in OPEN_PATHS and not self._authorized(request):
            response = Response(json.dumps({"error": UNAUTHORIZED}), status=401,
                                mimetype="application/json",
                                headers={"WWW-Authenticate": 'Bearer realm="lab"'})
            return response(environ, start_response)
        try:
            endpoint, _ = self.routes.bind_to_environ(environ).match()
            params = dict(request.args)
            if request.method == "POST":
                params.update(json.loads(request.get_data() or b"{}"))
            document, status = getattr(self, endpoint)(params), 200
        except (ControlError, DeployError, TemplateError, InvalidLearner,
                InventoryError) as e:
            document, status = {"error": str(e)}, 400
        except json.JSONDecodeError as e:
            document, status = {"error": f"request body is not JSON: {e}"}, 400
        except NotFound:
            document, status = {"error": f"no such control route {request.path}"}, 404
        except HTTPException as e:
            document, status = {"error": e.description}, e.code
        except Exception as e:  # noqa: BLE001 - the caller gets a JSON answer, never HTML
            logger.exception("control route %s failed", request.path)
            document, status = {"error": f"the lab cloud failed: {type(e).__name__}: {e}"}, 500
        response = Response(json.dumps(document, default=str), status=status,
                            mimetype="application/json")
        return response(environ, start_response)

    def _authorized(self, request) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self.cloud.control_token.encode())

    def _sandbox(self, params):
        learner = params.get("learner")
        if not learner:
            raise ControlError("learner is required")
        return self.cloud.accounts.sandbox(learner)

    def health(self, params):
        # boot_id is new at every start: a web app that sees it change knows that sandboxes
        # made before are gone (sandboxes/client.py rebuilds them).
        return {"ok": True, "url": self.cloud.url, "boot_id": self.boot_id, "pid": os.getpid(),
                "sandboxes": self.cloud.accounts.count(),
                "environments": self.cloud.runtime.environment_count()}

    def sandbox(self, params):
        return {**self._sandbox(params).as_json(), "boot_id": self.boot_id}

    def deploy(self, params):
        """Deploy a SAM folder as a stack of the learner's sandbox. With `files` (relative
        path -> text), a copy of the folder with those files laid over it (drafts.py), checked
        before the stack is touched: its template translates, each function's package is
        within Lambda's unzipped limit, each handler imports. A deploy that fails after the
        old stack was removed deploys the last good version again (and says so)."""
        sandbox = self._sandbox(params)
        folder = Path(params.get("path", ""))
        if not (folder.is_dir() and any((folder / n).exists()
                                        for n in ("template.yaml", "template.yml"))):
            raise ControlError(NOT_A_FOLDER.format(path=folder))
        stack = params.get("stack") or folder.name
        if not STACK_NAME.match(stack):  # before it names a folder of drafts
            raise ControlError(f"invalid stack name {stack!r}")
        files = params.get("files")
        self._disk_space_checked()
        key = (sandbox.account_id, stack)
        with self._deploying.setdefault(key, threading.Lock()):
            target = folder
            if files is not None:
                try:
                    target = draft_make(data_dir=self.cloud.data_dir,
                                        account_id=sandbox.account_id, stack=stack,
                                        source=folder, files=files)
                except DraftError as e:
                    raise ControlError(str(e)) from None
            try:
                deployment = self._deploy_checked(sandbox, target, stack, key,
                                                  draft=files is not None)
            except BaseException:
                if target != folder and target != self.last_good.get(key):
                    draft_remove(target)
                raise
            self.last_good[key] = target
            drafts_tidy(keep={target}, data_dir=self.cloud.data_dir,
                        account_id=sandbox.account_id, stack=stack)
        self._dead_letters_keep(sandbox, deployment)
        return deployment.as_json()

    def _dead_letters_keep(self, sandbox, deployment) -> None:
        for function_name, dead_letter in deployment.dead_letter_targets.items():
            self.cloud.dead_letters[(sandbox.account_id, function_name)] = dead_letter

    def _deploy_checked(self, sandbox, folder: Path, stack: str, key, *, draft: bool):
        build_cache = self.cloud.data_dir / "builds"
        template = template_read(folder)
        if draft:
            try:
                paths_inside_checked(template, folder)
            except DraftError as e:
                raise ControlError(str(e)) from None
        refused = package_size_refused(template, folder)  # before anything is read or zipped
        if refused:
            raise ControlError(refused)
        if draft:
            prepared = template_prepare(folder=folder, region=sandbox.region,
                                        build_cache=build_cache)  # TemplateError: refused
            try:
                handlers_import_checked(runtime=self.cloud.runtime, sandbox=sandbox,
                                        prepared=prepared)
            except DraftError as e:
                raise ControlError(str(e)) from None
        existed = stack_exists(sandbox, stack)
        try:
            return stack_deploy(sandbox=sandbox, folder=folder, stack_name=stack,
                                build_cache=build_cache)
        except DeployError as e:
            previous = self.last_good.get(key)
            if not (existed and previous and previous.is_dir()
                    and not stack_exists(sandbox, stack)):
                raise
            try:
                self._dead_letters_keep(sandbox, stack_deploy(
                    sandbox=sandbox, folder=previous, stack_name=stack, build_cache=build_cache))
            except (DeployError, TemplateError) as again:
                raise ControlError(f"{e}. {PREVIOUS_LOST.format(error=again)}") from None
            raise ControlError(f"{e}. {PREVIOUS_BACK}") from None

    def deployment(self, params):
        """What is deployed now as `stack` (as a deploy answers), without deploying:
        {"deployment": null} when the sandbox has no such stack."""
        sandbox = self._sandbox(params)
        stack = params.get("stack", "")
        return {"deployment": deployment_describe(sandbox, stack)}

    def _disk_space_checked(self) -> None:
        """A deploy writes builds and function code under the data directory: refused, saying
        why, when too little space is left for it (LAB_DEPLOY_MIN_FREE_MB, read each time)."""
        value = os.environ.get(MIN_FREE_MB_VARIABLE, "").strip() or str(MIN_FREE_MB_DEFAULT)
        if not value.isdigit():
            raise ControlError(BAD_MIN_FREE.format(value=value))
        folder = Path(self.cloud.data_dir)
        while not folder.exists() and folder != folder.parent:  # made at the first deploy
            folder = folder.parent
        free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
        if free_mb < int(value):
            logger.warning("deploy refused: %s MB free in %s", free_mb, self.cloud.data_dir)
            raise ControlError(DISK_FULL.format(free=free_mb, needed=int(value)))

    def reset(self, params):
        sandbox = self._sandbox(params)
        started = time.perf_counter()
        self.cloud.runtime.reap(account_id=sandbox.account_id)
        self.cloud.provisioned.forget(sandbox.account_id)
        self.cloud.accounts.reset(sandbox.account_id)
        self.last_good = {k: v for k, v in self.last_good.items() if k[0] != sandbox.account_id}
        drafts_forget(data_dir=self.cloud.data_dir, account_id=sandbox.account_id)
        self.cloud.recorder.forget(sandbox.account_id)
        self.cloud.events.forget(sandbox.account_id)
        if params.get("forget"):  # an idle sandbox evicted: its credentials and memory go too
            self.cloud.accounts.forget(sandbox.learner)
            self.cloud.dead_letters = {k: v for k, v in self.cloud.dead_letters.items()
                                       if k[0] != sandbox.account_id}
            self.cloud.concurrency_limits.pop(sandbox.account_id, None)
            self.cloud.quotas.forget(sandbox.account_id)
        else:  # new keys for the learner; the old ones are refused from now on
            self.cloud.accounts.rotate(sandbox.learner)
        return {"ok": True, "account_id": sandbox.account_id,
                "seconds": round(time.perf_counter() - started, 3)}

    def recycle(self, params):
        """Stop the sandbox's idle environments, so the next invocations start cold (as an
        update of a function's code or configuration does on AWS)."""
        sandbox = self._sandbox(params)
        return {"stopped": self.cloud.runtime.reap(account_id=sandbox.account_id)}

    def invoke(self, params):
        sandbox = self._sandbox(params)
        stack, function = params.get("stack", ""), params.get("function", "")
        cloudformation = sandbox.client("cloudformation")
        try:
            resources = cloudformation.describe_stack_resources(StackName=stack)
        except Exception:  # noqa: BLE001 - a missing stack is the learner's error to read
            raise ControlError(f"no stack {stack!r} in this sandbox; deploy it first") from None
        names = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
                 for r in resources["StackResources"]
                 if r.get("ResourceType") == "AWS::Lambda::Function"}
        name = names.get(function) or (function if function in names.values() else None)
        if name is None:
            raise ControlError(UNKNOWN_FUNCTION.format(function=function, stack=stack))
        fn = lambda_backends[sandbox.account_id][sandbox.region].get_function(name)
        event = params.get("event", {})
        self.cloud.recorder.record(sandbox.account_id, trace.DELIVERY, source="lab:invoke",
                                   target=name, mode="sync", event=event)
        try:
            invocation = self.cloud.invoke(fn, json.dumps(event))
        except Throttled as throttled:
            raise ControlError(f"TooManyRequestsException: Rate Exceeded. ({throttled.reason})"
                               ) from None
        return {"invocation": {**vars(invocation), "report": invocation.report_line}}

    def settings(self, params):
        """Sandbox settings a lab may change, e.g. a concurrency limit of 10 to show
        throttling (AWS's default is 1,000 per Region), or the sandbox's quotas
        ({"quotas": {"functions": 5, "stored_mb": 1, "environments": 2}}; see quotas.py)."""
        sandbox = self._sandbox(params)
        quotas = params.get("quotas", {})
        if not isinstance(quotas, dict) or set(quotas) - set(QUOTA_NAMES):
            raise ControlError(f"quotas is an object of {', '.join(QUOTA_NAMES)}")
        if "concurrency_limit" in params:
            limit = params["concurrency_limit"]
            if not isinstance(limit, int) or limit < 0:
                raise ControlError("concurrency_limit is a whole number, 0 or more")
        try:
            checked = quotas_checked(quotas, base=Quotas())
        except ValueError as e:
            raise ControlError(str(e)) from None
        if "concurrency_limit" in params:
            self.cloud.concurrency_limits[sandbox.account_id] = params["concurrency_limit"]
        if quotas:
            self.cloud.quotas.update(sandbox.account_id, {k: getattr(checked, k)
                                                          for k in quotas})
        return {"account_id": sandbox.account_id,
                "concurrency_limit": self.cloud.concurrency_limits.get(sandbox.account_id,
                                                                       1000),
                "quotas": self.cloud.quotas.of(sandbox.account_id).as_json()}

    def clock(self, params):
        """The sandbox's lab time and its schedules, each with its next firing."""
        return self.cloud.events.schedules.describe(self._sandbox(params).account_id)

    def clock_advance(self, params):
        """Fast-forward the sandbox's clock ({advance: "24h"}), firing every schedule that
        falls due in the skipped time, in order, each with its scheduled time."""
        sandbox = self._sandbox(params)
        try:
            return self.cloud.events.schedules.advance(
                sandbox.account_id, duration_seconds(params.get("advance")))
        except ClockError as e:
            raise ControlError(str(e)) from None

    def trace(self, params):
        sandbox = self._sandbox(params)
        since = int(params.get("since", 0))
        events = self.cloud.recorder.since(sandbox.account_id, since)
        return {"events": events, "last_seq": self.cloud.recorder.last_seq(),
                "boot_id": self.boot_id,
                "quiet": self.cloud.recorder.quiet(sandbox.account_id)}

    def inventory(self, params):
        """What the learner's sandbox holds now (inventory.py), each table with one page of
        items (`table` and `start` for a later page); with `bucket` and `key`, that object
        of the sandbox's, its bytes in base64. Reading makes no sandbox: a learner who has
        none yet holds nothing."""
        learner = params.get("learner")
        if not learner:
            raise ControlError("learner is required")
        sandbox = self.cloud.accounts.find(learner)
        if params.get("bucket"):
            if sandbox is None:
                raise InventoryError(NO_SUCH_OBJECT.format(key=params.get("key", ""),
                                                           bucket=params["bucket"]))
            return {"object": inventory_object(account_id=sandbox.account_id,
                                               region=sandbox.region, bucket=params["bucket"],
                                               key=params.get("key", ""))}
        if sandbox is None:
            return inventory_empty(account_id=None, stack=params.get("stack") or None)
        try:
            limit = int(params.get("limit") or 20)
        except ValueError:
            raise ControlError("limit is a whole number") from None
        return inventory_read(account_id=sandbox.account_id, region=sandbox.region,
                              stack=params.get("stack") or None, table=params.get("table") or None,
                              start=params.get("start") or None, limit=limit)
