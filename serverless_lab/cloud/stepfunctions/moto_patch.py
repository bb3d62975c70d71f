"""Where moto's Step Functions interpreter meets the lab: the moto internals the lab replaces.

moto 5.2.5 is pinned; tests/cloud/test_stepfunctions.py runs every patched path (tasks, Retry,
Wait, history, CloudFormation), so a change in moto fails there first. What each patch is for
is told in execution.py; a wiring (`_current()`) is an `ExecutionWiring`.
"""

import inspect
import json
import logging
import sys
import time
import uuid
from functools import cache

import botocore.session
from moto.core.config import default_user_config
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_lambda,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
    StateTaskLambda,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
    WaitFunction,
)
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.asl.utils import boto_client
from moto.stepfunctions.parser.backend.execution_worker import (
    ExecutionWorker,
    SyncExecutionWorker,
)
from moto.stepfunctions.parser.models import (
    StepFunctionsParserBackend,
    stepfunctions_parser_backends,
)
from moto.stepfunctions.parser.utils import TMP_THREADS

from .execution import (
    LAMBDA_UNKNOWN_CAUSE,
    NOT_FROM_A_TASK,
    ExecutionCredentials,
    definition_string,
    lab_seconds,
)

# What the lab replaces or wraps, with the parameters it was written for; tests compare them
# with moto's originals (ORIGINAL_PARAMETERS, read before any patch) so a moto change fails loudly.
EXPECTED_PARAMETERS = {
    "StateMachine.create_from_cloudformation_json": (
        "resource_name", "cloudformation_json", "account_id", "region_name", "kwargs"),
    "StateMachine.update_from_cloudformation_json": (
        "original_resource", "new_resource_name", "cloudformation_json", "account_id",
        "region_name"),
    "StepFunctionsParserBackend.start_execution": (
        "self", "state_machine_arn", "name", "execution_input", "trace_header"),
    "StateTask._eval_state_credentials": ("self", "env"),
    "boto_client_for": ("region", "service", "state_credentials"),
    "StateTaskLambda._from_error": ("self", "env", "ex"),
    "StateTaskServiceLambda._from_error": ("self", "env", "ex"),
    "StateTaskServiceLambda._error_cause_from_client_error": ("client_error",),
    "ExecutionWorker.start": ("self",),
    "SyncExecutionWorker.start": ("self",),
    "ExecutionWorker._execution_logic": ("self",),
    "ExecutionWorker._get_evaluation_environment": ("self",),
    "EventManager.add_event": ("self", "context", "event_type", "event_details", "timestamp",
                               "update_source_event_id"),
    "WaitFunction._wait_interval": ("self", "env", "wait_seconds"),
}
_REPLACED = {
    "StateMachine.create_from_cloudformation_json":
        sfn_models.StateMachine.create_from_cloudformation_json,
    "StateMachine.update_from_cloudformation_json":
        sfn_models.StateMachine.update_from_cloudformation_json,
    "StepFunctionsParserBackend.start_execution": StepFunctionsParserBackend.start_execution,
    "StateTask._eval_state_credentials": StateTask._eval_state_credentials,
    "boto_client_for": boto_client.boto_client_for,
    "StateTaskLambda._from_error": StateTaskLambda._from_error,
    "StateTaskServiceLambda._from_error":
        state_task_service_lambda.StateTaskServiceLambda._from_error,
    "StateTaskServiceLambda._error_cause_from_client_error":
        state_task_service_lambda.StateTaskServiceLambda._error_cause_from_client_error,
    "ExecutionWorker.start": ExecutionWorker.start,
    "SyncExecutionWorker.start": SyncExecutionWorker.start,
    "ExecutionWorker._execution_logic": ExecutionWorker._execution_logic,
    "ExecutionWorker._get_evaluation_environment": ExecutionWorker._get_evaluation_environment,
    "EventManager.add_event": EventManager.add_event,
    "WaitFunction._wait_interval": WaitFunction._wait_interval,
}
ORIGINAL_PARAMETERS = {name: tuple(inspect.signature(fn).parameters)
                       for name, fn in _REPLACED.items()}
