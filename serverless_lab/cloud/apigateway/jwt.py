"""JSON Web Tokens checked as API Gateway checks them: signature first, then the claims.

API Gateway fetches the issuer's public keys from its `jwks_uri`. The sandbox's issuers are
moto's Cognito user pools, which all sign with the key moto ships and publish it at
`<issuer>/.well-known/jwks.json`; the lab reads that same document from moto's package, so a
check never leaves the machine. Only RSA signatures are accepted, as on AWS.
"""

import re
import time
from functools import cache

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from moto.cognitoidp.models import cognitoidp_backends
from moto.utilities.utils import load_resource

COGNITO_ISSUER = re.compile(
    r"^https://cognito-idp\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<pool_id>[\w-]+)$")
RSA_ALGORITHMS = ["RS256", "RS384", "RS512"]


class InvalidToken(ValueError):
    """The token is refused; the message is what API Gateway puts in `error_description`."""


@cache
def cognito_key_set() -> KeySet:
    return KeySet.import_key_set(load_resource("cognitoidp/resources/jwks-public.json"))


def user_pool_exists(pool_id: str) -> bool:
    """Whether any account of the lab cloud has this user pool (its jwks_uri answers)."""
    for regions in list(cognitoidp_backends.values()):
        for backend in list(regions.values()):
            if pool_id in backend.user_pools:
                return True
    return False


def pool_issuer(user_pool_arn: str) -> str:
    """The `iss` of the tokens a user pool issues, from the pool's ARN."""
    _, _, _, region, _, resource = user_pool_arn.split(":", 5)
    return f"https://cognito-idp.{region}.amazonaws.com/{resource.split('/', 1)[1]}"


def token_verify(token: str, *, now: float | None = None) -> dict:
    """The claims of a token whose signature and lifetime check out; InvalidToken otherwise.
    The caller checks issuer, audience, token use and scopes, which depend on the authorizer."""
    try:
        header = jws.extract_compact(token.encode()).headers()
    except (JoseError, ValueError, UnicodeError):
        raise InvalidToken("the token is not a valid JWT") from None
    if header.get("alg") not in RSA_ALGORITHMS:
        raise InvalidToken("the token is not signed with an RSA algorithm")
    try:
        claims = jwt.decode(token, cognito_key_set(), algorithms=RSA_ALGORITHMS).claims
    except (JoseError, ValueError):
        raise InvalidToken("the token signature is invalid") from None
    issuer = COGNITO_ISSUER.match(str(claims.get("iss", "")))
    if issuer is None or not user_pool_exists(issuer["pool_id"]):
        raise InvalidToken("unable to fetch the issuer's signing keys")
    now = time.time() if now is None else now
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= now:
        raise InvalidToken("the token has expired")
    if isinstance(claims.get("nbf"), int | float) and claims["nbf"] > now:
        raise InvalidToken("the token is not valid yet")
    return claims


def token_scopes(claims: dict) -> list[str]:
    """The scopes a token grants (`scope`, space separated, or `scp`)."""
    scopes = claims.get("scope", claims.get("scp", ""))
    return scopes.split() if isinstance(scopes, str) else [str(s) for s in scopes or []]


def bearer(value: str | None) -> str | None:
    """The token in an identity source value, with or without the `Bearer ` prefix."""
    if not value:
        return None
    value = value.strip()
    return (value[7:].strip() or None) if value[:7].lower() == "bearer " else value
