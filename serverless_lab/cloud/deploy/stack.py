"""Deploy a SAM folder into a learner's account: package, translate, create the stack with
moto's CloudFormation, then apply what moto's CloudFormation skips.

moto creates the RestApi only by Name and ignores its Body, Deployment and Stage, so the lab
creates the API's resources, methods and integrations from the translated Body (as API Gateway
imports it) and deploys the stage itself. A failed deploy deletes what it created: nothing
half-deployed stays in the sandbox.

Where a deploy's time went (issue 13; rest-api into a new sandbox, cProfile and per-phase
wall clock, 2-core machine under other load): ~1,430 ms p50, of which ~1,210 ms building
boto3 clients (a new Session per client re-parsed the service models: 60-200 ms each, 11 per
deploy), ~40-95 ms moto's CloudFormation reading the JSON template with PyYAML's pure-Python
loader, ~30 ms SAM translation, ~20 ms packaging, ~6 ms reading the template; the rest, ~40
API calls on loopback. Now: one Session and cached clients (clients.py), the template read,
built, zipped and translated once per content (prepared.py), JSON read as JSON
(moto_patch.py): ~110-200 ms p50 on the same busy machine.
"""

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from moto.cloudformation.parsing import get_model_map

from serverless_lab.cloud.accounts import Sandbox
from serverless_lab.cloud.quotas import functions_refused

from . import apis as deploy_apis
from . import delivery_streams as deploy_firehose
from . import lambda_aliases as deploy_aliases
from . import websocket_apis as deploy_websocket
from .intrinsics import resolve_all, substitutions
from .moto_patch import CRASHED
from .outputs import fixed_bucket_names, moto_can_output
from .parameters import template_parameters_apply
from .prepared import template_prepare
from .rest_apis import rest_api_apply
from .sam import TemplateError

# What moto's CloudFormation skips and the lab applies itself (here or in deploy_apis).
LAB_APPLIED_TYPES = {"AWS::ApiGateway::Stage", "AWS::SNS::Subscription",
                     "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", deploy_aliases.ALIAS,
                     "AWS::Lambda::EventInvokeConfig", deploy_firehose.DELIVERY_STREAM}
LAB_APPLIED_PREFIXES = ("AWS::ApiGatewayV2::", "AWS::Scheduler::", "AWS::Cognito::")
REST_API = "AWS::ApiGateway::RestApi"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
S3_BUCKET = "AWS::S3::Bucket"
SNS_SUBSCRIPTION = "AWS::SNS::Subscription"
API_DEPLOYMENT = "AWS::ApiGateway::Deployment"
API_STAGE = "AWS::ApiGateway::Stage"
FINGERPRINT_TAG = "lab:fingerprint"
MAX_LEFT_OUT = 5  # resources moto crashes on, left out before the deploy gives up
STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")


class DeployError(ValueError):
    pass


@dataclass
class RestApiEndpoint:
    logical_id: str
    api_id: str
    stage: str
    url: str


@dataclass
class Deployment:
    stack_name: str
    account_id: str
    functions: dict[str, str]  # logical id -> function name
    apis: list[RestApiEndpoint]
    outputs: dict[str, str]
    resources: dict[str, dict[str, str]]  # logical id -> {type, physical_id}
    fingerprint: str
    reused: bool = False
    notes: list[str] = field(default_factory=list)
    # function name -> its DeadLetterConfig target ARN (moto does not keep DeadLetterConfig)
    dead_letter_targets: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        return asdict(self)


