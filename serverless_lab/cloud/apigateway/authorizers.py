"""API Gateway authorizers: Lambda (TOKEN and REQUEST) and Cognito user pools on REST APIs, JWT
on HTTP APIs, with AWS's answers when a caller is refused.

A Lambda authorizer is a function API Gateway invokes with the caller's identity; it answers
with a principal, an IAM policy over `execute-api` ARNs and an optional context. API Gateway
evaluates the policy against the request's method ARN, caches the answer by the identity
source values for the authorizer's TTL, and passes principal and context to the backend.
"""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from moto.awslambda.models import lambda_backends

from serverless_lab.cloud import trace
from serverless_lab.cloud.awslambda.invoke_api import qualified_arn

from .jwt import InvalidToken, bearer, pool_issuer, token_scopes, token_verify

# API Gateway's answers, word for word. ACCESS_DENIED keeps AWS's capital "Message".
UNAUTHORIZED = (401, {"message": "Unauthorized"})
EXPLICIT_DENY = (403, {"Message": "User is not authorized to access this resource with an "
                                  "explicit deny"})
IMPLICIT_DENY = (403, {"Message": "User is not authorized to access this resource"})
AUTHORIZER_FAILURE = (500, {"message": None})
FORBIDDEN = (403, {"message": "Forbidden"})
ERROR_TYPES = {401: "UnauthorizedException", 403: "AccessDeniedException",
               500: "AuthorizerConfigurationException"}
DEFAULT_TTL_SECONDS = 300  # when an authorizer does not set authorizerResultTtlInSeconds
FUNCTION_IN_URI = re.compile(r"functions/(?P<arn>arn:[^/]+)/invocations")


@dataclass
class Decision:
    """An authorizer's verdict on one request: go on to the integration (with
    `requestContext.authorizer` for it), or answer the caller with status and document."""

    allowed: bool
    outcome: str  # allow | deny | unauthorized | forbidden | error
    context: dict | None = None
    status: int = 200
    document: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cached: bool = False
    principal_id: str | None = None

    @classmethod
    def refuse(cls, outcome: str, answer: tuple[int, dict], headers: dict | None = None, *,
               rest: bool = True) -> "Decision":
        """A refusal with API Gateway's answer; REST APIs also name the error's type."""
        status, document = answer
        headers = dict(headers or {})
        if rest and status in ERROR_TYPES:
            headers["x-amzn-ErrorType"] = ERROR_TYPES[status]
        return cls(False, outcome, status=status, document=document, headers=headers)

    def summary(self, *, name: str, kind: str) -> dict:
        """What the trace shows of the decision (the `authorizer` field of the http event)."""
        return {"name": name, "type": kind, "decision": self.outcome, "cached": self.cached,
                "principal_id": self.principal_id,
                "status": None if self.allowed else self.status}


