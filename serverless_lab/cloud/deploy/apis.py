"""Deploying what API patterns need beyond moto's CloudFormation.

moto's CloudFormation cannot create Cognito user pools, their clients and groups, nor HTTP APIs
(AWS::ApiGatewayV2::*), and it ignores a REST API's authorizers, CORS preflight responses and
stage settings. Before the stack is created the lab creates the pools, clients, groups and
HTTP APIs itself through their service APIs and writes their ids and attributes into the
template where it refers to them (as CloudFormation resolves Ref and Fn::GetAtt); after the
stack is created it completes them (HTTP API routes, integrations, JWT and Lambda authorizers,
CORS, stages, from a SAM HttpApi's OpenAPI Body or from plain `AWS::ApiGatewayV2::Route`,
`Integration` and `Authorizer` resources; REST API authorizers, mock integrations, stage
throttling and variables). What the lab made is listed on the stack (tag `lab:resources`),
so a later describe finds it again and a redeploy or a failed deploy deletes it.
"""

import json
import re

from botocore.exceptions import BotoCoreError, ClientError

from .sam import TemplateError

MADE_TAG = "lab:resources"
USER_POOL = "AWS::Cognito::UserPool"
USER_POOL_CLIENT = "AWS::Cognito::UserPoolClient"
USER_POOL_GROUP = "AWS::Cognito::UserPoolGroup"
HTTP_API = "AWS::ApiGatewayV2::Api"
HTTP_API_STAGE = "AWS::ApiGatewayV2::Stage"
MADE_IN_ORDER = (USER_POOL, USER_POOL_CLIENT, USER_POOL_GROUP, HTTP_API, HTTP_API_STAGE)
# An HTTP API written in plain CloudFormation: its parts, in the order finish() makes them.
HTTP_API_AUTHORIZER = "AWS::ApiGatewayV2::Authorizer"
HTTP_API_INTEGRATION = "AWS::ApiGatewayV2::Integration"
HTTP_API_ROUTE = "AWS::ApiGatewayV2::Route"
HTTP_API_PARTS = (HTTP_API_AUTHORIZER, HTTP_API_INTEGRATION, HTTP_API_ROUTE,
                  "AWS::ApiGatewayV2::Deployment")
AUTHORIZER_PROPERTIES = ("AuthorizerCredentialsArn", "AuthorizerPayloadFormatVersion",
                         "AuthorizerResultTtlInSeconds", "AuthorizerType", "AuthorizerUri",
                         "EnableSimpleResponses", "IdentitySource", "JwtConfiguration", "Name")
INTEGRATION_PROPERTIES = ("IntegrationType", "IntegrationUri", "IntegrationMethod",
                          "PayloadFormatVersion", "Description", "TimeoutInMillis",
                          "CredentialsArn")
ROUTE_PROPERTIES = ("RouteKey", "Target", "AuthorizationType", "AuthorizerId",
                    "AuthorizationScopes", "OperationName")
REST_STAGE = "AWS::ApiGateway::Stage"
ANY_METHOD = "x-amazon-apigateway-any-method"
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}
DEFAULT_AUTHORIZER_TTL = 300
# CloudFormation property names that are also the API's parameter names.
USER_POOL_PROPERTIES = {
    "Policies", "LambdaConfig", "AutoVerifiedAttributes", "AliasAttributes",
    "UsernameAttributes", "SmsVerificationMessage", "EmailVerificationMessage",
    "EmailVerificationSubject", "VerificationMessageTemplate", "SmsAuthenticationMessage",
    "MfaConfiguration", "DeviceConfiguration", "EmailConfiguration", "SmsConfiguration",
    "UserPoolTags", "AdminCreateUserConfig", "Schema", "UserPoolAddOns",
    "UsernameConfiguration", "AccountRecoverySetting", "DeletionProtection"}
CLIENT_PROPERTIES = {
    "ClientName", "UserPoolId", "GenerateSecret", "RefreshTokenValidity",
    "AccessTokenValidity", "IdTokenValidity", "TokenValidityUnits", "ReadAttributes",
    "WriteAttributes", "ExplicitAuthFlows", "SupportedIdentityProviders", "CallbackURLs",
    "LogoutURLs", "DefaultRedirectURI", "AllowedOAuthFlows", "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient", "PreventUserExistenceErrors", "EnableTokenRevocation",
    "AuthSessionValidity"}


