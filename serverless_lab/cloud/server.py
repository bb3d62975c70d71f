"""The lab cloud: moto's server on loopback, wrapped by the lab.

One threaded WSGI server answers three kinds of request:
- `/_lab/...`: the control API the web app and the CLI use (control.py);
- `/restapis/<id>/<stage>/_user_request_/...` and `/_aws/execute-api/<id>/...`: learners'
  REST APIs (apigateway/rest.py) and HTTP APIs (apigateway/http_api.py);
- everything else: AWS API calls, handled by moto and recorded in the caller's trace.
Threaded is required: handlers call back into the server while an invocation is in flight.
"""

import io
import json
import os
import secrets
import tempfile
import threading
import time
from pathlib import Path

from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from . import quotas, request_auth, trace, wire
from .accounts import Accounts, moto_key
from .apigateway import aws_integration
from .apigateway.messages import HttpRequest
from .apigateway.rest import EXECUTE_API, USER_REQUEST, RestApiGateway
from .apigateway.websocket import WebSocketGateway
from .awslambda import alias_routing, invoke_api, moto_patch, provisioned, recursion
from .awslambda.async_invoke import AsyncInvoker
from .awslambda.event_source_mapping.sqs_poller import SqsMappings
from .awslambda.event_source_mapping.stream_mappings import StreamMappings
from .awslambda.runtime.lambda_runtime import LambdaRuntime
from .clock import LabClock
from .control import ControlApi
from .control_token import ControlTokenError, control_token_load
from .deploy import moto_patch as deploy_patch
from .eventbridge import moto_patch as eventbridge_patch
from .eventbridge.plane import EventPlane
from .firehose import moto_patch as firehose_patch
from .firehose.delivery import Firehose
from .http_server import KeepAliveRequestHandler
from .iam import enforce as iam_enforce
from .iam import moto_patch as iam_patch
from .kinesis import moto_patch as kinesis_patch
from .s3 import moto_patch as s3_patch
from .sns import moto_patch as sns_patch
from .sqs import moto_patch as sqs_patch
from .sqs import redrive_policy
from .stepfunctions import moto_patch as stepfunctions_patch
from .stepfunctions.execution import ExecutionWiring

DEFAULT_PORT = 4566
# How AWS hands each source's events to Lambda: pushed as an asynchronous invocation, or
# polled by an event source mapping that then invokes synchronously.
DELIVERY_MODES = {"aws:s3": "async", "aws:sns": "async", "aws:events": "async",
                  "aws:sqs": "poll", "aws:kinesis": "poll", "aws:dynamodb": "poll"}
MAX_RECORDED_BODY = 1 << 20