def stack_deploy(*, sandbox: Sandbox, folder: Path, stack_name: str,
                 build_cache: Path | None = None,
                 left_out: tuple[tuple[str, str], ...] = ()) -> Deployment:
    """Deploy the SAM template in folder as stack_name. Deploying the same template and code
    again keeps the stack (and its data); a changed one replaces it. A resource moto's
    CloudFormation crashes on is left out (with why) and the rest deployed again."""
    if not STACK_NAME.match(stack_name):
        raise DeployError(f"invalid stack name {stack_name!r}")
    # Read, built, zipped and translated once per template content, for every account.
    prepared = template_prepare(folder=folder, region=sandbox.region, build_cache=build_cache)
    fingerprint = prepared.fingerprint
    cloudformation = sandbox.client("cloudformation")
    existing = _stack(cloudformation, stack_name)
    if existing and _tag(existing, FINGERPRINT_TAG) == fingerprint:
        return _describe(sandbox, stack_name, fingerprint, reused=True)
    bucket = f"lab-artifacts-{sandbox.account_id}"
    try:
        _upload(sandbox.client("s3"), bucket, prepared.artifacts)
    except ClientError as e:  # e.g. the sandbox's storage quota
        raise DeployError(f"stack {stack_name} could not be created: the code could not be "
                          f"uploaded: {e}") from None
    resources, parameters, notes = template_parameters_apply(prepared.resources(bucket=bucket))
    notes += fixed_bucket_names(resources)
    aliases = deploy_aliases.take(resources)  # with their provisioned concurrency
    delivery_streams = deploy_firehose.take(resources, stack_name, region=sandbox.region,
                                            account_id=sandbox.account_id)
    if existing:
        deploy_apis.made_delete(sandbox, deploy_apis.made_resources(existing))
        deploy_websocket.made_delete(sandbox, deploy_websocket.made_resources(existing))
        deploy_firehose.made_delete(sandbox, deploy_firehose.made_resources(existing))
    # WebSocket APIs first: deploy_apis would take every AWS::ApiGatewayV2::Api for HTTP.
    websocket_apis = deploy_websocket.premake(sandbox, resources, stack_name)
    try:
        made = deploy_apis.premake(sandbox, resources, stack_name)  # user pools, HTTP APIs
    except TemplateError:
        deploy_websocket.made_delete(sandbox, websocket_apis)
        raise
    moto_template, rest_api_bodies, stages, deferred = adapt_for_moto(
        resources, stack_name, left_out=[logical_id for logical_id, _ in left_out])
    if existing:
        # The lab replaces a changed stack (AWS would update it in place, keeping a bucket
        # and its objects); a non-empty bucket survives moto's delete and its name would then
        # refuse the new stack's bucket, so the stack's buckets are emptied first.
        _buckets_emptied(sandbox, cloudformation, stack_name)
        cloudformation.delete_stack(StackName=stack_name)
    try:
        refused = functions_refused(sandbox.account_id, [
            k for k, r in moto_template["Resources"].items() if r["Type"] == LAMBDA_FUNCTION])
        if refused:  # checked before anything is created, as the quota's own check backs up
            raise DeployError(f"stack {stack_name} failed: {refused}")
        cloudformation.create_stack(
            StackName=stack_name, TemplateBody=json.dumps(moto_template), Parameters=parameters,
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            Tags=[{"Key": FINGERPRINT_TAG, "Value": fingerprint},
                  *deploy_apis.stack_tags(made), *deploy_websocket.stack_tags(websocket_apis),
                  *deploy_firehose.stack_tags(delivery_streams)])
        status = _stack(cloudformation, stack_name)
        if not status or status["StackStatus"] != "CREATE_COMPLETE":
            reason = status.get("StackStatusReason", "unknown reason") if status else "gone"
            raise DeployError(f"stack {stack_name} failed: {reason}")
        deployment = _describe(sandbox, stack_name, fingerprint, reused=False)
        deploy_aliases.apply(sandbox, deployment.resources, aliases,
                             lambda value: resolve_all(value, substitutions(sandbox,
                                                                              deployment)))
        for logical_id, body in rest_api_bodies.items():
            rest_api_apply(sandbox, deployment, logical_id, body, stages.get(logical_id, []))
        _apply_deferred(sandbox, deployment, deferred)
        deploy_firehose.create(sandbox, delivery_streams, substitutions(sandbox, deployment))
        deploy_apis.finish(sandbox, made, substitutions(sandbox, deployment), resources)
        deploy_websocket.finish(sandbox, websocket_apis, substitutions(sandbox, deployment))
        described = _describe(sandbox, stack_name, fingerprint, reused=False)
        described.resources.update({k: deployment.resources[k] for k in aliases})
        described.notes += notes + [f"not emulated by the lab: {name}"
                                    for name in deferred["not_emulated"]
                                    if name.split(" ")[0] not in dict(left_out)]
        described.notes += [f"not emulated by the lab: {why}" for _, why in left_out]
        described.notes += [f"output {name} is left out: it names a part the lab applies "
                            "itself or an attribute the lab does not know"
                            for name in deferred["outputs_left_out"]]
    except (ClientError, BotoCoreError, DeployError, KeyError, TemplateError) as e:
        _delete_quietly(cloudformation, stack_name)
        deploy_apis.made_delete(sandbox, made)
        deploy_websocket.made_delete(sandbox, websocket_apis)
        deploy_firehose.made_delete(sandbox, delivery_streams)
        crashed = CRASHED.search(str(e))
        if crashed and crashed[1] in resources.get("Resources", {}) \
                and crashed[1] not in dict(left_out) and len(left_out) < MAX_LEFT_OUT:
            why = f"{crashed[1]} ({crashed[2]}): the emulator failed creating it ({crashed[3]})"
            return stack_deploy(sandbox=sandbox, folder=folder, stack_name=stack_name,
                                build_cache=build_cache,
                                left_out=(*left_out, (crashed[1], why)))
        if isinstance(e, DeployError):
            raise
        raise DeployError(f"stack {stack_name} could not be created: {e}") from None
    described.dead_letter_targets = deployment.dead_letter_targets
    return described