def premake(sandbox, template: dict, stack_name: str) -> dict:
    """Create the template's user pools, clients, groups and HTTP APIs, take them out of the
    template and put their ids where it refers to them. Returns what was made:
    {logical id: {type, physical_id, attributes, properties}}. On a failure, what was made is
    deleted and TemplateError says which resource failed."""
    made: dict[str, dict] = {}
    logical_id = ""
    try:
        for kind in MADE_IN_ORDER:
            for logical_id in [k for k, r in template["Resources"].items()
                               if r.get("Type") == kind]:
                entry = {"type": kind, "physical_id": "", "attributes": {},
                         "properties": template["Resources"].pop(logical_id).get(
                             "Properties", {})}
                made[logical_id] = entry
                _create(sandbox, stack_name, logical_id, entry)
                references_apply(template, made, {logical_id: entry["physical_id"], **{
                    f"{logical_id}.{k}": v for k, v in entry["attributes"].items()}})
        _http_api_parts_take(sandbox, template, made)
    except (ClientError, BotoCoreError) as e:
        made_delete(sandbox, made)
        raise TemplateError(f"{logical_id}: {e}") from None
    for resource in template["Resources"].values():
        depends = resource.get("DependsOn")
        if isinstance(depends, list):
            resource["DependsOn"] = [d for d in depends if d in template["Resources"]]
        elif isinstance(depends, str) and depends not in template["Resources"]:
            del resource["DependsOn"]
    return made


def _http_api_parts_take(sandbox, template: dict, made: dict) -> None:
    """Take the routes, integrations, authorizers and deployments of the HTTP APIs made out of
    the template (finish() makes them). Authorizers are made now, so that a Lambda
    permission's SourceArn (`<api>/authorizers/<id>`) can name them; finish() completes them."""
    api_ids = {e["physical_id"] for e in made.values() if e["type"] == HTTP_API}
    references = {}
    for logical_id, resource in list(template["Resources"].items()):
        properties = resource.get("Properties") or {}
        api_id = properties.get("ApiId")
        if resource.get("Type") not in HTTP_API_PARTS or not isinstance(api_id, str) \
                or api_id not in api_ids:
            continue
        entry = {"type": resource["Type"], "physical_id": "", "attributes": {},
                 "properties": template["Resources"].pop(logical_id).get("Properties", {})}
        made[logical_id] = entry
        if entry["type"] == HTTP_API_AUTHORIZER:
            entry["physical_id"] = sandbox.client("apigatewayv2").create_authorizer(
                ApiId=api_id, Name=str(properties.get("Name", logical_id)),
                AuthorizerType=str(properties.get("AuthorizerType", "REQUEST")),
                IdentitySource=[], AuthorizerPayloadFormatVersion="2.0",
            )["AuthorizerId"]
            references[logical_id] = entry["physical_id"]
            references[f"{logical_id}.AuthorizerId"] = entry["physical_id"]
    if references:
        references_apply(template, made, references)


def _http_api_parts_make(client, api_id: str, parts: dict, variables: dict) -> None:
    """The plain CloudFormation parts of one HTTP API: authorizers completed, then its
    integrations and routes (which refer to both by id)."""
    variables = dict(variables)
    for kind in HTTP_API_PARTS:
        for logical_id, entry in parts.items():
            if entry["type"] != kind:
                continue
            properties = resolve(entry["properties"], variables)
            if kind == HTTP_API_AUTHORIZER:
                client.update_authorizer(
                    ApiId=api_id, AuthorizerId=entry["physical_id"],
                    **{k: properties[k] for k in AUTHORIZER_PROPERTIES if k in properties})
            elif kind == HTTP_API_INTEGRATION:
                entry["physical_id"] = client.create_integration(
                    ApiId=api_id, **{k: properties[k] for k in INTEGRATION_PROPERTIES
                                     if k in properties})["IntegrationId"]
            elif kind == HTTP_API_ROUTE:
                entry["physical_id"] = client.create_route(
                    ApiId=api_id, **{k: properties[k] for k in ROUTE_PROPERTIES
                                     if k in properties})["RouteId"]
            variables[logical_id] = entry["physical_id"]


