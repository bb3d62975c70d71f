"""API Gateway AWS service integrations (type AWS): API Gateway itself calls an AWS API.

The pattern this serves is API Gateway -> SQS: the method's integration has
`uri: arn:aws:apigateway:<region>:sqs:path/<account>/<queue>`, `credentials: <role ARN>`
(the role API Gateway assumes), a request template that turns the client's request into the
service's query-protocol form (`Action=SendMessage&MessageBody=$input.body`), and request
parameters that set `Content-Type: application/x-www-form-urlencoded`. As API Gateway does,
the lab renders the template, signs the request with the role's credentials and sends it to
the service (so the trace shows the SendMessage and who made it), then picks the integration
response whose selectionPattern matches the service's HTTP status (the default one, with no
pattern, otherwise) and answers with its status code and template, or the service's answer
passed through. The service answers in JSON, as SQS does to API Gateway
(`{"SendMessageResponse": {...}}`).

Supported: the `path/` form of the uri for SQS; in templates, a subset of VTL: `$input.body`,
`$input.json('$')` and `$input.json('$.a.b')`, `$util.urlEncode(...)` of those or of a quoted
string, `$context.requestId`, `$context.accountId`, `$context.apiId`, `$context.stage`,
`$context.httpMethod` and `$context.resourcePath`. Other references stay as written, as
Velocity leaves an undefined reference. Anything else API Gateway answers as a
configuration error: 500 `{"message": "Internal server error"}`.
"""

import json
import re
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ElementTree
from urllib.parse import quote_plus

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from serverless_lab.cloud import trace

from .messages import HttpResponse

SERVICE_URI = re.compile(r"^arn:aws:apigateway:(?P<region>[^:]+):(?P<service>[^:]+):"
                         r"path/(?P<path>.+)$")
SUPPORTED_SERVICES = {"sqs"}
CONFIGURATION_ERROR = (500, {"message": "Internal server error"})
UNSUPPORTED_MEDIA_TYPE = (415, {"message": "Unsupported Media Type"})
DEFAULT_CONTENT_TYPE = "application/json"
# The optional members SQS writes as null in its JSON answer to API Gateway.
SQS_RESULT_MEMBERS = {"SendMessageResult": ("MD5OfMessageAttributes", "MD5OfMessageBody",
                                            "MD5OfMessageSystemAttributes", "MessageId",
                                            "SequenceNumber")}
TEMPLATE_EXPRESSION = re.compile(
    r"\$util\.urlEncode\((?P<encode>'[^']*'|\"[^\"]*\"|\$input\.json\([^)]*\)|\$input\.body)\)"
    r"|\$input\.json\((?P<path>'[^']*'|\"[^\"]*\")\)"
    r"|\$input\.body"
    r"|\$context\.(?P<context>\w+)")

# (accounts.Accounts, endpoint URL) of the lab clouds installed, the latest last: where
# integration calls go and where the integration role's credentials come from.
_installed: list[tuple] = []


def install(*, accounts, endpoint_url: str) -> tuple:
    installed = (accounts, endpoint_url)
    _installed.append(installed)
    return installed


def uninstall(installed: tuple) -> None:
    if installed in _installed:
        _installed.remove(installed)


def render(template: str, *, body: str, context: dict[str, str]) -> str:
    """A mapping template with the subset of VTL this module documents."""

    def value(match) -> str:
        if match["encode"] is not None:
            inner = match["encode"]
            text = inner[1:-1] if inner[0] in "'\"" else render(inner, body=body,
                                                                context=context)
            return quote_plus(text, safe="*")
        if match["path"] is not None:
            return _json_path(body, match["path"][1:-1])
        if match["context"] is not None:
            return context.get(match["context"], match[0])
        return body

    return TEMPLATE_EXPRESSION.sub(value, template)


def _json_path(body: str, path: str) -> str:
    try:
        node = json.loads(body) if body else {}
    except json.JSONDecodeError:
        return ""
    for key in [k for k in path.lstrip("$").split(".") if k]:
        node = node.get(key) if isinstance(node, dict) else None
    return json.dumps(node)


