"""A REST API's resources, methods, integrations and stages, created from its translated Body
as API Gateway imports an OpenAPI document (moto's CloudFormation creates the RestApi only by
its Name and ignores Body, Deployment and Stage)."""

from . import apis as deploy_apis
from .intrinsics import resolve, resolve_all, substitutions

ANY_METHOD = "x-amazon-apigateway-any-method"
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def rest_api_apply(sandbox, deployment, logical_id: str, body: dict,
                   stages: list[str]) -> None:
    apigateway = sandbox.client("apigateway")
    api_id = deployment.resources[logical_id]["physical_id"]
    resources = {r["path"]: r["id"] for r in apigateway.get_resources(restApiId=api_id)["items"]}
    variables = substitutions(sandbox, deployment)
    authorizers = deploy_apis.rest_authorizers_create(apigateway, api_id, body, variables)
    for path, operations in sorted(body.get("paths", {}).items()):
        resource_id = _ensure_resource(apigateway, api_id, resources, path)
        for verb, operation in operations.items():
            if verb not in HTTP_METHODS and verb != ANY_METHOD:
                continue
            method = "ANY" if verb == ANY_METHOD else verb.upper()
            apigateway.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                                  **deploy_apis.rest_method_authorization(operation, authorizers))
            integration = operation.get("x-amazon-apigateway-integration", {})
            apigateway.put_integration(
                restApiId=api_id, resourceId=resource_id, httpMethod=method,
                type=integration.get("type", "aws_proxy").upper(),
                integrationHttpMethod=integration.get("httpMethod", "POST"),
                uri=resolve(integration.get("uri", ""), variables),
                **_integration_options(integration, variables))
            deploy_apis.rest_integration_responses(apigateway, api_id, resource_id, method,
                                                   integration)
    for stage in stages:
        apigateway.create_deployment(restApiId=api_id, stageName=stage)


def _integration_options(integration: dict, variables: dict[str, str]) -> dict:
    """What a non-proxy integration (an AWS service's, a MOCK's) carries besides its uri:
    the role API Gateway assumes, request parameters and mapping templates."""
    options = {key: resolve_all(integration[key], variables)
               for key in ("credentials", "requestParameters", "requestTemplates",
                           "passthroughBehavior") if integration.get(key) is not None}
    # SAM's "invoke with the caller's credentials" (arn:aws:iam::*:user/*), which moto
    # refuses as a cross-account role; the lab's proxy routing does not use it.
    if not str(options.get("credentials", "")).startswith(
            f"arn:aws:iam::{variables['AWS::AccountId']}:"):
        options.pop("credentials", None)
    if options.get("passthroughBehavior"):  # OpenAPI writes when_no_match
        options["passthroughBehavior"] = options["passthroughBehavior"].upper()
    return options


def _ensure_resource(apigateway, api_id: str, resources: dict[str, str], path: str) -> str:
    parent = "/"
    for part in [p for p in path.split("/") if p]:
        current = f"{parent.rstrip('/')}/{part}"
        if current not in resources:
            created = apigateway.create_resource(restApiId=api_id, parentId=resources[parent],
                                                 pathPart=part)
            resources[current] = created["id"]
        parent = current
    return resources[parent]
