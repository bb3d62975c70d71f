"""`lab import`: a folder in the serverless-patterns layout (a SAM template with its handler
code and requirements.txt) becomes a pattern with a generated page: its diagram, handlers,
and the triggers a learner can fire, each with AWS's sample event for its source.

Nothing is guessed silently: a handler that does not exist is an error located in the
template, and resources the lab cannot emulate are named, never dropped.
"""

import json
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from serverless_lab.cloud.deploy.makefile_build import makefile_requirements
from serverless_lab.cloud.deploy.sam import (
    SERVERLESS_FUNCTION,
    SERVERLESS_LAYER,
    TemplateError,
    function_code_folders,
    includes_inline,
    layer_content_folders,
    template_read,
    translate,
)
from serverless_lab.cloud.deploy.stack import emulated
from serverless_lab.cloud.stepfunctions.execution import inline_definition_uris

from .catalog import CATALOG_DIR, IMPORTS_DIR
from .import_events import PUT_NOTE, dynamodb_event_fit, s3_event_fit

SAMPLE_EVENTS_DIR = CATALOG_DIR.parent.parent / "content" / "sample_events"
# Each trigger's sample event, as `sam local generate-event` makes it (content/sample_events/).
SAMPLE_EVENT_OF = {"S3": "s3", "SQS": "sqs", "SNS": "sns", "DynamoDB": "dynamodb",
                   "Kinesis": "kinesis", "Schedule": "schedule", "ScheduleV2": "schedule",
                   "EventBridgeRule": "eventbridge", "CloudWatchEvent": "eventbridge",
                   "Api": "apigateway-aws-proxy", "HttpApi": "apigateway-http-api-proxy",
                   "CloudWatchLogs": "cloudwatch-logs", "MQ": "mq", "MSK": "kafka",
                   "SelfManagedKafka": "kafka", "Cognito": "cognito-user-pool",
                   "IoTRule": "iot", "ALB": "alb"}
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
INVALID_SLUG = "a pattern slug is lower-case letters, digits and dashes: {slug!r} is not"
ALREADY_THERE = "a pattern {slug!r} exists already; choose another with --slug"
NO_HANDLER = "{template}: {function}: Handler {handler!r} has no {module} in {folder}"


class PatternImportError(ValueError):
    pass


@dataclass
class ImportPlan:
    slug: str
    title: str
    functions: list[str]
    unsupported: list[str] = field(default_factory=list)
    pattern: dict = field(default_factory=dict)
    scenarios: dict = field(default_factory=dict)


def _slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63] or "imported"


def _check_handlers(template: dict, folder: Path) -> list[str]:
    code = function_code_folders(template, folder)
    runtime = template.get("Globals", {}).get("Function", {}).get("Runtime")
    functions = []
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != SERVERLESS_FUNCTION:
            continue
        functions.append(logical_id)
        properties = resource.get("Properties", {})
        handler = properties.get("Handler") or template.get("Globals", {}).get(
            "Function", {}).get("Handler", "")
        if not str(properties.get("Runtime", runtime) or "").startswith("python"):
            raise PatternImportError(f"{folder / 'template.yaml'}: {logical_id}: only Python "
                               "runtimes run in the lab")
        module = handler.rpartition(".")[0].replace(".", "/")
        where = code.get(logical_id)
        if where and not _has_module(where, module):
            raise PatternImportError(NO_HANDLER.format(template=folder / "template.yaml",
                                                 function=logical_id, handler=handler,
                                                 module=f"{module}.py", folder=where))
    return functions


def _has_module(where: Path, module: str) -> bool:
    """Whether the code at where (a folder, a .py file, a .zip) holds the handler's module."""
    if where.is_dir():
        return (where / f"{module}.py").exists() or (where / module / "__init__.py").exists()
    if where.suffix == ".zip":
        with zipfile.ZipFile(where) as archive:
            names = set(archive.namelist())
        return f"{module}.py" in names or f"{module}/__init__.py" in names
    return where.name == f"{module}.py"


