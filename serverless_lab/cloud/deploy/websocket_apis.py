"""Deploying WebSocket APIs, which SAM has no shorthand for and moto's CloudFormation skips.

A template declares them in plain CloudFormation: an `AWS::ApiGatewayV2::Api` with
`ProtocolType: WEBSOCKET` and a `RouteSelectionExpression`, its `Route`s (`$connect`,
`$disconnect`, `$default`, custom keys), `Integration`s (AWS_PROXY to functions),
`RouteResponse`s, a `Stage` and a `Deployment`. Before the stack is created the lab creates
each such API through the apigatewayv2 API, takes the API and its parts out of the template
and writes the API's id, its stages' names and its deployments' ids where the rest refers to
them (a Lambda permission's SourceArn, a policy's execute-api ARN, an output). Once the stack
exists (so the functions' ARNs are known) it creates the integrations, routes, route responses
and stages. What it made is listed on the stack (tag `lab:websocket-apis`), so a later describe
finds the API and a redeploy or a failed deploy deletes it. A stage is live as soon as it
exists: the Deployment resource is accepted and has nothing left to do.
"""

import json
import uuid

from botocore.exceptions import BotoCoreError, ClientError

from serverless_lab.cloud.apigateway.websocket import websocket_url

from .apis import references_apply, resolve
from .sam import TemplateError

MADE_TAG = "lab:websocket-apis"
API = "AWS::ApiGatewayV2::Api"
ROUTE = "AWS::ApiGatewayV2::Route"
INTEGRATION = "AWS::ApiGatewayV2::Integration"
ROUTE_RESPONSE = "AWS::ApiGatewayV2::RouteResponse"
STAGE = "AWS::ApiGatewayV2::Stage"
DEPLOYMENT = "AWS::ApiGatewayV2::Deployment"
PARTS = (INTEGRATION, ROUTE, ROUTE_RESPONSE, STAGE, DEPLOYMENT)  # the order finish() makes them
UNSUPPORTED = "{logical_id}: the lab does not emulate {kind} on WebSocket APIs yet"
INTEGRATION_OPTIONS = ("IntegrationUri", "IntegrationMethod", "Description", "TimeoutInMillis",
                       "ContentHandlingStrategy", "PassthroughBehavior", "RequestTemplates",
                       "TemplateSelectionExpression", "CredentialsArn")
ROUTE_OPTIONS = ("AuthorizationType", "OperationName", "RouteResponseSelectionExpression",
                 "ApiKeyRequired", "ModelSelectionExpression")


def _api_of(properties: dict, apis: set[str]) -> str | None:
    api = properties.get("ApiId")
    if isinstance(api, dict):
        target = api.get("Ref") or (api.get("Fn::GetAtt") or [None])[0]
        return target if target in apis else None
    return None


def premake(sandbox, template: dict, stack_name: str) -> dict:
    """Create the template's WebSocket APIs, take them and their parts out of the template and
    put their ids where it refers to them. Returns what was made: {logical id: {type,
    physical_id, properties}}. Raises TemplateError (having deleted what it made) on failure."""
    resources = template["Resources"]
    apis = {k for k, r in resources.items() if r.get("Type") == API
            and (r.get("Properties") or {}).get("ProtocolType") == "WEBSOCKET"}
    if not apis:
        return {}
    made: dict[str, dict] = {}
    for logical_id, resource in list(resources.items()):
        properties = resource.get("Properties") or {}
        if logical_id in apis or _api_of(properties, apis):
            if resource["Type"] not in (API, *PARTS):
                raise TemplateError(UNSUPPORTED.format(logical_id=logical_id,
                                                       kind=resource["Type"]))
            made[logical_id] = {"type": resources.pop(logical_id)["Type"], "physical_id": "",
                                "properties": properties}
    references = {}
    client = sandbox.client("apigatewayv2")
    try:
        for logical_id in sorted(apis):
            properties = made[logical_id]["properties"]
            api_id = client.create_api(
                Name=properties.get("Name", f"{stack_name}-{logical_id}"),
                ProtocolType="WEBSOCKET",
                RouteSelectionExpression=properties.get("RouteSelectionExpression",
                                                        "$request.body.action"),
                **({"Description": properties["Description"]}
                   if "Description" in properties else {}),
                Tags={"aws:cloudformation:stack-name": stack_name,
                      "aws:cloudformation:logical-id": logical_id})["ApiId"]
            made[logical_id]["physical_id"] = api_id
            references.update({logical_id: api_id, f"{logical_id}.ApiId": api_id,
                               f"{logical_id}.ApiEndpoint":
                               f"wss://{api_id}.execute-api.{sandbox.region}.amazonaws.com"})
    except (ClientError, BotoCoreError) as e:
        made_delete(sandbox, made)
        raise TemplateError(f"{logical_id}: {e}") from None
    for logical_id, entry in made.items():
        if entry["type"] == STAGE:
            entry["physical_id"] = entry["properties"].get("StageName", "")
            references[logical_id] = entry["physical_id"]
        elif entry["type"] == DEPLOYMENT:
            entry["physical_id"] = uuid.uuid4().hex[:6]
            references[logical_id] = entry["physical_id"]
    references_apply(template, made, references)
    return made