def _create(sandbox, stack_name: str, logical_id: str, entry: dict) -> None:
    if entry["type"] == HTTP_API:
        api_id = sandbox.client("apigatewayv2").create_api(
            Name=f"{stack_name}-{logical_id}", ProtocolType="HTTP",
            Tags={"aws:cloudformation:stack-name": stack_name,
                  "aws:cloudformation:logical-id": logical_id})["ApiId"]
        entry["physical_id"] = api_id
        entry["attributes"] = {"ApiId": api_id, "ApiEndpoint": (
            f"https://{api_id}.execute-api.{sandbox.region}.amazonaws.com")}
    elif entry["type"] == HTTP_API_STAGE:
        # Made with the API's routes once the functions exist (finish).
        entry["physical_id"] = entry["properties"].get("StageName", "$default")
    else:
        _cognito_create(sandbox.client("cognito-idp"), sandbox.region, stack_name,
                        logical_id, entry)


def _pool_properties(properties: dict, *, region: str, stack_name: str) -> dict:
    """A Cognito resource's properties as they can be created before the stack's functions:
    pseudo parameters resolved; a pool's Lambda triggers naming a function of the stack (not
    made yet, and not run by the lab's Cognito) left out."""
    resolved = resolve(properties, {"AWS::StackName": stack_name, "AWS::Region": region,
                                    "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"})
    if isinstance(resolved.get("LambdaConfig"), dict):
        resolved["LambdaConfig"] = {
            k: v for k, v in resolved["LambdaConfig"].items()
            if (v if isinstance(v, str) else str((v or {}).get("LambdaArn", ""))
                if isinstance(v, dict) else "").startswith("arn:")}
    return resolved


def _cognito_create(cognito, region: str, stack_name: str, logical_id: str, entry: dict):
    kind = entry["type"]
    properties = _pool_properties(entry["properties"], region=region, stack_name=stack_name)
    if kind == USER_POOL:
        pool = cognito.create_user_pool(
            PoolName=properties.get("UserPoolName", f"{stack_name}-{logical_id}"),
            **{k: v for k, v in properties.items() if k in USER_POOL_PROPERTIES})["UserPool"]
        provider = f"cognito-idp.{region}.amazonaws.com/{pool['Id']}"
        entry["physical_id"] = pool["Id"]
        entry["attributes"] = {"Arn": pool["Arn"], "UserPoolId": pool["Id"],
                               "ProviderName": provider, "ProviderURL": f"https://{provider}"}
    elif kind == USER_POOL_CLIENT:
        client = cognito.create_user_pool_client(
            **{"ClientName": logical_id,
               **{k: v for k, v in properties.items() if k in CLIENT_PROPERTIES}}
        )["UserPoolClient"]
        entry["physical_id"] = client["ClientId"]
        entry["attributes"] = {"ClientId": client["ClientId"], "Name": client["ClientName"],
                               "ClientSecret": client.get("ClientSecret", "")}
    else:
        name = properties.get("GroupName", f"{stack_name}-{logical_id}")
        cognito.create_group(GroupName=name, UserPoolId=properties["UserPoolId"],
                             **{k: v for k, v in properties.items()
                                if k in ("Description", "RoleArn", "Precedence")})
        entry["physical_id"] = name
        entry["pool_id"] = properties["UserPoolId"]


def references_apply(template: dict, made: dict[str, dict], references: dict[str, str]) -> None:
    """Resolve references to resources the lab made, in the template (in place) and in the
    properties of what it made or will make (`made`: logical id -> entry)."""
    substituted = _substituted(template, references)
    template.clear()
    template.update(substituted)
    for entry in made.values():
        entry["properties"] = _substituted(entry["properties"], references)


def _substituted(value, references: dict[str, str]):
    """value with Ref, Fn::GetAtt and Fn::Sub references to `references` resolved."""
    if isinstance(value, list):
        return [_substituted(v, references) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, argument), = value.items()
        if key == "Ref" and argument in references:
            return references[argument]
        if key == "Fn::GetAtt":
            name = ".".join(argument) if isinstance(argument, list) else argument
            if name in references:
                return references[name]
        if key == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            text = re.sub(r"\$\{([^}!]+)\}",
                          lambda m: references.get(m[1], m[0]) if m[1] not in variables
                          else m[0], text)
            variables = _substituted(variables, references)
            return {"Fn::Sub": text if not variables else [text, variables]}
    return {k: _substituted(v, references) for k, v in value.items()}