def adapt_for_moto(template: dict, stack_name: str, left_out=()):
    """The template moto's CloudFormation can create, plus what the lab applies itself:
    each RestApi's Body (OpenAPI) and the stage names its Stage resources declare; the
    resources left_out (moto crashed on them) are dropped as not emulated."""
    adapted = json.loads(json.dumps(template))
    resources = adapted["Resources"]
    bodies, stages = {}, {}
    deferred = {"notifications": {}, "subscriptions": {}, "dead_letters": {},
                "invoke_configs": {}, "resource_policies": {}}
    for logical_id, resource in list(resources.items()):
        kind, properties = resource["Type"], resource.setdefault("Properties", {})
        if kind == REST_API:
            if "Body" in properties:
                bodies[logical_id] = properties.pop("Body")
            properties.setdefault("Name", f"{stack_name}-{logical_id}")
        elif kind == API_STAGE:
            api = properties.get("RestApiId", {}).get("Ref")
            stages.setdefault(api, []).append(properties.get("StageName", "Prod"))
            del resources[logical_id]
        elif kind == API_DEPLOYMENT:
            del resources[logical_id]
        elif kind == S3_BUCKET and "NotificationConfiguration" in properties:
            deferred["notifications"][logical_id] = properties.pop("NotificationConfiguration")
        elif kind == "AWS::Lambda::Function" and properties.get("DeadLetterConfig"):
            deferred["dead_letters"][logical_id] = properties["DeadLetterConfig"].get("TargetArn")
        elif kind == "AWS::Lambda::EventInvokeConfig":
            deferred["invoke_configs"][logical_id] = properties
            del resources[logical_id]
        elif kind in ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            deferred["resource_policies"][logical_id] = (kind, properties)
            del resources[logical_id]
        elif kind == SNS_SUBSCRIPTION:
            deferred["subscriptions"][logical_id] = properties
            del resources[logical_id]
    for api in bodies:
        stages.setdefault(api, ["Prod"])
    deferred["not_emulated"] = _drop_not_emulated(adapted, left_out)
    outputs = adapted.get("Outputs") or {}
    adapted["Outputs"] = {k: v for k, v in outputs.items() if moto_can_output(v, adapted)}
    deferred["outputs_left_out"] = [k for k in outputs if k not in adapted["Outputs"]]
    # Nothing may depend on what was removed.
    for resource in resources.values():
        depends = resource.get("DependsOn")
        if isinstance(depends, list):
            resource["DependsOn"] = [d for d in depends if d in resources]
        elif isinstance(depends, str) and depends not in resources:
            del resource["DependsOn"]
    return adapted, bodies, stages, deferred