class ResultCache:
    """Authorizer answers by (account, api, stage, authorizer, identity values), until TTL."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple, tuple[float, dict]] = {}

    def get(self, key: tuple) -> dict | None:
        with self._lock:
            found = self._entries.get(key)
            if found and found[0] > self.clock():
                return found[1]
            self._entries.pop(key, None)
            return None

    def put(self, key: tuple, answer: dict, ttl: float) -> None:
        if ttl > 0:
            with self._lock:
                self._entries[key] = (self.clock() + ttl, answer)


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM's matching: `*` any run of characters (slashes included), `?` any one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, arn) is not None


def policy_effect(policy: dict, method_arn: str) -> str | None:
    """'Deny' if a statement denies execute-api:Invoke on the ARN (an explicit deny wins),
    'Allow' if one allows it, None if none speaks of it (an implicit deny)."""
    effects = set()
    for statement in _as_list(policy.get("Statement")):
        if not isinstance(statement, dict):
            continue
        actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
        if not any(a in ("*", "execute-api:*", "execute-api:invoke") for a in actions):
            continue
        if any(arn_matches(str(r), method_arn) for r in _as_list(statement.get("Resource"))):
            effects.add(str(statement.get("Effect", "")).capitalize())
    return "Deny" if "Deny" in effects else "Allow" if "Allow" in effects else None


def _as_list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def header(headers: dict[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def rest_identity_values(identity_source: str, *, event: dict) -> list[str | None]:
    """The values of a REST authorizer's identity sources (`method.request.header.X`,
    `method.request.querystring.q`, `stageVariables.v`, `context.k`) for a request whose v1
    event is given."""
    values = []
    for source in [s.strip() for s in (identity_source or "").split(",") if s.strip()]:
        parts = source.split(".")
        if source.startswith("method.request.header.") or source.startswith(
                "method.request.multivalueheader."):
            values.append(header(event.get("headers") or {}, parts[3]))
        elif source.startswith("method.request.querystring.") or source.startswith(
                "method.request.multivaluequerystring."):
            values.append((event.get("queryStringParameters") or {}).get(parts[3]))
        elif source.startswith("method.request.path."):
            values.append((event.get("pathParameters") or {}).get(parts[3]))
        elif source.startswith("stageVariables."):
            values.append((event.get("stageVariables") or {}).get(parts[1]))
        elif source.startswith("context."):
            values.append(event["requestContext"].get(parts[1]))
        else:
            values.append(None)
    return values


def _stringified(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return value if isinstance(value, str) else str(value)


def rest_claims(claims: dict) -> dict[str, str]:
    """Claims as a REST API passes them on: every value a string, exp and iat as dates."""
    shown = {}
    for key, value in claims.items():
        if key in ("exp", "iat") and isinstance(value, int | float):
            shown[key] = datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
        else:
            shown[key] = _stringified(value)
    return shown


def http_claims(claims: dict) -> dict[str, str]:
    """Claims as an HTTP API passes them on: strings, lists as `[a b]`."""
    return {k: "[" + " ".join(str(x) for x in v) + "]" if isinstance(v, list)
            else _stringified(v) for k, v in claims.items()}


class RestAuthorizers:
    """Runs a REST API method's authorizer. `invoke(function, event_json)` is the lab's
    synchronous Lambda invoke; the recorder shows the authorizer's invocation as a hop."""

    def __init__(self, *, invoke, recorder: trace.Recorder):
        self.invoke = invoke
        self.recorder = recorder
        self.cache = ResultCache()

    def authorize(self, *, account_id: str, region: str, api, stage: str, method,
                  event: dict, method_arn: str, route: str) -> tuple[Decision, dict] | None:
        """(decision, authorizer summary for the trace), or None when the method has none."""
        kind = (method.authorization_type or "NONE").upper()
        authorizer = api.authorizers.get(method.authorizer_id) if method.authorizer_id else None
        if kind not in ("CUSTOM", "COGNITO_USER_POOLS") or authorizer is None:
            return None
        if kind == "COGNITO_USER_POOLS":
            decision = self._cognito(authorizer, method, event)
        else:
            decision = self._lambda(account_id=account_id, region=region, api=api, stage=stage,
                                    authorizer=authorizer, event=event,
                                    method_arn=method_arn, route=route)
        kind_name = "COGNITO_USER_POOLS" if kind != "CUSTOM" else authorizer.type.upper()
        return decision, decision.summary(name=authorizer.name, kind=kind_name)

    def _cognito(self, authorizer, method, event: dict) -> Decision:
        values = rest_identity_values(authorizer.identity_source
                                      or "method.request.header.Authorization", event=event)
        token = bearer(values[0] if values else None)
        if not token or not _validates(authorizer.identity_validation_expression, token):
            return Decision.refuse("unauthorized", UNAUTHORIZED)
        try:
            claims = token_verify(token)
        except InvalidToken:
            return Decision.refuse("unauthorized", UNAUTHORIZED)
        issuers = {pool_issuer(arn) for arn in authorizer.provider_arns or []}
        scopes = method.authorization_scopes or []
        wrong_use = claims.get("token_use") != ("access" if scopes else "id")
        if (claims.get("iss") not in issuers or wrong_use
                or (scopes and not set(scopes) & set(token_scopes(claims)))):
            return Decision.refuse("unauthorized", UNAUTHORIZED)
        return Decision(True, "allow", context={"claims": rest_claims(claims)},
                        principal_id=str(claims.get("sub")))

    def _lambda(self, *, account_id, region, api, stage, authorizer, event, method_arn,
                route) -> Decision:
        token_type = (authorizer.type or "TOKEN").upper() == "TOKEN"
        ttl = (DEFAULT_TTL_SECONDS if authorizer.authorizer_result_ttl is None
               else int(authorizer.authorizer_result_ttl))
        values = rest_identity_values(authorizer.identity_source
                                      or "method.request.header.Authorization", event=event)
        if token_type:
            token = values[0] if values else None
            if not token or not _validates(authorizer.identity_validation_expression, token):
                return Decision.refuse("unauthorized", UNAUTHORIZED)
            document = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        else:
            # With caching on, every identity source must be present: it is the cache key.
            if ttl > 0 and (not values or any(not v for v in values)):
                return Decision.refuse("unauthorized", UNAUTHORIZED)
            document = {"type": "REQUEST", "methodArn": method_arn,
                        **{k: v for k, v in event.items() if k not in ("body",
                                                                       "isBase64Encoded")}}
        key = (account_id, api.id, stage, authorizer.id, tuple(values))
        answer = self.cache.get(key) if ttl > 0 else None
        cached, latency = answer is not None, 0
        if answer is None:
            started = time.perf_counter()
            answer = self._invoke(account_id=account_id, region=region, api=api, stage=stage,
                                  authorizer=authorizer, document=document, route=route)
            latency = round((time.perf_counter() - started) * 1000)
            if isinstance(answer, Decision):
                return answer
            self.cache.put(key, answer, ttl)
        decision = _policy_decision(answer, method_arn, latency)
        decision.cached = cached
        return decision

    def _invoke(self, *, account_id, region, api, stage, authorizer, document, route):
        """The authorizer function's answer, or a Decision when it failed."""
        found = FUNCTION_IN_URI.search(authorizer.authorizer_uri or "")
        try:
            fn = lambda_backends[account_id][region].get_function(found["arn"])
        except Exception:  # noqa: BLE001 - a missing authorizer function is AWS's 500 too
            return Decision.refuse("error", AUTHORIZER_FAILURE)
        self.recorder.record(account_id, trace.DELIVERY, source=f"apigateway:{api.id}/{stage}",
                             target=fn.function_name, mode="sync", route=route,
                             authorizer=authorizer.name, event=document)
        invocation = self.invoke(fn, json.dumps(document),
                                 qualified_arn=qualified_arn(fn, found["arn"]))
        if invocation.error is not None:
            if invocation.error.get("errorMessage") == "Unauthorized":
                return Decision.refuse("unauthorized", UNAUTHORIZED)
            return Decision.refuse("error", AUTHORIZER_FAILURE)
        try:
            answer = json.loads(invocation.payload or "null")
        except json.JSONDecodeError:
            answer = None
        if not _well_formed(answer):
            return Decision.refuse("error", AUTHORIZER_FAILURE)
        return answer


