"""Architecture diagrams drawn from a pattern's SAM template, so the picture is what deploys.

The diagram is Mermaid flowchart text (rendered in the browser by the vendored Mermaid) plus
the same facts as sentences, the text alternative for screen readers.
Layers are subgraphs; synchronous edges are solid, asynchronous (polled or pushed) dashed.
Inside a layer, a dashed box around a node is the IAM role it acts with (diagram_roles.py).
"""

from dataclasses import dataclass, field
from pathlib import Path

from serverless_lab.cloud.deploy.sam import template_read

from .diagram_roles import policy_targets, role_boundaries
from .template_refs import refs

LAYERS = (("client", "Client"), ("api", "API"), ("compute", "Compute"),
          ("integration", "Integration"), ("data", "Data"))
LAYER_OF_TYPE = {
    "AWS::Serverless::Api": "api", "AWS::Serverless::HttpApi": "api",
    "AWS::ApiGateway::RestApi": "api", "AWS::ApiGatewayV2::Api": "api",
    "AWS::Serverless::Function": "compute", "AWS::Lambda::Function": "compute",
    "AWS::Serverless::StateMachine": "compute", "AWS::StepFunctions::StateMachine": "compute",
    "AWS::DynamoDB::Table": "data", "AWS::Serverless::SimpleTable": "data",
    "AWS::S3::Bucket": "data",
    "AWS::SQS::Queue": "integration", "AWS::SNS::Topic": "integration",
    "AWS::Events::EventBus": "integration", "AWS::Kinesis::Stream": "integration",
    "AWS::Cognito::UserPool": "api",
    "AWS::KinesisFirehose::DeliveryStream": "integration",
}
SERVICE_OF_TYPE = {
    "AWS::Serverless::Function": "Lambda", "AWS::Lambda::Function": "Lambda",
    "AWS::DynamoDB::Table": "DynamoDB", "AWS::Serverless::SimpleTable": "DynamoDB",
    "AWS::S3::Bucket": "S3", "AWS::SQS::Queue": "SQS", "AWS::SNS::Topic": "SNS",
    "AWS::Kinesis::Stream": "Kinesis", "AWS::Events::EventBus": "EventBridge",
    "AWS::Serverless::StateMachine": "Step Functions",
    "AWS::Serverless::Api": "API Gateway", "AWS::Serverless::HttpApi": "API Gateway (HTTP)",
    "AWS::Cognito::UserPool": "Cognito user pool",
    "AWS::KinesisFirehose::DeliveryStream": "Data Firehose",
}
# SAM policy templates -> the verb shown on the edge from the function to the resource.
POLICY_VERBS = {"DynamoDBCrudPolicy": "read/write", "DynamoDBReadPolicy": "read",
                "DynamoDBWritePolicy": "write", "S3CrudPolicy": "read/write",
                "S3ReadPolicy": "read", "S3WritePolicy": "write", "SQSSendMessagePolicy": "send",
                "SNSPublishMessagePolicy": "publish", "SQSPollerPolicy": "poll",
                "KinesisCrudPolicy": "read/write", "EventBridgePutEventsPolicy": "put events",
                "StepFunctionsExecutionPolicy": "start", "LambdaInvokePolicy": "invoke"}
ASYNC_EVENTS = {"SQS", "SNS", "S3", "Kinesis", "DynamoDB", "EventBridgeRule", "Schedule",
                "ScheduleV2", "CloudWatchEvent"}
IMPLICIT_API = "ServerlessRestApi"
# AWS Architecture Icons' category colours (the 2023 icon set, as AWS's icon guidelines and
# its PlantUML/draw.io libraries give them): a node's border in its service's category colour
# on a light tint of it, with dark text so it reads on a projector and on a phone.
CATEGORIES = {  # category -> (name shown in the legend, colour, tint)
    "compute": ("Compute", "#ED7100", "#FDEBD9"),
    "integration": ("Application Integration", "#E7157B", "#FCE3EF"),
    "database": ("Database", "#C925D1", "#F7E2F8"),
    "storage": ("Storage", "#7AA116", "#EDF4DC"),
    "networking": ("Networking & Content Delivery", "#8C4FFF", "#EEE6FF"),
    "security": ("Security, Identity & Compliance", "#DD344C", "#FBE3E6"),
    "analytics": ("Analytics", "#8C4FFF", "#EEE6FF"),
    "general": ("Client", "#232F3E", "#FFFFFF"),
}
CATEGORY_OF_SERVICE = {  # the label's service (after <br/>), by its first word(s)
    "Lambda": "compute", "SQS": "integration", "SNS": "integration",
    "EventBridge": "integration", "Step Functions": "integration", "DynamoDB": "database",
    "S3": "storage", "API Gateway": "networking", "Cognito": "security",
    "Kinesis": "analytics", "Data Firehose": "analytics", "Client": "general",
}