# moto's Retrier sleeps with time.sleep, which the lab runs on lab time (_RetryTime).
RETRIER_SLEEPS = "time.sleep(" in inspect.getsource(retrier_decl.RetrierDecl._eval_body)

# moto's internals are per process: the last lab cloud installed is the one they reach, and
# stopping it gives them back to the one before (`lab bench` runs its own inside another).
_wirings: list = []
_patched = False


def install(wiring) -> None:
    """Patch moto (once) and point the patches at wiring's lab cloud."""
    global _patched
    _wirings.append(wiring)
    if not _patched:
        _patch()
        _patched = True


def uninstall(cloud) -> None:
    _wirings[:] = [w for w in _wirings if w.cloud is not cloud]


def _current():
    return _wirings[-1]


def _patch() -> None:
    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
    # A failing state is the learner's to read in the history and the trace; moto would also
    # log each one, with the state's whole parse tree, to the lab's console.
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    # CloudFormation must create state machines where the API (in executing mode) reads them.
    # (Only the models module's name: the server finds its URL map through the package's.)
    sfn_models.stepfunctions_backends = stepfunctions_parser_backends
    _patch_cloudformation()
    _patch_start_execution()
    _patch_service_calls()
    _patch_lifecycle()
    _patch_lab_time()


def _patch_cloudformation() -> None:
    machine = sfn_models.StateMachine
    create = machine.create_from_cloudformation_json.__func__
    update = machine.update_from_cloudformation_json.__func__

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        properties["DefinitionString"] = definition_string(properties, name=resource_name)
        created = create(cls, resource_name, cloudformation_json, account_id, region_name,
                         **kwargs)
        created.type = properties.get("StateMachineType", "STANDARD")  # as DescribeStateMachine
        return created

    def update_from_cloudformation_json(cls, original_resource, new_resource_name,
                                        cloudformation_json, account_id, region_name):
        properties = cloudformation_json.get("Properties", {})
        properties["DefinitionString"] = definition_string(properties, name=new_resource_name)
        return update(cls, original_resource, new_resource_name, cloudformation_json,
                      account_id, region_name)

    machine.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    machine.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)


def _patch_start_execution() -> None:
    original = StepFunctionsParserBackend.start_execution

    def start_execution(self, state_machine_arn, name=None, execution_input=None,
                        trace_header=None):
        # AWS names an unnamed execution with a UUID; moto's executing backend would use None.
        if name:
            self._validate_name(name)
        TMP_THREADS[:] = [t for t in TMP_THREADS if t.is_alive()]  # moto never empties it
        return original(self, state_machine_arn, name or str(uuid.uuid4()), execution_input,
                        trace_header)

    StepFunctionsParserBackend.start_execution = start_execution


def _patch_service_calls() -> None:
    original_credentials = StateTask._eval_state_credentials

    def _eval_state_credentials(self, env):
        found = original_credentials(self, env)
        execution = env.states.context_object.context_object_data["Execution"]
        return ExecutionCredentials(role_arn=found.role_arn,
                                    account_id=env.aws_execution_details.account,
                                    execution_arn=execution["Id"])

    StateTask._eval_state_credentials = _eval_state_credentials

    def boto_client_for(region: str, service: str, state_credentials=None):
        if not isinstance(state_credentials, ExecutionCredentials):
            raise RuntimeError(NOT_FROM_A_TASK)
        return _current().task_client(region=region, service=service,
                                   credentials=state_credentials)

    original = boto_client.boto_client_for
    for module in list(sys.modules.values()):
        if (getattr(module, "__name__", "").startswith("moto.stepfunctions.parser")
                and getattr(module, "boto_client_for", None) is original):
            module.boto_client_for = boto_client_for

    for task_class in (StateTaskLambda, state_task_service_lambda.StateTaskServiceLambda):
        task_class._from_error = _lambda_unknown(task_class._from_error)
    state_task_service_lambda.StateTaskServiceLambda._error_cause_from_client_error = (
        staticmethod(_lambda_client_error(
            state_task_service_lambda.StateTaskServiceLambda._error_cause_from_client_error)))