def emulated(kind: str) -> bool:
    """Whether the lab can create a resource of this type (moto, or the lab itself)."""
    return kind in get_model_map() or kind in LAB_APPLIED_TYPES or kind.startswith(
        LAB_APPLIED_PREFIXES)


def _drop_not_emulated(template: dict, left_out=()) -> list[str]:
    """Remove the resources the lab cannot create, and point references to them at a
    placeholder, so the rest deploys; the deployment names them (never dropped silently)."""
    resources = template["Resources"]
    dropped = [logical_id for logical_id, r in resources.items()
               if not emulated(r["Type"]) or logical_id in left_out]
    names = [f"{logical_id} ({resources[logical_id]['Type']})" for logical_id in dropped]
    for logical_id in dropped:
        del resources[logical_id]

    def placeholder(value):
        if isinstance(value, dict):
            if value.get("Ref") in dropped:
                return f"lab-not-emulated-{value['Ref']}"
            target = value.get("Fn::GetAtt")
            if target and (target[0] if isinstance(target, list) else target.split(".")[0]) \
                    in dropped:
                return "lab-not-emulated"
            return {k: placeholder(v) for k, v in value.items()}
        if isinstance(value, list):
            return [placeholder(v) for v in value]
        return value

    template["Resources"] = placeholder(resources)
    template["Outputs"] = {k: v for k, v in placeholder(template.get("Outputs", {})).items()}
    return names


def _apply_deferred(sandbox: Sandbox, deployment: Deployment, deferred: dict) -> None:
    """S3 notifications and SNS subscriptions, which moto's CloudFormation skips, and the
    dead-letter queues moto does not keep (the lab's async invoker uses them)."""
    variables = substitutions(sandbox, deployment)
    for logical_id, target in deferred["dead_letters"].items():
        function_name = deployment.resources[logical_id]["physical_id"]
        deployment.dead_letter_targets[function_name] = resolve_all(target, variables)
    for kind, properties in deferred["resource_policies"].values():
        resolved = resolve_all(properties, variables)
        policy = json.dumps(resolved["PolicyDocument"])
        if kind == "AWS::SQS::QueuePolicy":
            for queue_url in resolved.get("Queues", []):
                sandbox.client("sqs").set_queue_attributes(QueueUrl=queue_url,
                                                           Attributes={"Policy": policy})
        else:
            for topic_arn in resolved.get("Topics", []):
                sandbox.client("sns").set_topic_attributes(
                    TopicArn=topic_arn, AttributeName="Policy", AttributeValue=policy)
    for properties in deferred["invoke_configs"].values():
        resolved = resolve_all(properties, variables)
        options = {k: resolved[k] for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds",
                                            "DestinationConfig") if k in resolved}
        sandbox.client("lambda").put_function_event_invoke_config(
            FunctionName=resolved["FunctionName"], **options)
    for logical_id, notification in deferred["notifications"].items():
        bucket = deployment.resources[logical_id]["physical_id"]
        sandbox.client("s3").put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration=_notification_api_form(
                resolve_all(notification, variables)))
    for properties in deferred["subscriptions"].values():
        resolved = resolve_all(properties, variables)
        attributes = {k: (json.dumps(v) if isinstance(v, dict) else str(v).lower()
                          if isinstance(v, bool) else str(v))
                      for k, v in resolved.items()
                      if k in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope",
                               "RedrivePolicy")}
        sandbox.client("sns").subscribe(
            TopicArn=resolved["TopicArn"], Protocol=resolved["Protocol"],
            Endpoint=resolved["Endpoint"], Attributes=attributes)