@dataclass
class Edge:
    source: str
    target: str
    label: str
    asynchronous: bool = False


@dataclass
class Diagram:
    nodes: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (layer, label)
    edges: list[Edge] = field(default_factory=list)
    roles: list = field(default_factory=list)  # diagram_roles.RoleBoundary, one per role

    def mermaid(self) -> str:
        lines = ["flowchart LR"]
        for layer, title in LAYERS:
            members = [(n, label) for n, (lay, label) in self.nodes.items() if lay == layer]
            if not members:
                continue
            lines.append(f'  subgraph layer_{layer}["{title}"]')
            lines += self._role_boxes(layer)
            bounded = {n for role in self.roles for n in role.members}
            lines += [f'    {n}["{label}"]' for n, label in members if n not in bounded]
            lines += ["  end", f"  style layer_{layer} fill:#F7F8F9,stroke:#879196"]
        for e in self.edges:
            arrow = "-.->" if e.asynchronous else "-->"
            label = f'|"{e.label}"|' if e.label else ""
            lines.append(f"  {e.source} {arrow}{label} {e.target}")
        return "\n".join(lines + self._category_styles())

    def category_of(self, node: str) -> str:
        layer, label = self.nodes[node]
        service = label.partition("<br/>")[2] or label
        if node == "client":
            return "general"
        return next((c for prefix, c in CATEGORY_OF_SERVICE.items()
                     if service.startswith(prefix)), "general")

    def _category_styles(self) -> list[str]:
        """Each node in its AWS icon category's colour (Mermaid classDef and class)."""
        members: dict[str, list[str]] = {}
        for node in self.nodes:
            members.setdefault(self.category_of(node), []).append(node)
        lines = []
        for category, nodes in members.items():
            _, colour, tint = CATEGORIES[category]
            lines.append(f"  classDef aws_{category} fill:{tint},stroke:{colour},"
                         "stroke-width:3px,color:#16191F")
            lines.append(f"  class {','.join(nodes)} aws_{category}")
        return lines

    def legend(self) -> list[tuple[str, str]]:
        """(category name, colour) of the categories the diagram's nodes are in."""
        found = dict.fromkeys(self.category_of(n) for n in self.nodes)
        return [CATEGORIES[c][:2] for c in CATEGORIES if c in found]

    def _role_boxes(self, layer: str) -> list[str]:
        """Each role as a box inside the layer of the nodes that act with it."""
        lines = []
        for role in self.roles:
            members = [n for n in role.members if self.nodes[n][0] == layer]
            if not members:
                continue
            box = f"role_{role.role}_{layer}"
            # What the role allows is a note inside the box: Mermaid's layout leaves room for
            # a one-line subgraph title only.
            allows = "<br/>".join(["allows:", *role.allows])
            lines.append(f'    subgraph {box}["IAM role {role.role}"]')
            lines += [f'      {n}["{self.nodes[n][1]}"]' for n in members]
            lines += [f'      {box}_allows["{allows}"]', "    end",
                      f"    style {box} stroke-dasharray: 5 4",
                      f"    style {box}_allows fill: #fff, font-size: 12px"]
        return lines

    def role_sentences(self) -> list[str]:
        """The role boxes as text: who acts with which role, and what it allows."""
        sentences = []
        for role in self.roles:
            who = " and ".join(f"{n} ({self.nodes[n][1].partition('<br/>')[2]})"
                               for n in role.members)
            made = "SAM makes for it" if role.generated else f"assumed by {role.assumed_by}"
            sentences.append(f"{who} acts with the IAM role {role.role} ({made}), "
                             f"which allows: {'; '.join(role.allows)}.")
        return sentences

    def sentences(self) -> list[str]:
        """The diagram as text: one sentence per edge."""

        def name(n):
            logical_id, _, service = self.nodes[n][1].partition("<br/>")
            return f"{logical_id} ({service})"

        return [f"From {name(e.source)} to {name(e.target)}, "
                f"{'asynchronous' if e.asynchronous else 'synchronous'}: {e.label}."
                for e in self.edges]