def respond(*, integration, request, account_id: str, region: str, api_id: str, stage: str,
            resource_path: str, recorder: trace.Recorder):
    """API Gateway's answer for a method whose integration is an AWS service."""

    target = SERVICE_URI.match(integration.uri or "")
    if (target is None or target["service"] not in SUPPORTED_SERVICES
            or not integration.credentials or not _installed):
        return HttpResponse.json(*CONFIGURATION_ERROR)
    request_id = str(uuid.uuid4())
    content_type = (request.headers.get("Content-Type") or DEFAULT_CONTENT_TYPE).split(";")[0]
    templates = integration.request_templates or {}
    template = templates.get(content_type.strip().lower())
    behavior = (integration.passthrough_behaviour or "WHEN_NO_MATCH").upper()
    body = request.body.decode("utf-8", "replace")
    if template is None and (behavior == "NEVER"
                             or (behavior == "WHEN_NO_TEMPLATES" and templates)):
        return HttpResponse.json(*UNSUPPORTED_MEDIA_TYPE)
    context = {"requestId": request_id, "accountId": account_id, "apiId": api_id,
               "stage": stage, "httpMethod": request.method, "resourcePath": resource_path}
    payload = render(template, body=body, context=context) if template is not None else body
    headers = _integration_headers(integration.request_parameters or {}, request)
    recorder.record(account_id, trace.DELIVERY, source=f"apigateway:{api_id}/{stage}",
                    target=target["path"].rsplit("/", 1)[-1], mode="sync",
                    route=f"{request.method} {resource_path}",
                    event={"service": target["service"], "path": target["path"],
                           "headers": headers, "body": payload})
    status, answer = _call(service=target["service"], region=target["region"],
                           path=target["path"], headers=headers, body=payload,
                           role_arn=integration.credentials, account_id=account_id,
                           caller=f"apigateway:{api_id}")
    return _integration_response(integration, status, answer)


def _integration_headers(parameters: dict, request) -> dict[str, str]:
    """`integration.request.header.X` from a static 'value' or a method request parameter."""
    headers = {}
    for name, source in parameters.items():
        if not name.startswith("integration.request.header."):
            continue
        header = name.removeprefix("integration.request.header.")
        if source[:1] == source[-1:] == "'" and len(source) >= 2:
            headers[header] = source[1:-1]
        elif source.startswith("method.request.header."):
            wanted = source.removeprefix("method.request.header.").lower()
            found = next((v for k, v in request.headers.items() if k.lower() == wanted), None)
            if found is not None:
                headers[header] = found
    return headers


def _call(*, service, region, path, headers, body, role_arn, account_id, caller):
    """Send the integration request, signed with the role's credentials, to the lab cloud."""
    accounts, endpoint_url = _installed[-1]
    variables = accounts.function_credentials(account_id, role_arn, "apigateway")
    accounts.callers[variables["AWS_ACCESS_KEY_ID"]] = (account_id, caller)
    credentials = Credentials(variables["AWS_ACCESS_KEY_ID"],
                              variables["AWS_SECRET_ACCESS_KEY"], variables["AWS_SESSION_TOKEN"])
    url = f"{endpoint_url}/{path.lstrip('/')}"
    signed = AWSRequest(method="POST", url=url, data=body.encode(), headers=headers)
    SigV4Auth(credentials, service, region).add_auth(signed)
    call = urllib.request.Request(url, data=body.encode(), method="POST",
                                  headers=dict(signed.headers.items()))
    try:
        with urllib.request.urlopen(call, timeout=29) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def query_answer_as_json(xml: bytes) -> dict:
    """A query-protocol (XML) answer in the JSON form AWS services give API Gateway."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return {"message": xml.decode("utf-8", "replace")}
    if _local(root.tag) == "ErrorResponse":  # {"Error": {"Code", "Message", "Type"}, ...}
        return _element(root)
    return {_local(root.tag): _element(root)}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _element(element):
    """An element as JSON, members in alphabetical order as the service writes them."""
    children = list(element)
    if not children:
        return element.text
    document = {_local(child.tag): _element(child) for child in children}
    for member in SQS_RESULT_MEMBERS.get(_local(element.tag), ()):
        document.setdefault(member, None)
    return dict(sorted(document.items()))


def _integration_response(integration, status: int, answer: bytes):

    responses = integration.integration_responses or {}
    chosen = next((r for r in responses.values() if r.selection_pattern
                   and re.fullmatch(r.selection_pattern, str(status))), None)
    chosen = chosen or next((r for r in responses.values() if not r.selection_pattern), None)
    if chosen is None:
        return HttpResponse.json(*CONFIGURATION_ERROR)
    backend = json.dumps(query_answer_as_json(answer), separators=(",", ":"))
    template = (chosen.response_templates or {}).get(DEFAULT_CONTENT_TYPE)
    body = render(template, body=backend, context={}) if template else backend
    headers = {"Content-Type": DEFAULT_CONTENT_TYPE}
    for name, value in (chosen.response_parameters or {}).items():
        if name.startswith("method.response.header.") and value[:1] == value[-1:] == "'":
            headers[name.removeprefix("method.response.header.")] = value[1:-1]
    return HttpResponse(int(chosen.status_code), headers, body.encode())