def _unsupported(template: dict, folder: Path) -> list[str]:
    """Resources (as `LogicalId (Type)`) that neither moto nor the lab can create."""
    offline = inline_definition_uris(includes_inline(json.loads(json.dumps(template)), folder),
                                     folder)
    code = function_code_folders(template, folder)
    layers = layer_content_folders(template, folder)
    for logical_id, resource in offline["Resources"].items():
        if resource.get("Type") == SERVERLESS_FUNCTION and logical_id in code:
            resource.setdefault("Properties", {})["CodeUri"] = "s3://lab-import/check.zip"
        elif resource.get("Type") == SERVERLESS_LAYER and logical_id in layers:
            resource["Properties"]["ContentUri"] = "s3://lab-import/layer.zip"
    translated = translate(offline, region="us-east-1")
    return [f"{logical_id} ({resource['Type']})"
            for logical_id, resource in translated["Resources"].items()
            if not emulated(resource["Type"])]


def sample_event(kind: str | None, properties: dict | None = None,
                 template: dict | None = None) -> dict:
    """AWS's sample event for a trigger of this SAM event type ({} for a direct invoke),
    fitted to the trigger: an API event names its route, an EventBridge rule's event its
    pattern's source and detail-type, so the function sees what it would be sent; given the
    template, an S3 or DynamoDB Streams event names its bucket or table (patterns/
    import_events.py)."""
    return trigger_sample(kind, properties, template)[0]


def trigger_sample(kind: str | None, properties: dict | None = None,
                   template: dict | None = None) -> tuple[dict, list[dict]]:
    """sample_event's event, and the scenario steps that must come before it to make what it
    says true (an S3 notification's object is put in the bucket first)."""
    sample = SAMPLE_EVENT_OF.get(kind or "")
    if not sample:
        return {}, []
    event = json.loads((SAMPLE_EVENTS_DIR / f"{sample}.json").read_text())
    properties = properties if isinstance(properties, dict) else {}
    if kind in ("Api", "HttpApi"):
        path = re.sub(r"\{[^}+]+\+?\}", "example", str(properties.get("Path", "/")))
        method = str(properties.get("Method", "post")).upper()
        method = "POST" if method in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD") else method
        if kind == "Api":
            event.update(path=path, httpMethod=method, resource=properties.get("Path", "/"))
            event["requestContext"].update(path=f"/prod{path}", httpMethod=method,
                                           resourcePath=properties.get("Path", "/"))
        else:
            event.update(rawPath=path, routeKey=f"{method} {properties.get('Path', '/')}")
            event["requestContext"]["http"].update(method=method, path=path)
    elif kind in ("EventBridgeRule", "CloudWatchEvent"):
        pattern = properties.get("Pattern") if isinstance(properties.get("Pattern"), dict) \
            else {}
        for key in ("source", "detail-type"):
            values = pattern.get(key)
            if isinstance(values, list) and values and isinstance(values[0], str):
                event[key] = values[0]
    elif kind == "S3" and template:
        return s3_event_fit(event, properties, template)
    elif kind == "DynamoDB" and template:
        return dynamodb_event_fit(event, properties, template), []
    return event, []


def first_trigger(template: dict, logical_id: str) -> tuple[str | None, dict]:
    """The SAM event type of a function's first trigger and its sample event."""
    kind, event, _ = first_trigger_steps(template, logical_id)
    return kind, event


def first_trigger_steps(template: dict, logical_id: str) -> tuple[str | None, dict, list[dict]]:
    """first_trigger's type and event, and the steps that come before the invoke (with
    `${LogicalId}` for a resource's physical id, as scenarios write it)."""
    properties = template["Resources"][logical_id].get("Properties") or {}
    for event in (properties.get("Events") or {}).values():
        if isinstance(event, dict):
            return (event.get("Type"),
                    *trigger_sample(event.get("Type"), event.get("Properties"), template))
    return None, {}, []


def _not_built(template: dict, folder: Path) -> list[str]:
    """Functions and layers whose SAM BuildMethod the lab does not run (esbuild, a makefile
    that does more than pip-install packages): they deploy as their folder is, without what
    that build would add."""
    layers = layer_content_folders(template, folder)
    return [f"{logical_id} ({resource.get('Type')}): its BuildMethod {method!r} is not run by "
            "the lab (only Python's requirements.txt builds, and makefiles that just "
            "pip-install packages, are); what that build adds, such as dependencies, is "
            "missing"
            for logical_id, resource in template["Resources"].items()
            if isinstance(resource, dict)
            and (method := str((resource.get("Metadata") or {}).get("BuildMethod") or ""))
            and not method.startswith("python")
            and not (method == "makefile" and logical_id in layers and makefile_requirements(
                layers[logical_id][0], resource.get("Metadata") or {}, logical_id))]