def diagram_from_template(folder: Path) -> Diagram:
    template = template_read(folder)
    resources = template["Resources"]
    diagram = Diagram()
    for logical_id, resource in resources.items():
        layer = LAYER_OF_TYPE.get(resource.get("Type"))
        if layer:
            service = SERVICE_OF_TYPE.get(resource["Type"], resource["Type"].split("::")[1])
            diagram.nodes[logical_id] = (layer, f"{logical_id}<br/>{service}")
    _add_service_integration_edges(diagram, resources)
    for logical_id, resource in resources.items():
        # A state machine, like a function, reaches what its role's policies name.
        if resource.get("Type") not in ("AWS::Serverless::Function",
                                        "AWS::Serverless::StateMachine"):
            continue
        properties = resource.get("Properties", {})
        for event in (properties.get("Events") or {}).values():
            _add_event_edges(diagram, logical_id, event)
        destinations = (properties.get("EventInvokeConfig") or {}).get("DestinationConfig") or {}
        for outcome, destination in destinations.items():  # OnSuccess, OnFailure
            for target in refs(destination) & diagram.nodes.keys():
                label = "failed" if outcome == "OnFailure" else "successful"
                diagram.edges.append(Edge(logical_id, target, f"{label} async invocations",
                                          asynchronous=True))
        for policy in properties.get("Policies") or []:
            if isinstance(policy, dict):
                for name, args in policy.items():
                    verb = _statement_actions(args) if name == "Statement" else \
                        POLICY_VERBS.get(name, name)
                    for target in policy_targets(args, resources) & diagram.nodes.keys():
                        diagram.edges.append(Edge(logical_id, target, f"{verb} (IAM role)"))
    for logical_id, resource in resources.items():
        if resource.get("Type") in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
            _add_authorizer_edges(diagram, logical_id, resource.get("Properties", {}))
    _add_websocket_edges(diagram, resources)
    diagram.roles = role_boundaries(resources, diagram.nodes)
    return diagram


def _statement_actions(statements) -> str:
    """An inline policy's actions, e.g. execute-api:ManageConnections."""
    actions = []
    for statement in statements if isinstance(statements, list) else [statements]:
        action = statement.get("Action", []) if isinstance(statement, dict) else []
        actions += action if isinstance(action, list) else [action]
    return ", ".join(dict.fromkeys(str(a) for a in actions)) or "Statement"


def _add_websocket_edges(diagram: Diagram, resources: dict) -> None:
    """A WebSocket API (ApiGatewayV2, plain CloudFormation): the client's connection, and each
    route's Lambda proxy integration (Route -> Integration -> function)."""
    for api, resource in resources.items():
        properties = resource.get("Properties") or {}
        if resource.get("Type") != "AWS::ApiGatewayV2::Api" or \
                properties.get("ProtocolType") != "WEBSOCKET" or api not in diagram.nodes:
            continue
        diagram.nodes[api] = ("api", f"{api}<br/>API Gateway (WebSocket)")
        diagram.nodes.setdefault("client", ("client", "Client<br/>browser or app"))
        diagram.edges.insert(0, Edge("client", api, "WebSocket connection and messages"))
        for route in resources.values():
            route_properties = route.get("Properties") or {}
            if route.get("Type") != "AWS::ApiGatewayV2::Route" or \
                    api not in refs(route_properties.get("ApiId")):
                continue
            for integration in refs(route_properties.get("Target")):
                uri = (resources.get(integration, {}).get("Properties") or {}).get(
                    "IntegrationUri")
                for function in refs(uri) & diagram.nodes.keys():
                    diagram.edges.append(Edge(api, function,
                                              f"invokes on {route_properties.get('RouteKey')}"))


def _add_authorizer_edges(diagram: Diagram, api: str, properties: dict) -> None:
    """An API's authorizers: the Lambda functions it invokes before the route's function, and
    the user pools whose tokens it verifies (the client signs in to those first)."""
    authorizers = (properties.get("Auth") or {}).get("Authorizers") or {}
    for authorizer in authorizers.values():
        for target in refs(authorizer) & diagram.nodes.keys():
            if diagram.nodes[target][0] == "compute":
                diagram.edges.append(Edge(api, target, "asks for a policy (Lambda authorizer)"))
                continue
            kind = "JWT" if "JwtConfiguration" in authorizer else "Cognito"
            diagram.edges.append(Edge(api, target, f"verifies tokens ({kind} authorizer)"))
            if "client" in diagram.nodes and not any(
                    e.source == "client" and e.target == target for e in diagram.edges):
                diagram.edges.append(Edge("client", target, "signs in, gets tokens"))