def resolve(value, variables: dict[str, str]):
    """value with every intrinsic the lab can resolve replaced (Ref, Fn::GetAtt, Fn::Sub in
    both forms, Fn::Join), given `variables` (logical ids, `X.Arn`, pseudo parameters)."""
    if isinstance(value, list):
        return [resolve(v, variables) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, argument), = value.items()
        if key == "Ref":
            return variables.get(argument, "")
        if key == "Fn::GetAtt":
            return variables.get(".".join(argument) if isinstance(argument, list)
                                 else argument, "")
        if key == "Fn::Sub":
            text, local = (argument, {}) if isinstance(argument, str) else argument
            known = {**variables, **{k: str(resolve(v, variables)) for k, v in local.items()}}
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(known.get(m[1], m[0])), text)
        if key == "Fn::Join":
            delimiter, items = argument
            return delimiter.join(str(resolve(i, variables)) for i in items)
    return {k: resolve(v, variables) for k, v in value.items()}


def stack_tags(made: dict) -> list[dict]:
    listed = {k: [v["type"], v["physical_id"], v.get("pool_id")] for k, v in made.items()
              if v["type"] in MADE_IN_ORDER}  # an API's parts go with it
    return [{"Key": MADE_TAG, "Value": json.dumps(listed, separators=(",", ":"))}] if listed \
        else []


def made_resources(stack: dict | None) -> dict[str, dict]:
    """{logical id: {type, physical_id}} of what the lab made for a stack (from its tag)."""
    tag = next((t["Value"] for t in (stack or {}).get("Tags", []) if t["Key"] == MADE_TAG),
               None)
    listed = json.loads(tag) if tag else {}
    return {k: {"type": v[0], "physical_id": v[1], **({"pool_id": v[2]} if v[2] else {})}
            for k, v in listed.items()}


def made_delete(sandbox, made: dict) -> None:
    """Delete what the lab made for a stack, quietly (some of it may be gone already)."""
    for entry in sorted((e for e in made.values() if e["type"] in MADE_IN_ORDER),
                        key=lambda e: -MADE_IN_ORDER.index(e["type"])):
        try:
            if entry["type"] == HTTP_API:
                sandbox.client("apigatewayv2").delete_api(ApiId=entry["physical_id"])
            elif entry["type"] == USER_POOL:
                sandbox.client("cognito-idp").delete_user_pool(UserPoolId=entry["physical_id"])
        except Exception:  # noqa: BLE001,S110 - deleting what may already be deleted
            pass


def http_api_endpoints(sandbox, resources: dict[str, dict]) -> list[tuple[str, str, str, str]]:
    """(logical id, api id, stage, URL) of each HTTP API stage. The `$default` stage is
    reached without a stage segment, as on AWS."""
    endpoints = []
    for logical_id, resource in resources.items():
        if resource["type"] != HTTP_API:
            continue
        api_id = resource["physical_id"]
        base = f"{sandbox.endpoint_url}/_aws/execute-api/{api_id}"
        for stage in sandbox.client("apigatewayv2").get_stages(ApiId=api_id)["Items"]:
            name = stage["StageName"]
            endpoints.append((logical_id, api_id, name,
                              base if name == "$default" else f"{base}/{name}"))
    return endpoints


