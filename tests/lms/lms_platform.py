"""A simulated LTI 1.3 platform (an LMS): its own RSA key, a JWKS endpoint, an OAuth2 token
endpoint that checks the tool's signed client assertion, an AGS score endpoint that records
what it is sent, and an NRPS roster; all served on a loopback port by a thread."""

import html
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from jwcrypto.jwk import JWK

ISSUER = "https://lms.example.edu"
CLIENT_ID = "serverless-lab-client"
DEPLOYMENT_ID = "deployment-1"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership"
INSTRUCTOR = [f"{ROLE}#Instructor"]
LEARNER = [f"{ROLE}#Learner"]
TEACHING_ASSISTANT = [f"{ROLE}#Instructor", f"{ROLE}/Instructor#TeachingAssistant"]
SCOPES = ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
          "https://purl.imsglobal.org/spec/lti-ags/scope/score"]


class Platform:
    def __init__(self):
        self.key = JWK.generate(kty="RSA", size=2048, kid="platform-key-1")
        self.scores: list[dict] = []  # {"path", "body", "authorization"}
        self.tokens: list[str] = []
        self.members: list[dict] = []
        self.down = False
        self.tool_jwks: dict = {"keys": []}
        self.last_launch: dict = {}
        self.auth_as: dict = {}  # who the browser is signed into the LMS as (claims() kwargs)
        self.deep_link_returns: list[str] = []  # JWTs the tool's responses posted back
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def jwks(self) -> dict:
        return {"keys": [{**json.loads(self.key.export_public()), "alg": "RS256",
                          "use": "sig"}]}

    def sign(self, claims: dict, *, key: JWK | None = None) -> str:
        key = key or self.key
        return jwt.encode(claims, key.export_to_pem(private_key=True, password=None),
                          algorithm="RS256", headers={"kid": key.get("kid")})

    def claims(self, *, nonce, sub, roles, message_type="LtiResourceLinkRequest",
               context_id="course-101", context_title="Serverless 101", resource_link="rl-1",
               custom=None, lineitem=None, name="Sam Student") -> dict:
        now = int(time.time())
        claims = {
            "iss": ISSUER, "aud": CLIENT_ID, "sub": sub, "iat": now, "exp": now + 300,
            "nonce": nonce, "name": name, "given_name": name.split()[0],
            "family_name": name.split()[-1], "email": f"{sub}@lms.example.edu",
            LTI + "message_type": message_type, LTI + "version": "1.3.0",
            LTI + "deployment_id": DEPLOYMENT_ID, LTI + "roles": roles,
            LTI + "target_link_uri": "http://testserver/lti/launch/",
            LTI + "context": {"id": context_id, "title": context_title, "label": "SL101",
                              "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#"
                                       "CourseOffering"]},
            NRPS: {"context_memberships_url": f"{self.url}/memberships",
                   "service_versions": ["2.0"]},
            AGS: {"scope": SCOPES, "lineitems": f"{self.url}/lineitems",
                  **({"lineitem": lineitem} if lineitem else {})},
        }
        if message_type == "LtiResourceLinkRequest":
            claims[LTI + "resource_link"] = {"id": resource_link, "title": "Lab activity"}
        else:
            claims[DL_SETTINGS] = {"deep_link_return_url": f"{self.url}/deep-link-return",
                                   "accept_types": ["ltiResourceLink"],
                                   "accept_presentation_document_targets": ["iframe", "window"],
                                   "data": "platform-opaque"}
        if custom:
            claims[LTI + "custom"] = custom
        return claims

    def login(self, client, *, secure=False) -> tuple[str, str, str]:
        """The OIDC login step: the tool answers with a redirect to our auth endpoint."""
        response = client.get("/lti/login/", secure=secure, data={
            "iss": ISSUER, "login_hint": "hint", "client_id": CLIENT_ID,
            "target_link_uri": "http://testserver/lti/launch/",
            "lti_deployment_id": DEPLOYMENT_ID})
        assert response.status_code == 302, response.content
        location = urlsplit(response["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == f"{self.url}/auth"
        query = {k: v[0] for k, v in parse_qs(location.query).items()}
        return query["state"], query["nonce"], query["redirect_uri"]

    def launch(self, client, *, sub="student-1", roles=LEARNER, key=None, state=None,
               secure=False, **overrides):
        """Log in and post a signed id_token, as the LMS does; `overrides` replace claims
        (a `nonce` of None keeps the one the tool issued)."""
        issued_state, nonce, redirect_uri = self.login(client, secure=secure)
        shape = {k: overrides.pop(k) for k in list(overrides)
                 if k in ("message_type", "context_id", "context_title", "resource_link",
                          "custom", "lineitem", "name")}
        claims = self.claims(nonce=nonce, sub=sub, roles=roles, **shape)
        claims.update(overrides)
        data = {"id_token": self.sign(claims, key=key), "state": state or issued_state}
        self.last_launch = {"path": urlsplit(redirect_uri).path, "data": data}
        return client.post(self.last_launch["path"], data, secure=secure)

    def replay(self, client):
        return client.post(self.last_launch["path"], self.last_launch["data"])


def _handler(platform: Platform):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _json(self, status: int, body, content_type="application/json"):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            return self.headers.get("Authorization", "").removeprefix("Bearer ") \
                in platform.tokens

        def _html(self, status: int, text: str):
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.startswith("/auth?"):  # OIDC auth: post the id_token back (a browser)
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                token = platform.sign(platform.claims(nonce=query["nonce"], **platform.auth_as))
                return self._html(200, (
                    f'<form id="f" method="post" action="{html.escape(query["redirect_uri"])}">'
                    f'<input type="hidden" name="id_token" value="{token}">'
                    f'<input type="hidden" name="state" value="{html.escape(query["state"])}">'
                    '</form><script>document.getElementById("f").submit()</script>'))
            if self.path == "/jwks":
                return self._json(200, platform.jwks())
            if self.path.startswith("/memberships"):
                if not self._authorised():
                    return self._json(401, {"error": "unauthorized"})
                return self._json(200, {"id": "course-101", "members": platform.members},
                                  "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
            return self._json(404, {})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            if platform.down:
                return self._json(503, {"error": "maintenance"})
            if self.path == "/token":
                form = {k: v[0] for k, v in parse_qs(body).items()}
                assertion = form["client_assertion"]
                kid = jwt.get_unverified_header(assertion)["kid"]
                key = next((k for k in platform.tool_jwks["keys"] if k["kid"] == kid), None)
                if key is None:
                    return self._json(401, {"error": "invalid_client"})
                pem = JWK(**key).export_to_pem()
                claims = jwt.decode(assertion, pem, algorithms=["RS256"],
                                    audience=f"{platform.url}/token")
                assert claims["iss"] == CLIENT_ID
                token = uuid.uuid4().hex
                platform.tokens.append(token)
                return self._json(200, {"access_token": token, "token_type": "Bearer",
                                        "expires_in": 3600, "scope": form.get("scope", "")})
            if self.path == "/deep-link-return":
                platform.deep_link_returns.append(parse_qs(body)["JWT"][0])
                return self._html(200, "<h1>The LMS received the activity</h1>")
            if self.path.endswith("/scores"):
                if not self._authorised():
                    return self._json(401, {"error": "unauthorized"})
                platform.scores.append({"path": self.path, "body": json.loads(body),
                                        "content_type": self.headers["Content-Type"]})
                return self._json(200, {})
            return self._json(404, {})

    return Handler