def _scenarios(template: dict, functions: list[str]) -> dict:
    """One scenario per trigger of each function, firing it with AWS's sample event."""
    scenarios = {}
    for logical_id in functions:
        events = (template["Resources"][logical_id].get("Properties", {}).get("Events")
                  or {})
        for event_name, event in events.items() or [("Invoke", {"Type": "Invoke"})]:
            kind = event.get("Type")
            slug = _slugify(f"{logical_id}-{event_name}")
            if kind == "Api":
                path = re.sub(r"\{[^}]+\}", "example", event["Properties"].get("Path", "/"))
                method = event["Properties"].get("Method", "get").upper()
                method = "GET" if method == "ANY" else method
                step = {"name": "request", "request": {"method": method, "path": path},
                        "expect": {"invoked": logical_id}}
                title = f"{method} {event['Properties'].get('Path', '/')} → {logical_id}"
                scenarios[slug] = {"title": title, "steps": [step], "description":
                                   f"Sends an HTTP request to the route, which invokes "
                                   f"{logical_id}."}
                continue
            document, before = trigger_sample(kind, event.get("Properties"), template)
            step = {"name": "invoke", "invoke": {"function": logical_id, "event": document},
                    "expect": {"invoked": logical_id, "error_type": None}}
            title = (f"{logical_id} with AWS's sample {kind} event" if kind in SAMPLE_EVENT_OF
                     else f"Invoke {logical_id}")
            scenarios[slug] = {"title": title, "steps": [*before, step],
                               "description": f"Fires {logical_id}'s {kind or 'direct'} "
                                              "trigger with a sample event."
                                              + (f" {PUT_NOTE}" if before else "")}
    first = next(iter(scenarios), None)
    if first:
        scenarios[first]["default"] = True
    return scenarios


def import_plan(folder: Path, *, slug: str | None = None) -> ImportPlan:
    """What importing folder would add; raises TemplateError or PatternImportError with where."""
    folder = folder.resolve()
    template = template_read(folder)
    slug = slug or _slugify(folder.name)
    if not SLUG.match(slug):
        raise PatternImportError(INVALID_SLUG.format(slug=slug))
    if (CATALOG_DIR / slug).exists() or (IMPORTS_DIR / slug).exists():
        raise PatternImportError(ALREADY_THERE.format(slug=slug))
    functions = _check_handlers(template, folder)
    if not functions:
        raise PatternImportError(f"{folder / 'template.yaml'}: no AWS::Serverless::Function to run")
    unsupported = _unsupported(template, folder) + _not_built(template, folder)
    description = str(template.get("Description") or f"Imported from {folder.name}.").strip()
    title = description.split(".")[0].split(":")[0][:80] or slug
    pattern = {
        "title": title, "order": 100, "imported": True, "summary": description,
        "unsupported": unsupported,
        "what": [description,
                 "This pattern was imported with `lab import`; its page is generated from "
                 "its template. Its resources: " + ", ".join(
                     f"{k} ({v.get('Type')})" for k, v in template["Resources"].items()) + "."],
    }
    return ImportPlan(slug=slug, title=title, functions=functions, unsupported=unsupported,
                      pattern=pattern, scenarios=_scenarios(template, functions))


def pattern_import(plan: ImportPlan, folder: Path) -> Path:
    """Copy the folder into the imports and write its generated page data."""
    target = IMPORTS_DIR / plan.slug
    IMPORTS_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns(
        ".aws-sam", "__pycache__", ".git", "samconfig.toml"))
    if not (target / "template.yaml").exists() and (target / "template.yml").exists():
        (target / "template.yml").rename(target / "template.yaml")  # as the catalog reads it
    (target / "pattern.yaml").write_text(yaml.safe_dump(plan.pattern, sort_keys=False))
    (target / "scenarios.yaml").write_text(yaml.safe_dump(plan.scenarios, sort_keys=False))
    return target


def pattern_unimport(slug: str) -> None:
    shutil.rmtree(IMPORTS_DIR / slug, ignore_errors=True)


__all__ = ["PatternImportError", "ImportPlan", "TemplateError", "first_trigger",
           "first_trigger_steps", "import_plan", "trigger_sample",
           "pattern_import", "pattern_unimport", "sample_event"]