def _add_service_integration_edges(diagram: Diagram, resources: dict) -> None:
    """Edges no function draws: an API that sends straight to a service (its OpenAPI
    integration URIs), and a queue's redrive to its dead-letter queue."""
    for logical_id, resource in resources.items():
        properties = resource.get("Properties", {})
        if resource.get("Type") in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
            body = properties.get("DefinitionBody") or properties.get("Body") or {}
            for path, operations in (body.get("paths") or {}).items():
                for method, operation in operations.items():
                    integration = (operation or {}).get("x-amazon-apigateway-integration", {})
                    if integration.get("type", "").lower() != "aws":
                        continue
                    for target in refs(integration.get("uri", {})) & diagram.nodes.keys():
                        if "client" not in diagram.nodes:
                            diagram.nodes["client"] = ("client", "Client<br/>browser or app")
                            diagram.edges.insert(0, Edge("client", logical_id, "HTTPS request"))
                        diagram.edges.append(Edge(logical_id, target,
                                                  f"sends on {method.upper()} {path}"))
        if resource.get("Type") == "AWS::SNS::Subscription":
            topics = refs(properties.get("TopicArn", {})) & diagram.nodes.keys()
            endpoints = refs(properties.get("Endpoint", {})) & diagram.nodes.keys()
            notes = [properties.get("Protocol", "")]
            if properties.get("FilterPolicy"):
                notes.append("filter policy")
            if str(properties.get("RawMessageDelivery", "")).lower() == "true":
                notes.append("raw delivery")
            for topic in topics:
                for endpoint in endpoints:
                    diagram.edges.append(Edge(topic, endpoint,
                                              f"delivers ({', '.join(filter(None, notes))})",
                                              asynchronous=True))
        if resource.get("Type") == "AWS::KinesisFirehose::DeliveryStream":
            _add_firehose_edges(diagram, logical_id, properties)
        redrive = properties.get("RedrivePolicy") or {}
        for target in refs(redrive) & diagram.nodes.keys():
            diagram.edges.append(Edge(logical_id, target, "redrives after maxReceiveCount",
                                      asynchronous=True))


def _add_firehose_edges(diagram: Diagram, stream: str, properties: dict) -> None:
    """A Firehose stream: the Kinesis stream it reads, the bucket it delivers buffered objects
    to, and the functions that transform its records."""
    source = properties.get("KinesisStreamSourceConfiguration") or {}
    for target in refs(source.get("KinesisStreamARN", {})) & diagram.nodes.keys():
        diagram.edges.append(Edge(target, stream, "read by Firehose (Kinesis source)",
                                  asynchronous=True))
    for key in ("ExtendedS3DestinationConfiguration", "S3DestinationConfiguration"):
        destination = properties.get(key) or {}
        hints = destination.get("BufferingHints") or {}
        buffering = (f"{hints.get('SizeInMBs', 5)} MiB or {hints.get('IntervalInSeconds', 300)} s")
        for target in refs(destination.get("BucketARN", {})) & diagram.nodes.keys():
            diagram.edges.append(Edge(stream, target, f"delivers buffered objects ({buffering})",
                                      asynchronous=True))
        processors = (destination.get("ProcessingConfiguration") or {}).get("Processors") or []
        for target in refs(processors) & diagram.nodes.keys():
            if diagram.nodes[target][0] == "compute":
                diagram.edges.append(Edge(stream, target, "transforms records (Lambda)"))


def _add_event_edges(diagram: Diagram, function: str, event: dict) -> None:
    kind = event.get("Type")
    properties = event.get("Properties", {})
    if kind in ("Api", "HttpApi"):
        api = next(iter(refs(properties.get("RestApiId", properties.get("ApiId", {})))),
                   IMPLICIT_API)
        if api not in diagram.nodes:
            label = "API Gateway (HTTP)" if kind == "HttpApi" else "API Gateway (REST)"
            diagram.nodes[api] = ("api", f"{api}<br/>{label}")
        if "client" not in diagram.nodes:
            diagram.nodes["client"] = ("client", "Client<br/>browser or app")
            diagram.edges.insert(0, Edge("client", api, "HTTPS request"))
        route = f"{properties.get('Method', 'ANY').upper()} {properties.get('Path', '/')}"
        diagram.edges.append(Edge(api, function, f"invokes on {route}"))
    elif kind in ("Schedule", "ScheduleV2"):
        # A schedule is a rule (or Scheduler schedule) SAM creates: draw it as its own node.
        expression = properties.get("Schedule") or properties.get("ScheduleExpression", "")
        node = f"{function}Schedule"
        diagram.nodes[node] = ("integration", f"{node}<br/>EventBridge {expression}")
        diagram.edges.append(Edge(node, function, f"triggers ({kind})", asynchronous=True))
    else:
        # A stream mapping's DestinationConfig names where failed records go, not a trigger.
        failed = refs(properties.get("DestinationConfig", {})) & diagram.nodes.keys()
        triggers = {k: v for k, v in properties.items() if k != "DestinationConfig"}
        for source in refs(triggers) & diagram.nodes.keys():
            diagram.edges.append(Edge(source, function, f"triggers ({kind})",
                                      asynchronous=kind in ASYNC_EVENTS))
        for target in failed:
            diagram.edges.append(Edge(function, target, f"failed {kind} records (on failure)",
                                      asynchronous=True))