def finish(sandbox, made: dict, variables: dict[str, str], translated: dict) -> None:
    """After the stack exists: the HTTP APIs' routes and stages, and the REST API stages'
    method settings and variables (from the translated template's Stage resources)."""
    for entry in made.values():
        if entry["type"] == HTTP_API:
            stages = [e["properties"] for e in made.values() if e["type"] == HTTP_API_STAGE
                      and e["properties"].get("ApiId") == entry["physical_id"]]
            parts = {k: e for k, e in made.items() if e["type"] in HTTP_API_PARTS
                     and e["properties"].get("ApiId") == entry["physical_id"]}
            _http_api_parts_make(sandbox.client("apigatewayv2"), entry["physical_id"], parts,
                                 variables)
            _http_api_complete(sandbox.client("apigatewayv2"), entry["physical_id"],
                               resolve(entry["properties"].get("Body", {}), variables),
                               [resolve(s, variables) for s in stages])
    apigateway = None
    for resource in translated["Resources"].values():
        if resource.get("Type") != REST_STAGE:
            continue
        properties = resolve(resource.get("Properties", {}), variables)
        operations = _stage_patch(properties)
        if operations and properties.get("RestApiId"):
            apigateway = apigateway or sandbox.client("apigateway")
            apigateway.update_stage(restApiId=properties["RestApiId"],
                                    stageName=properties.get("StageName", "Prod"),
                                    patchOperations=operations)


def _stage_patch(properties: dict) -> list[dict]:
    operations = [{"op": "replace", "path": f"/variables/{k}", "value": str(v)}
                  for k, v in (properties.get("Variables") or {}).items()]
    for setting in properties.get("MethodSettings") or []:
        resource_path = setting.get("ResourcePath", "/*")
        resource = "*" if resource_path == "/*" else resource_path.replace("/", "~1")
        prefix = f"/{resource}/{setting.get('HttpMethod', '*')}"
        for key, path in (("ThrottlingRateLimit", "throttling/rateLimit"),
                          ("ThrottlingBurstLimit", "throttling/burstLimit")):
            if key in setting:
                operations.append({"op": "replace", "path": f"{prefix}/{path}",
                                   "value": str(setting[key])})
    return operations


def _http_api_complete(client, api_id: str, body: dict, stages: list[dict]) -> None:
    cors = body.get("x-amazon-apigateway-cors")
    if cors:
        client.update_api(ApiId=api_id, CorsConfiguration={
            k[0].upper() + k[1:]: v for k, v in cors.items()})
    authorizer_ids = {}  # name -> (authorizer id, the routes' authorization type)
    schemes = body.get("components", {}).get("securitySchemes", {})
    for name, scheme in schemes.items():
        spec = scheme.get("x-amazon-apigateway-authorizer", {})
        if spec.get("type") == "jwt":
            config = spec.get("jwtConfiguration", {})
            authorizer_ids[name] = (client.create_authorizer(
                ApiId=api_id, Name=name, AuthorizerType="JWT",
                IdentitySource=_identity_sources(spec.get(
                    "identitySource", "$request.header.Authorization")),
                JwtConfiguration={"Issuer": config.get("issuer", ""),
                                  "Audience": list(config.get("audience") or [])},
            )["AuthorizerId"], "JWT")
        elif spec.get("type") == "request":
            authorizer_ids[name] = (client.create_authorizer(
                ApiId=api_id, Name=name, **_lambda_authorizer_options(spec))["AuthorizerId"],
                "CUSTOM")
    for path, operations in body.get("paths", {}).items():
        for verb, operation in operations.items():
            if verb not in HTTP_METHODS and verb != ANY_METHOD:
                continue
            spec = operation.get("x-amazon-apigateway-integration", {})
            uri = spec.get("uri", "")
            integration_id = client.create_integration(
                ApiId=api_id, IntegrationType=spec.get("type", "aws_proxy").upper(),
                IntegrationUri=uri, IntegrationMethod=spec.get("httpMethod", "POST"),
                PayloadFormatVersion=str(spec.get("payloadFormatVersion", "2.0")),
            )["IntegrationId"]
            method = "ANY" if verb == ANY_METHOD else verb.upper()
            requirement = next(iter(operation.get("security") or [{}]), {})
            name, scopes = next(iter(requirement.items()), (None, []))
            auth = ({"AuthorizationType": authorizer_ids[name][1],
                     "AuthorizerId": authorizer_ids[name][0],
                     **({"AuthorizationScopes": scopes} if scopes else {})}
                    if name in authorizer_ids else {"AuthorizationType": "NONE"})
            client.create_route(ApiId=api_id, Target=f"integrations/{integration_id}",
                                RouteKey="$default" if path == "$default"
                                else f"{method} {path}", **auth)
    for stage in stages or [{"StageName": "$default", "AutoDeploy": True}]:
        client.create_stage(ApiId=api_id, StageName=stage.get("StageName", "$default"),
                            AutoDeploy=bool(stage.get("AutoDeploy", True)),
                            DefaultRouteSettings=stage.get("DefaultRouteSettings", {}),
                            RouteSettings=stage.get("RouteSettings", {}),
                            StageVariables={k: str(v) for k, v in
                                            (stage.get("StageVariables") or {}).items()})


