"""API Gateway: REST, HTTP and WebSocket APIs answering over HTTP on the lab cloud.

moto stores APIs but routes nothing; the lab routes each request as API Gateway does:
- `messages.py`: the request, the answer and the v1 proxy event and answer every gateway
  shares (so the gateways never import each other's internals);
- `rest.py` (REST APIs: routing, stage throttling, Lambda proxy and MOCK integrations),
  `aws_integration.py` (AWS service integrations, e.g. API Gateway -> SQS),
  `authorizers.py` (REST Lambda TOKEN/REQUEST and Cognito authorizers, HTTP API JWT),
  `http_api.py` (HTTP APIs, payload format 2.0, CORS) and `http_authorizers.py` (their
  Lambda authorizers), `websocket.py` (WebSocket APIs) and `connections.py` (@connections);
- `jwt.py` (token checks against the sandbox's Cognito keys), `throttling.py` (token buckets).

Left out: custom domain names, usage plans and API keys, request validators, VTL beyond the
SQS integration's templates, private APIs, mutual TLS, edge-optimized endpoints.
"""