def _notification_api_form(notification: dict) -> dict:
    """CloudFormation's NotificationConfiguration in the S3 API's shape."""
    kinds = (("LambdaConfigurations", "LambdaFunctionConfigurations", "Function",
              "LambdaFunctionArn"),
             ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
             ("TopicConfigurations", "TopicConfigurations", "Topic", "TopicArn"))
    api = {}
    for cfn_key, api_key, cfn_target, api_target in kinds:
        for entry in notification.get(cfn_key, []):
            rules = entry.get("Filter", {}).get("S3Key", {}).get("Rules", [])
            config = {api_target: entry[cfn_target], "Events": [entry["Event"]]}
            if rules:
                config["Filter"] = {"Key": {"FilterRules": rules}}
            api.setdefault(api_key, []).append(config)
    if notification.get("EventBridgeConfiguration") is not None:
        api["EventBridgeConfiguration"] = {}
    return api


def _describe(sandbox: Sandbox, stack_name: str, fingerprint: str, *, reused: bool):
    cloudformation = sandbox.client("cloudformation")
    stack = _stack(cloudformation, stack_name) or {}
    listed = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    # moto lists a resource it could not create without an id: it is not in the stack.
    resources = {r["LogicalResourceId"]: {"type": r["ResourceType"],
                                          "physical_id": r.get("PhysicalResourceId", "")}
                 for r in listed if "LogicalResourceId" in r}
    resources.update(deploy_apis.made_resources(stack))
    resources.update(deploy_firehose.made_resources(stack))
    functions = {k: v["physical_id"] for k, v in resources.items()
                 if v["type"] == "AWS::Lambda::Function"}
    apis = []
    apigateway = sandbox.client("apigateway")
    for logical_id, resource in resources.items():
        if resource["type"] != REST_API:
            continue
        api_id = resource["physical_id"]
        for stage in apigateway.get_stages(restApiId=api_id).get("item", []):
            url = (f"{sandbox.endpoint_url}/restapis/{api_id}/{stage['stageName']}"
                   f"/_user_request_")
            apis.append(RestApiEndpoint(logical_id, api_id, stage["stageName"], url))
    apis += [RestApiEndpoint(*e) for e in deploy_apis.http_api_endpoints(sandbox, resources)]
    websocket_apis = deploy_websocket.made_resources(stack)  # listed after the HTTP APIs'
    resources.update(websocket_apis)
    apis += [RestApiEndpoint(*e) for e in deploy_websocket.endpoints(sandbox, websocket_apis)]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return Deployment(stack_name=stack_name, account_id=sandbox.account_id,
                      functions=functions, apis=apis, outputs=outputs, resources=resources,
                      fingerprint=fingerprint, reused=reused)


def _stack(cloudformation, name: str) -> dict | None:
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError:
        return None
    live = [s for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"]
    return live[0] if live else None


def _tag(stack: dict, key: str) -> str | None:
    return next((t["Value"] for t in stack.get("Tags", []) if t["Key"] == key), None)


def _upload(s3, bucket: str, artifacts: dict[str, bytes]) -> None:
    """The code zips into the account's artifacts bucket, as `sam package` puts them."""
    if not artifacts:
        return
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        s3.create_bucket(Bucket=bucket)
    for key, data in artifacts.items():
        s3.put_object(Bucket=bucket, Key=key, Body=data)


def _buckets_emptied(sandbox: Sandbox, cloudformation, stack_name: str) -> None:
    s3 = sandbox.client("s3")
    resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    for resource in resources:
        if resource["ResourceType"] != "AWS::S3::Bucket" or not resource.get("PhysicalResourceId"):
            continue
        bucket = resource["PhysicalResourceId"]
        try:
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                doomed = [{"Key": o["Key"], "VersionId": o["VersionId"]}
                          for o in page.get("Versions", []) + page.get("DeleteMarkers", [])]
                if doomed:
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
        except ClientError:  # already gone
            continue


def _delete_quietly(cloudformation, stack_name: str) -> None:
    try:
        cloudformation.delete_stack(StackName=stack_name)
    except (ClientError, BotoCoreError):
        pass


__all__ = ["DeployError", "Deployment", "TemplateError", "stack_deploy"]
