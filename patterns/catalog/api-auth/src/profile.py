"""GET /profile: the signed-in user's profile. API Gateway's Cognito authorizer has already
verified the ID token (signature, issuer, expiry), so the handler reads the user from the
token's claims and trusts them."""

import json


def handler(event, context):
    claims = event["requestContext"]["authorizer"]["claims"]
    profile = {"user_id": claims["sub"], "email": claims.get("email"),
               "email_verified": claims.get("email_verified") == "true",
               "token_use": claims["token_use"]}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(profile)}