def _identity_sources(value) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    return [v.strip() for v in value or [] if v and v.strip()]


def _lambda_authorizer_options(spec: dict) -> dict:
    """create_authorizer's parameters for an HTTP API Lambda authorizer, from its OpenAPI
    extension (`x-amazon-apigateway-authorizer` of type `request`, as SAM writes it)."""
    options = {"AuthorizerType": "REQUEST", "AuthorizerUri": spec.get("authorizerUri", ""),
               "AuthorizerPayloadFormatVersion": str(spec.get(
                   "authorizerPayloadFormatVersion", "2.0")),
               "IdentitySource": _identity_sources(spec.get("identitySource")),
               "EnableSimpleResponses": bool(spec.get("enableSimpleResponses", False))}
    if spec.get("authorizerResultTtlInSeconds") is not None:
        options["AuthorizerResultTtlInSeconds"] = int(spec["authorizerResultTtlInSeconds"])
    if spec.get("authorizerCredentials"):
        options["AuthorizerCredentialsArn"] = spec["authorizerCredentials"]
    return options


def rest_authorizers_create(apigateway, api_id: str, body: dict,
                            variables: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Each of a REST API Body's authorizers (`x-amazon-apigateway-authorizer`), created as
    API Gateway imports them: {name: (authorizer id, authorization type)}."""
    created = {}
    for name, definition in (body.get("securityDefinitions") or {}).items():
        spec = resolve(definition.get("x-amazon-apigateway-authorizer"), variables)
        if not spec:
            continue
        kind = spec.get("type", "token").upper()
        identity = spec.get("identitySource") or (
            f"method.request.header.{definition.get('name', 'Authorization')}")
        parameters = {"restApiId": api_id, "name": name, "identitySource": identity,
                      "authorizerResultTtlInSeconds": int(spec.get(
                          "authorizerResultTtlInSeconds", DEFAULT_AUTHORIZER_TTL))}
        if spec.get("identityValidationExpression"):
            parameters["identityValidationExpression"] = spec["identityValidationExpression"]
        if kind == "COGNITO_USER_POOLS":
            parameters.update(type=kind, providerARNs=list(spec.get("providerARNs", [])))
        else:
            parameters.update(type=kind, authorizerUri=spec.get("authorizerUri", ""))
        created[name] = (apigateway.create_authorizer(**parameters)["id"],
                         "COGNITO_USER_POOLS" if kind == "COGNITO_USER_POOLS" else "CUSTOM")
    return created


def rest_method_authorization(operation: dict, authorizers: dict[str, tuple[str, str]]):
    """put_method's authorization parameters for an operation's `security` requirement."""
    requirement = next(iter(operation.get("security") or [{}]), {})
    name, scopes = next(iter(requirement.items()), (None, []))
    if name not in authorizers:
        return {"authorizationType": "AWS_IAM" if name == "AWS_IAM" else "NONE"}
    authorizer_id, kind = authorizers[name]
    return {"authorizationType": kind, "authorizerId": authorizer_id,
            **({"authorizationScopes": scopes} if scopes else {})}


def rest_integration_responses(apigateway, api_id: str, resource_id: str, method: str,
                               integration: dict) -> None:
    """A MOCK or AWS integration's `responses` from the OpenAPI extension (key: a selection
    pattern, or `default`), created as API Gateway imports them. SAM answers CORS preflights
    with a MOCK one; a service integration (API Gateway -> SQS) maps the service's answer."""
    if integration.get("type", "").lower() not in ("mock", "aws"):
        return
    for pattern, response in (integration.get("responses") or {}).items():
        apigateway.put_integration_response(
            restApiId=api_id, resourceId=resource_id, httpMethod=method,
            statusCode=str(response.get("statusCode", "200")),
            selectionPattern="" if pattern == "default" else pattern,
            responseParameters=response.get("responseParameters", {}),
            responseTemplates=response.get("responseTemplates", {}))
