"""API destinations: a rule's target that is an HTTP endpoint, reached through a connection.

As the EventBridge User Guide describes them ("API destinations as targets in Amazon
EventBridge"; "Connections for HTTP endpoint targets"):

- the API destination names the endpoint (an `*` in it is replaced by the target's
  HttpParameters.PathParameterValues, in order), the HTTP method, and the connection;
- the connection holds the authorization: API_KEY sends the key as the named header, BASIC an
  `Authorization: Basic` header; its InvocationHttpParameters add headers, query strings and
  body parameters to every request, as the target's HttpParameters do;
- the event (shaped by the target's Input, InputPath or InputTransformer) is the request body;
- the endpoint has 5 seconds to answer;
- a 401, 407, 409, 429 or 5xx answer, a timeout or a refused connection is retried under the
  target's RetryPolicy; any other non-2xx answer is not, and the event goes to the
  dead-letter queue at once.

AWS also requires the target's RoleArn to allow events:InvokeApiDestination; the lab does not
evaluate roles (as for a schedule's execution role). AWS allows HTTPS endpoints only; the lab
also accepts http:// because a lab's endpoint is a local server with no certificate, and the
trace says so. OAuth connections (the token request
to the authorization endpoint) and InvocationRateLimitPerSecond are not modelled: the first
is refused with a clear error, the second ignored. AWS does not publish the ERROR_CODE it puts
in a dead-letter message for each HTTP status; the lab uses its delivery codes (THROTTLING for
429, INTERNAL_ERROR for 5xx, TIMEOUT, CONNECTION_FAILURE, and HTTP_<status> for the rest).
"""

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

from .delivery import DeliveryFailure

ENDPOINT_TIMEOUT_SECONDS = 5
RETRIED_STATUSES = {401, 407, 409, 429}
USER_AGENT = "Amazon/EventBridge/ApiDestinations"
NO_DESTINATION = "API destination {name} does not exist"
NO_CONNECTION = "connection {arn} of API destination {name} does not exist"
OAUTH_NOT_MODELLED = ("the lab does not make OAuth token requests: connection {name} uses "
                      "OAUTH_CLIENT_CREDENTIALS; use API_KEY or BASIC in the lab")
PATH_VALUES = ("the endpoint {endpoint} has {wildcards} '*' path parameters, the target gives "
               "{values} PathParameterValues")


class EndpointFailure(DeliveryFailure):
    """An endpoint's answer or silence, retried when AWS retries it."""

    def __init__(self, code: str, message: str, *, retried: bool, status: int | None = None):
        super().__init__(code, message)
        self._retried = retried
        self.status = status

    @property
    def retryable(self) -> bool:
        return self._retried


def api_destination_send(*, account_id: str, region: str, arn: str, target: dict,
                         payload: str) -> dict:
    """POST (or the destination's method) the payload to the endpoint; the trace fields."""
    from moto.events.models import events_backends

    backend = events_backends[account_id][region]
    name = arn.split(":api-destination/", 1)[1].split("/", 1)[0]
    destination = backend.destinations.get(name)
    if destination is None or destination.arn != arn:
        raise DeliveryFailure("NO_RESOURCE", NO_DESTINATION.format(name=name))
    connection = next((c for c in backend.connections.values()
                       if c.arn == destination.connection_arn), None)
    if connection is None:
        raise DeliveryFailure("NO_RESOURCE", NO_CONNECTION.format(
            arn=destination.connection_arn, name=name))
    if connection.authorization_type == "OAUTH_CLIENT_CREDENTIALS":
        raise DeliveryFailure("INVALID_PARAMETER", OAUTH_NOT_MODELLED.format(
            name=connection.name))
    request = _request(destination, connection, target.get("HttpParameters") or {}, payload)
    return {"endpoint": request.full_url, "http_method": request.get_method(),
            "status": _send(request),
            **({"note": "AWS calls HTTPS endpoints only; the lab allows http:// for a local "
                        "endpoint"} if request.full_url.startswith("http://") else {})}


def _request(destination, connection, http: dict, payload: str) -> urllib.request.Request:
    invocation = (connection.auth_parameters or {}).get("InvocationHttpParameters") or {}
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
    query: list[tuple[str, str]] = []
    for source in (invocation, http):  # the target's own parameters win over the connection's
        headers.update(_pairs(source.get("HeaderParameters")))
        query += list(_pairs(source.get("QueryStringParameters")).items())
    headers.update(_authorization(connection))
    endpoint = _with_path_values(destination.invocation_endpoint,
                                 http.get("PathParameterValues") or [])
    if query:
        endpoint += ("&" if "?" in endpoint else "?") + urllib.parse.urlencode(query)
    method = (destination.http_method or "POST").upper()
    body = None if method in ("GET", "HEAD") else payload.encode()
    return urllib.request.Request(endpoint, data=body, headers=headers, method=method)


def _pairs(parameters) -> dict:
    """A connection lists {Key, Value} items; a target's HttpParameters are a plain map."""
    if isinstance(parameters, list):
        return {item["Key"]: item["Value"] for item in parameters}
    return dict(parameters or {})


def _authorization(connection) -> dict:
    parameters = connection.auth_parameters or {}
    if connection.authorization_type == "API_KEY":
        key = parameters.get("ApiKeyAuthParameters") or {}
        return {key.get("ApiKeyName", "x-api-key"): key.get("ApiKeyValue", "")}
    if connection.authorization_type == "BASIC":
        basic = parameters.get("BasicAuthParameters") or {}
        pair = f"{basic.get('Username', '')}:{basic.get('Password', '')}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    return {}


def _with_path_values(endpoint: str, values: list[str]) -> str:
    wildcards = endpoint.count("*")
    if wildcards != len(values):
        raise DeliveryFailure("INVALID_PARAMETER", PATH_VALUES.format(
            endpoint=endpoint, wildcards=wildcards, values=len(values)))
    for value in values:
        endpoint = endpoint.replace("*", urllib.parse.quote(value, safe=""), 1)
    return endpoint


def _send(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=ENDPOINT_TIMEOUT_SECONDS) as answer:
            return answer.status
    except urllib.error.HTTPError as e:
        raise _failure(e.code, e.read(2048).decode(errors="replace")) from None
    except TimeoutError:
        raise EndpointFailure("TIMEOUT", f"the endpoint did not answer within "
                                         f"{ENDPOINT_TIMEOUT_SECONDS} s", retried=True) from None
    except (urllib.error.URLError, ConnectionError) as e:
        reason = getattr(e, "reason", e)
        if isinstance(reason, TimeoutError):
            raise EndpointFailure("TIMEOUT", f"the endpoint did not answer within "
                                             f"{ENDPOINT_TIMEOUT_SECONDS} s",
                                  retried=True) from None
        raise EndpointFailure("CONNECTION_FAILURE", f"could not connect: {reason}",
                              retried=True) from None


def _failure(status: int, body: str) -> EndpointFailure:
    message = f"HTTP {status}" + (f": {_short(body)}" if body.strip() else "")
    if status == 429:
        return EndpointFailure("THROTTLING", message, retried=True, status=status)
    if status >= 500:
        return EndpointFailure("INTERNAL_ERROR", message, retried=True, status=status)
    return EndpointFailure(f"HTTP_{status}", message, retried=status in RETRIED_STATUSES,
                           status=status)


def _short(body: str) -> str:
    try:
        document = json.loads(body)
        body = document.get("message") or document.get("Message") or body
    except (ValueError, AttributeError):
        pass
    return str(body).strip()[:200]
