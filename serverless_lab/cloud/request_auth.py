"""Who may call into the lab cloud's AWS endpoint, checked before moto sees a request.

moto takes any access key it does not know into its default account, never looks at an
expiry, and lets STS AssumeRole into any account. The lab answers as AWS does instead:
- a key neither the lab nor moto's STS issued: STS's 403 InvalidClientTokenId;
- credentials past their expiry: STS's 400 ExpiredToken;
- AssumeRole into another account (no trust policy in the lab allows it), or an unsigned
  AssumeRoleWithWebIdentity/SAML (the lab has no identity provider to trust): AccessDenied.
The refusal is written in the protocol the caller's SDK reads (JSON or XML), so boto3 and
the AWS CLI show AWS's code and message.
"""

import io
import json
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

ASSUME_ROLE = "AssumeRole"
UNSIGNED_ASSUME = ("AssumeRoleWithWebIdentity", "AssumeRoleWithSAML")
XML_SERVICES = {"s3", "sts", "iam", "sns", "cloudformation"}
NOT_AUTHORIZED = "User: {caller} is not authorized to perform: sts:{action} on resource: {role}"
REQUEST_ID = "00000000-0000-0000-0000-000000000000"


def query_parameters(environ) -> dict[str, str]:
    """A query-protocol request's parameters (body or query string); the body stays readable."""
    params = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        params.update({k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()})
    return params


def unsigned_refusal(environ) -> tuple[int, str, str] | None:
    """An unsigned request reaches only moto's default account, except these STS calls,
    which would hand out credentials in any account a role ARN names."""
    params = query_parameters(environ)
    action = params.get("Action", "")
    if action in UNSIGNED_ASSUME:
        return 403, "AccessDenied", NOT_AUTHORIZED.format(
            caller="an unsigned request", action=action, role=params.get("RoleArn", ""))
    return None


def assume_role_refusal(environ, *, service: str, account_id: str,
                        caller_arn: str) -> tuple[int, str, str] | None:
    """AssumeRole stays inside the caller's own account."""
    if service != "sts":
        return None
    params = query_parameters(environ)
    action = params.get("Action", "")
    if action != ASSUME_ROLE and action not in UNSIGNED_ASSUME:
        return None
    role = params.get("RoleArn", "")
    parts = role.split(":")
    if action == ASSUME_ROLE and len(parts) > 4 and parts[4] == account_id:
        return None
    return 403, "AccessDenied", NOT_AUTHORIZED.format(caller=caller_arn, action=action,
                                                      role=role)


def refuse(environ, start_response, refusal: tuple[int, str, str], *, service: str):
    """AWS's error answer, in JSON for JSON protocols and XML for query and REST-XML ones."""
    status, code, message = refusal
    form = environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
    if service in XML_SERVICES or form:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
                f"<Message>{escape(message)}</Message></Error>"
                f"<RequestId>{REQUEST_ID}</RequestId></ErrorResponse>").encode()
        content_type = "text/xml"
    else:
        body = json.dumps({"__type": code, "message": message}).encode()
        content_type = "application/x-amz-json-1.1"
    reason = {400: "Bad Request", 403: "Forbidden"}.get(status, "Error")
    start_response(f"{status} {reason}", [
        ("Content-Type", content_type), ("Content-Length", str(len(body))),
        ("x-amzn-ErrorType", f"{code}:"), ("x-amzn-RequestId", REQUEST_ID)])
    return [body]