def finish(sandbox, made: dict, variables: dict[str, str]) -> None:
    """After the stack exists: each API's integrations, routes, route responses and stages."""
    if not made:
        return
    client = sandbox.client("apigatewayv2")
    variables = {**variables, **{k: v["physical_id"] for k, v in made.items()}}
    for kind in PARTS:
        for logical_id, entry in made.items():
            if entry["type"] != kind:
                continue
            properties = resolve(entry["properties"], variables)
            entry["physical_id"] = _create(client, kind, properties) or entry["physical_id"]
            variables[logical_id] = entry["physical_id"]


def _create(client, kind: str, properties: dict) -> str | None:
    api_id = properties["ApiId"]
    if kind == INTEGRATION:
        return client.create_integration(
            ApiId=api_id, IntegrationType=properties.get("IntegrationType", "AWS_PROXY"),
            **{k: properties[k] for k in INTEGRATION_OPTIONS if k in properties}
        )["IntegrationId"]
    if kind == ROUTE:
        return client.create_route(
            ApiId=api_id, RouteKey=properties["RouteKey"],
            **({"Target": properties["Target"]} if properties.get("Target") else {}),
            **{k: properties[k] for k in ROUTE_OPTIONS if k in properties})["RouteId"]
    if kind == ROUTE_RESPONSE:
        return client.create_route_response(
            ApiId=api_id, RouteId=properties["RouteId"],
            RouteResponseKey=properties.get("RouteResponseKey", "$default"))["RouteResponseId"]
    if kind == STAGE:
        client.create_stage(ApiId=api_id, StageName=properties["StageName"],
                            StageVariables={k: str(v) for k, v in
                                            (properties.get("StageVariables") or {}).items()},
                            **({"Description": properties["Description"]}
                               if "Description" in properties else {}))
        return properties["StageName"]
    return None  # a Deployment: the stage is already live


def stack_tags(made: dict) -> list[dict]:
    listed = {k: [v["type"], v["physical_id"]] for k, v in made.items()
              if v["type"] in (API, STAGE)}
    return [{"Key": MADE_TAG, "Value": json.dumps(listed, separators=(",", ":"))}] \
        if listed else []


def made_resources(stack: dict | None) -> dict[str, dict]:
    """{logical id: {type, physical_id}} of the WebSocket APIs and stages made for a stack."""
    tag = next((t["Value"] for t in (stack or {}).get("Tags", []) if t["Key"] == MADE_TAG),
               None)
    return {k: {"type": v[0], "physical_id": v[1]} for k, v in json.loads(tag or "{}").items()}


def made_delete(sandbox, made: dict) -> None:
    """Delete the WebSocket APIs made for a stack (their routes and stages go with them)."""
    for entry in made.values():
        if entry["type"] != API or not entry["physical_id"]:
            continue
        try:
            sandbox.client("apigatewayv2").delete_api(ApiId=entry["physical_id"])
        except (ClientError, BotoCoreError):
            pass  # already gone


def endpoints(sandbox, made: dict) -> list[tuple[str, str, str, str]]:
    """(logical id, api id, stage, ws:// URL) of each stage of the WebSocket APIs made."""
    found = []
    for logical_id, entry in made.items():
        if entry["type"] != API:
            continue
        stages = sandbox.client("apigatewayv2").get_stages(ApiId=entry["physical_id"])["Items"]
        found += [(logical_id, entry["physical_id"], s["StageName"],
                   websocket_url(entry["physical_id"], s["StageName"], region=sandbox.region))
                  for s in stages]
    return found