class LabApp:
    """The WSGI application: the dispatch described above."""

    def __init__(self, cloud: "LabCloud"):
        self.cloud = cloud
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_lab/"):
            return self.cloud.control(environ, start_response)
        if found := USER_REQUEST.match(path) or EXECUTE_API.match(path):
            return self._user_request(found, environ, start_response)
        return self._aws_call(environ, start_response)

    def _user_request(self, found, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        request = HttpRequest(
            method=environ["REQUEST_METHOD"], path=found["path"] or "/", headers=headers,
            query=environ.get("QUERY_STRING", ""),
            body=environ["wsgi.input"].read(length) if length else b"",
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"))
        response = self.cloud.rest_apis.handle(api_id=found["api_id"],
                                               stage=found.groupdict().get("stage"),
                                               request=request)
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        headers += [("Set-Cookie", cookie) for cookie in response.cookies]
        headers.append(("Content-Length", str(len(response.body))))
        start_response(f"{response.status} {_reason(response.status)}", headers)
        return [response.body]

    def _aws_call(self, environ, start_response):
        # moto lets this header choose the account: only the lab sets it, from the signature.
        environ.pop("HTTP_X_MOTO_ACCOUNT_ID", None)
        signed = wire.signed_by(environ)
        if signed is None:
            if refusal := request_auth.unsigned_refusal(environ):
                return request_auth.refuse(environ, start_response, refusal, service="sts")
            return self.moto(environ, start_response)
        key, service = signed
        accounts = self.cloud.accounts
        if key == accounts.bootstrap["AccessKeyId"]:
            return self.moto(environ, start_response)
        if refusal := accounts.refusal(key):
            return request_auth.refuse(environ, start_response, refusal, service=service)
        account_id, caller = self.cloud.caller(key)
        # moto reads a presigned URL's key from SigV2's AWSAccessKeyId only, so a SigV4
        # presigned request would land in its default account: name the signer's.
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = account_id
        if refusal := request_auth.assume_role_refusal(
                environ, service=service, account_id=account_id,
                caller_arn=accounts.caller_arn(key, account_id)):
            return request_auth.refuse(environ, start_response, refusal, service=service)
        if caller.startswith("function:"):
            # What this call triggers belongs to the calling function's chain of invocations:
            # its trace header says how deep it is, as on AWS.
            header = environ.get(recursion.TRACE_HEADER)
            depth = recursion.lineage_depth(header) or self.cloud.chains.depth_of(
                account_id, caller.removeprefix("function:"))
            with recursion.calling_from(depth, header):
                return self._record_aws_call(environ, start_response, key=key, service=service,
                                             account_id=account_id, caller=caller)
        return self._record_aws_call(environ, start_response, key=key, service=service,
                                     account_id=account_id, caller=caller)

    def _record_aws_call(self, environ, start_response, *, key, service, account_id, caller):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if 0 < length <= MAX_RECORDED_BODY else b""
        if body:
            environ["wsgi.input"] = io.BytesIO(body)
        event = self.cloud.recorder.record(
            account_id, trace.API_CALL, service=service, caller=caller,
            operation=wire.operation(environ, service, body),
            request=wire.summary(environ, body))
        started = time.perf_counter()
        status = {}

        def recording_start_response(status_line, headers, exc_info=None):
            status["code"] = int(status_line.split()[0])
            return start_response(status_line, headers, exc_info)

        try:
            # A handler's call: its execution role's identity policies decide (iam/enforce.py).
            if caller.startswith("function:") and (denied := iam_enforce.refusal(
                    environ, service=service, body=body, account_id=account_id,
                    access_key=key, region=wire.region(environ))):
                event.update(error=denied.code, message=denied.message)
                return iam_enforce.refuse(environ, recording_start_response, denied)
            if service == "lambda" and invoke_api.INVOKE_PATH.match(environ.get("PATH_INFO", "")):
                return invoke_api.handle(self.cloud, environ, recording_start_response,
                                         account_id=account_id, region=wire.region(environ),
                                         fallback=self.moto)
            if service == "lambda" and provisioned.PATH.match(environ.get("PATH_INFO", "")):
                return self.cloud.provisioned.handle(environ, recording_start_response,
                                                     account_id=account_id,
                                                     region=wire.region(environ))
            return self.moto(environ, recording_start_response)
        finally:
            event.update(status=status.get("code", 500),
                         duration_ms=round((time.perf_counter() - started) * 1000, 2))


class LabCloud:
    """Everything the lab runs, started together and stopped together."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 data_dir: Path | None = None, idle_ttl: float | None = None,
                 control_token: str | None = None):
        self.server = make_server(host, port, LabApp(self), threaded=True,
                                  request_handler=KeepAliveRequestHandler)
        self.port = self.server.server_port
        reach = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self.url = f"http://{reach}:{self.port}"
        self.data_dir = Path(data_dir or os.environ.get("LAB_DATA_DIR")
                             or Path(tempfile.gettempdir()) / "serverless-lab")
        # The secret every /_lab/ route but health asks for (control_token.py).
        try:
            self.control_token = control_token or control_token_load(data_dir=self.data_dir)
        except ControlTokenError:  # no data directory to keep it in: this process's own
            self.control_token = secrets.token_urlsafe(32)
        # Buckets are reached only from their own account (moto lets any account in; AWS
        # needs a bucket policy, which the lab does not evaluate).
        os.environ["MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS"] = "false"
        self.recorder = trace.Recorder()
        self.accounts = Accounts(endpoint_url=self.url)
        self.runtime = LambdaRuntime(
            endpoint_url=self.url, code_dir=self.data_dir / "functions",
            credentials_for=self.accounts.function_credentials,
            on_invocation=self._record_invocation,
            # Keys no one issued: the warm-up's requests are refused, which warms the same
            # paths; the lab's own keys never reach the parent of learners' handlers.
            warmup_credentials={"aws_access_key_id": "AKIALABWARMUP" + os.urandom(4).hex(),
                                "aws_secret_access_key": "warm-up"},
            account_concurrency=self.account_concurrency,
            **({"idle_ttl": idle_ttl} if idle_ttl else {}))
        self._previous_invoke = moto_patch.install(self.invoke_from_moto)
        moto_patch.speed_up_dispatch()
        s3_patch.install()
        sns_patch.install()
        redrive_policy.install()
        deploy_patch.install()  # moto's CloudFormation reads a JSON template as JSON
        iam_patch.install()  # roles keep the managed policies a template attaches
        self.quotas = quotas.QuotaBook()  # LAB_QUOTA_*; per sandbox by POST /_lab/settings
        self.sqs_mappings = SqsMappings(invoke=self.invoke, recorder=self.recorder)
        sqs_patch.install(self.sqs_mappings)
        # Kinesis and DynamoDB Streams mappings: a poller per shard (after sqs_patch: it wraps
        # the mapping calls sqs_patch installs).
        self.stream_mappings = StreamMappings(invoke=self.invoke, recorder=self.recorder,
                                              deliver=self.deliver,
                                              sandbox=self.accounts.service_sandbox)
        kinesis_patch.install(self.stream_mappings)
        self._aws_integrations = aws_integration.install(accounts=self.accounts,
                                                        endpoint_url=self.url)
        stepfunctions_patch.install(ExecutionWiring(self))
        self.chains = recursion.Chains()
        recursion.install()  # SQS keeps a handler's trace header on the messages it sends
        self.provisioned = provisioned.ProvisionedConcurrency(
            runtime=self.runtime,
            account_concurrency=self.account_concurrency)
        provisioned.install(self.provisioned)  # UpdateAlias moves an alias's environments
        alias_routing.install()  # RoutingConfig checked as AWS does; routed in invoke()
        quotas.install(self.quotas)  # after the other patches of the writes it checks
        self.async_invoker = AsyncInvoker(
            invoke=self.invoke, deliver=self.deliver, recorder=self.recorder,
            dead_letter_target=self.dead_letter_target,
            delay_scale=float(os.environ.get("LAB_ASYNC_DELAY_SCALE", 1 / 60)))
        self.dead_letters: dict[tuple[str, str], str] = {}  # (account, function) -> DLQ ARN
        self.concurrency_limits: dict[str, int] = {}  # account -> its concurrency limit
        # EventBridge rules and Scheduler schedules, fired by each sandbox's lab clock.
        self.clock = LabClock()
        self.stream_mappings.use_clock(self.clock)  # tumbling windows run on the lab clock
        self.clock.skip_listeners.append(self.runtime.idle_through)
        self.events = EventPlane(recorder=self.recorder, clock=self.clock,
                                             invoke_async=self.async_invoker.submit)
        eventbridge_patch.install(self.events)
        # Firehose delivery streams: buffers delivered to S3 on the lab clock.
        self.firehose = Firehose(recorder=self.recorder, clock=self.clock,
                                          accounts=self.accounts, invoke=self.invoke)
        firehose_patch.install(self.firehose)
        self.rest_apis = RestApiGateway(invoke=self.invoke, recorder=self.recorder)
        # WebSocket APIs: their endpoint and, over HTTPS, their @connections API.
        self.websockets = WebSocketGateway(
            host=host, invoke=self.invoke, recorder=self.recorder, caller=self.caller,
            tls_dir=self.data_dir / "tls" / str(self.port))
        self.runtime.ca_bundle = str(self.websockets.ca_file)  # workers trust that HTTPS
        self.control = ControlApi(self)
        self._thread = None

    def start(self) -> "LabCloud":
        (self.data_dir / "functions").mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self.server.serve_forever, name="lab-cloud",
                                        daemon=True)
        self._thread.start()
        self.clock.start()
        self.firehose.start()
        self.websockets.start()
        return self

    def stop(self) -> None:
        self.websockets.stop()  # first: closing connections still runs $disconnect
        self.clock.stop()
        self.firehose.stop()
        self.events.stop()
        self.sqs_mappings.stop()
        sqs_patch.uninstall(self.sqs_mappings)
        self.stream_mappings.stop()
        kinesis_patch.uninstall(self.stream_mappings)
        stepfunctions_patch.uninstall(self)
        aws_integration.uninstall(self._aws_integrations)
        # moto's hooks are per process: give them back to the lab cloud that ran before this
        # one (`lab bench` starts and stops its own inside a running one).
        moto_patch.restore(self._previous_invoke)
        self.async_invoker.stop()
        provisioned.uninstall(self.provisioned)
        quotas.uninstall(self.quotas)
        self.server.shutdown()
        self.server.server_close()
        self.runtime.stop()

    def account_concurrency(self, account_id: str) -> int:
        """The account's concurrency: AWS's 1,000, or what a lab set, within the sandbox's
        quota of execution environments (LAB_QUOTA_ENVIRONMENTS)."""
        return min(self.concurrency_limits.get(account_id, 1000),
                   self.quotas.of(account_id).environments)

    def invoke(self, fn, document: str, *, depth: int | None = None,
               qualified_arn: str | None = None):
        """Run fn on document. `depth` is its place in a chain of invocations (by default one
        more than the handler whose API call led here)."""
        depth = depth or recursion.current_depth() + 1
        self.recorder.begin(fn.account_id)
        try:
            # Through a weighted alias, the version that runs is drawn by its weights.
            fn = alias_routing.routed(fn, qualified_arn)
            with self.chains.running(fn.account_id, fn.function_name, depth):
                return moto_patch.lambda_invoke(
                    self.runtime, fn, document, qualified_arn=qualified_arn,
                    trace_header=recursion.trace_header(depth, fn.function_name))
        finally:
            self.recorder.end(fn.account_id)

    def invoke_from_moto(self, fn, document: str):
        """An invocation moto started: a direct Invoke, or an event source's delivery, which
        the trace shows as a hop from that source."""
        event = _json_object(document)
        source = event_source(event)
        mode = DELIVERY_MODES.get(source, "async")
        if source:
            self.recorder.record(fn.account_id, trace.DELIVERY, source=source,
                                 target=fn.function_name, mode=mode,
                                 batch_size=len(event.get("Records") or [None]), event=event)
        # moto hands over the version an alias resolved to; the alias it named is kept aside.
        named = moto_patch.delivering_to()
        through = invoke_api.qualified_arn(fn, named) if named else None
        if source and mode == "async":
            # S3, SNS and EventBridge invoke asynchronously: the event joins Lambda's queue.
            self.async_invoker.submit(fn, document, depth=recursion.current_depth() + 1,
                                      qualified_arn=through)
            return None
        return self.invoke(fn, document, qualified_arn=through)

    def dead_letter_target(self, fn) -> str | None:
        return self.dead_letters.get((fn.account_id, fn.function_name))

    def deliver(self, account_id: str, region: str, target_arn: str, document: str,
                attributes: dict | None) -> None:
        """Send an asynchronous invocation's record (or, for a DLQ, its event) to a target,
        as the Lambda service does: SQS, SNS, Lambda or EventBridge."""
        from moto.awslambda.models import lambda_backends

        service = target_arn.split(":")[2]
        if service == "lambda":
            target = lambda_backends[account_id][region].get_function(target_arn)
            self.async_invoker.submit(target, document,
                                      qualified_arn=invoke_api.qualified_arn(target, target_arn))
            return
        sandbox = self.accounts.service_sandbox(account_id)
        message_attributes = {k: {"DataType": "String", "StringValue": v}
                              for k, v in (attributes or {}).items()}
        if service == "sqs":
            sqs = sandbox.client("sqs")
            url = sqs.get_queue_url(QueueName=target_arn.rsplit(":", 1)[-1])["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=document,
                             MessageAttributes=message_attributes)
        elif service == "sns":
            sandbox.client("sns").publish(TopicArn=target_arn, Message=document,
                                          MessageAttributes=message_attributes)
        elif service == "events":
            result = "Failure" if attributes is not None or '"functionError"' in document \
                else "Success"
            sandbox.client("events").put_events(Entries=[{
                "Source": "lambda", "DetailType": f"Lambda Function Invocation Result - {result}",
                "Detail": document, "EventBusName": target_arn}])

    def caller(self, access_key: str) -> tuple[str, str]:
        """(account id, who) for an access key: ours are known, others asked of moto's IAM
        (a key it does not know: its default account, where no learner is)."""
        known = self.accounts.callers.get(access_key)
        if known is None:
            found = moto_key(access_key)
            known = (found[0] if found else DEFAULT_ACCOUNT_ID, "other")
        return known

    def _record_invocation(self, invocation) -> None:
        fields = {k: v for k, v in vars(invocation).items() if k != "account_id"}
        # Ordered by when it started, so the calls its handler made come after it.
        self.recorder.record(invocation.account_id, trace.INVOCATION,
                             report=invocation.report_line, at=invocation.started_at, **fields)


def _json_object(document: str) -> dict:
    try:
        event = json.loads(document)
    except json.JSONDecodeError:
        return {}
    return event if isinstance(event, dict) else {}


def event_source(event: dict) -> str | None:
    """The AWS source of an event document (`aws:s3`, `aws:sqs`...), or None if it has none."""
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        return records[0].get("eventSource") or records[0].get("EventSource")
    if "detail-type" in event:
        return "aws:events"
    return None


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