def _validates(expression: str | None, token: str) -> bool:
    return not expression or re.fullmatch(expression, token) is not None


def _well_formed(answer) -> bool:
    """An authorizer answer API Gateway accepts: a principal, a policy, flat context values
    (strings, numbers, booleans or null; an object or a list is an error)."""
    if not isinstance(answer, dict) or "principalId" not in answer:
        return False
    policy = answer.get("policyDocument")
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), list | dict):
        return False
    context = answer.get("context") or {}
    return isinstance(context, dict) and all(
        v is None or isinstance(v, str | int | float | bool) for v in context.values())


def _policy_decision(answer: dict, method_arn: str, latency: int) -> Decision:
    principal = str(answer["principalId"])
    effect = policy_effect(answer["policyDocument"], method_arn)
    if effect != "Allow":
        decision = Decision.refuse("deny", EXPLICIT_DENY if effect == "Deny" else IMPLICIT_DENY)
        decision.principal_id = principal
        return decision
    context = {k: _stringified(v) for k, v in (answer.get("context") or {}).items()}
    return Decision(True, "allow", principal_id=principal,
                    context={**context, "principalId": principal,
                             "integrationLatency": latency})


def jwt_authorize(authorizer, *, headers: dict[str, str], route_scopes: list[str]) -> Decision:
    """An HTTP API JWT authorizer: token from the identity source, signature, issuer,
    audience (or client_id when the token has no aud), expiry, then the route's scopes."""
    sources = authorizer.identity_source or ["$request.header.Authorization"]
    source = sources[0] if isinstance(sources, list) else str(sources).split(",")[0]
    name = source.strip().removeprefix("$request.header.")
    token = bearer(header(headers, name))
    if not token:
        return Decision.refuse("unauthorized", UNAUTHORIZED, rest=False)
    config = authorizer.jwt_config or {}
    try:
        claims = token_verify(token)
        if claims.get("iss") != config.get("issuer"):
            raise InvalidToken("the token does not have a valid issuer")
        audience = claims["aud"] if "aud" in claims else claims.get("client_id")
        if not set(_as_list(audience)) & set(config.get("audience") or []):
            raise InvalidToken("the token does not have a valid audience")
    except InvalidToken as e:
        challenge = f'Bearer scope="" error="invalid_token" error_description="{e}"'
        return Decision.refuse("unauthorized", UNAUTHORIZED, {"www-authenticate": challenge},
                               rest=False)
    granted = token_scopes(claims)
    if route_scopes and not set(route_scopes) & set(granted):
        challenge = (f'Bearer scope="{" ".join(route_scopes)}" error="insufficient_scope" '
                     f'error_description="Insufficient scope"')
        return Decision.refuse("forbidden", FORBIDDEN, {"www-authenticate": challenge},
                               rest=False)
    return Decision(True, "allow", principal_id=str(claims.get("sub")),
                    context={"jwt": {"claims": http_claims(claims),
                                     "scopes": granted if route_scopes else None}})