def _lambda_client_error(original):
    """Step Functions names a Lambda API error `Lambda.<exception>` when Lambda's API models
    that exception (Lambda.ResourceNotFoundException, Lambda.TooManyRequestsException) and
    `Lambda.AWSLambdaException` otherwise (an AccessDeniedException, for one)."""

    def _error_cause_from_client_error(client_error):
        error, cause = original(client_error)
        if client_error.response["Error"]["Code"] not in _lambda_exceptions():
            error = "Lambda.AWSLambdaException"
        return error, cause

    return _error_cause_from_client_error


@cache
def _lambda_exceptions() -> frozenset[str]:
    model = botocore.session.get_session().get_service_model("lambda")
    return frozenset(name for name in model.shape_names
                     if model.shape_for(name).metadata.get("exception"))


def _lambda_unknown(original):
    """A function error without an error type (a timeout, a crashed or out-of-memory runtime)
    is `Lambda.Unknown` on AWS, not the generic `Exception` moto reports."""

    def _from_error(self, env, ex):
        failure = original(self, env, ex)
        if not isinstance(ex, lambda_eval_utils.LambdaFunctionErrorException):
            return failure
        try:
            error_type = json.loads(ex.payload).get("errorType")
        except (json.JSONDecodeError, AttributeError):
            error_type = None
        if error_type and not error_type.startswith(("Runtime.", "Sandbox.")):
            return failure
        cause = (ex.payload if error_type
                 else LAMBDA_UNKNOWN_CAUSE.format(payload=ex.payload))
        details = {kind: {**detail, "error": "Lambda.Unknown", "cause": cause}
                   for kind, detail in (failure.event_details or {}).items()}
        return FailureEvent(env=env, error_name=CustomErrorName("Lambda.Unknown"),
                            event_type=failure.event_type, event_details=details)

    return _from_error


def _patch_lifecycle() -> None:
    def account_of(worker) -> str:
        return worker._evaluation_details.aws_execution_details.account

    for worker_class in (ExecutionWorker, SyncExecutionWorker):
        original_start = worker_class.start

        def start(self, _original=original_start):
            # Not quiet from the moment StartExecution answers until the execution ends.
            self.lab_wiring = _current()  # the execution stays with the lab cloud it began in
            self.lab_wiring.begin(account_of(self))
            _original(self)

        worker_class.start = start

    original_logic = ExecutionWorker._execution_logic
    original_environment = ExecutionWorker._get_evaluation_environment

    def _execution_logic(self):
        try:
            original_logic(self)
        finally:
            (getattr(self, "lab_wiring", None) or _current()).end(account_of(self))

    def _get_evaluation_environment(self):
        env = original_environment(self)
        env.event_manager.lab_execution = (account_of(self),
                                           self._evaluation_details.execution_details.arn)
        return env

    ExecutionWorker._execution_logic = _execution_logic
    ExecutionWorker._get_evaluation_environment = _get_evaluation_environment

    original_add = EventManager.add_event

    def add_event(self, context, event_type, event_details=None, timestamp=None,
                  update_source_event_id=True):
        event_id = original_add(self, context, event_type, event_details, timestamp,
                                update_source_event_id)
        _current().mirror(self, event_id, event_type, event_details)
        return event_id

    EventManager.add_event = add_event


class _RetryTime:
    """Stands in for the `time` module in moto's Retrier, whose only use is sleep()."""

    @staticmethod
    def sleep(seconds: float) -> None:
        lab = lab_seconds(seconds)
        _current().note(f"retry after {seconds:g} s (lab time: {lab * 1000:.0f} ms)")
        time.sleep(lab)


def _patch_lab_time() -> None:
    def _wait_interval(self, env, wait_seconds):
        _current().wait(account_id=env.aws_execution_details.account, seconds=wait_seconds,
                     running=env.is_running)

    WaitFunction._wait_interval = _wait_interval
    retrier_decl.time = _RetryTime
