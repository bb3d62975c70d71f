"""Architecture diagrams drawn from a pattern's SAM template, so the picture is what deploys.

The diagram is Mermaid flowchart text (rendered in the browser by the vendored Mermaid) plus
the same facts as sentences, the text alternative for screen readers.
Layers are subgraphs; synchronous edges are solid, asynchronous (polled or pushed) dashed.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from serverless_lab.cloud.sam import template_read

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
}
SERVICE_OF_TYPE = {
    "AWS::Serverless::Function": "Lambda", "AWS::Lambda::Function": "Lambda",
    "AWS::DynamoDB::Table": "DynamoDB", "AWS::Serverless::SimpleTable": "DynamoDB",
    "AWS::S3::Bucket": "S3", "AWS::SQS::Queue": "SQS", "AWS::SNS::Topic": "SNS",
    "AWS::Kinesis::Stream": "Kinesis", "AWS::Events::EventBus": "EventBridge",
    "AWS::Serverless::StateMachine": "Step Functions",
    "AWS::Serverless::Api": "API Gateway", "AWS::Serverless::HttpApi": "API Gateway (HTTP)",
}
# SAM policy templates -> the verb shown on the edge from the function to the resource.
POLICY_VERBS = {"DynamoDBCrudPolicy": "read/write", "DynamoDBReadPolicy": "read",
                "DynamoDBWritePolicy": "write", "S3CrudPolicy": "read/write",
                "S3ReadPolicy": "read", "S3WritePolicy": "write", "SQSSendMessagePolicy": "send",
                "SNSPublishMessagePolicy": "publish", "SQSPollerPolicy": "poll",
                "KinesisCrudPolicy": "read/write", "EventBridgePutEventsPolicy": "put events",
                "StepFunctionsExecutionPolicy": "start"}
ASYNC_EVENTS = {"SQS", "SNS", "S3", "Kinesis", "DynamoDB", "EventBridgeRule", "Schedule",
                "ScheduleV2", "CloudWatchEvent"}
IMPLICIT_API = "ServerlessRestApi"


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

    def mermaid(self) -> str:
        lines = ["flowchart LR"]
        for layer, title in LAYERS:
            members = [(n, label) for n, (lay, label) in self.nodes.items() if lay == layer]
            if not members:
                continue
            lines.append(f'  subgraph layer_{layer}["{title}"]')
            lines += [f'    {n}["{label}"]' for n, label in members]
            lines.append("  end")
        for e in self.edges:
            arrow = "-.->" if e.asynchronous else "-->"
            label = f'|"{e.label}"|' if e.label else ""
            lines.append(f"  {e.source} {arrow}{label} {e.target}")
        return "\n".join(lines)

    def sentences(self) -> list[str]:
        """The diagram as text: one sentence per edge."""

        def name(n):
            logical_id, _, service = self.nodes[n][1].partition("<br/>")
            return f"{logical_id} ({service})"

        return [f"From {name(e.source)} to {name(e.target)}, "
                f"{'asynchronous' if e.asynchronous else 'synchronous'}: {e.label}."
                for e in self.edges]


def _refs(value) -> set[str]:
    """Logical ids a property refers to (Ref, GetAtt, Sub)."""
    found = set()
    if isinstance(value, dict):
        if "Ref" in value:
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else target.split(".")[0])
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}]+)\}", text)}
        for v in value.values():
            found |= _refs(v)
    elif isinstance(value, list):
        for v in value:
            found |= _refs(v)
    return found


def diagram_from_template(folder: Path) -> Diagram:
    template = template_read(folder)
    resources = template["Resources"]
    diagram = Diagram()
    for logical_id, resource in resources.items():
        layer = LAYER_OF_TYPE.get(resource.get("Type"))
        if layer:
            service = SERVICE_OF_TYPE.get(resource["Type"], resource["Type"].split("::")[1])
            diagram.nodes[logical_id] = (layer, f"{logical_id}<br/>{service}")
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource.get("Properties", {})
        for event in (properties.get("Events") or {}).values():
            _add_event_edges(diagram, logical_id, event)
        for policy in properties.get("Policies") or []:
            if isinstance(policy, dict):
                for name, args in policy.items():
                    for target in _refs(args) & diagram.nodes.keys():
                        diagram.edges.append(Edge(logical_id, target,
                                                  f"{POLICY_VERBS.get(name, name)} (IAM role)"))
    return diagram


def _add_event_edges(diagram: Diagram, function: str, event: dict) -> None:
    kind = event.get("Type")
    properties = event.get("Properties", {})
    if kind in ("Api", "HttpApi"):
        api = next(iter(_refs(properties.get("RestApiId", properties.get("ApiId", {})))),
                   IMPLICIT_API)
        if api not in diagram.nodes:
            label = "API Gateway (HTTP)" if kind == "HttpApi" else "API Gateway (REST)"
            diagram.nodes[api] = ("api", f"{api}<br/>{label}")
        if "client" not in diagram.nodes:
            diagram.nodes["client"] = ("client", "Client<br/>browser or app")
            diagram.edges.insert(0, Edge("client", api, "HTTPS request"))
        route = f"{properties.get('Method', 'ANY').upper()} {properties.get('Path', '/')}"
        diagram.edges.append(Edge(api, function, f"invokes on {route}"))
    else:
        for source in _refs(properties) & diagram.nodes.keys():
            diagram.edges.append(Edge(source, function, f"triggers ({kind})",
                                      asynchronous=kind in ASYNC_EVENTS))
