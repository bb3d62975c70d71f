"""`lab import`: a folder in the serverless-patterns layout (a SAM template with its handler
code and requirements.txt) becomes a pattern with a generated page: its diagram, handlers,
and the triggers a learner can fire, each with AWS's sample event for its source.

Nothing is guessed silently: a handler that does not exist is an error located in the
template, and resources the lab cannot emulate are named, never dropped.
"""

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from serverless_lab.cloud.deploy.sam import (
    SERVERLESS_FUNCTION,
    TemplateError,
    function_code_folders,
    template_read,
    translate,
)
from serverless_lab.cloud.deploy.stack import emulated

from .catalog import CATALOG_DIR, IMPORTS_DIR

SAMPLE_EVENTS_DIR = CATALOG_DIR.parent.parent / "content" / "sample_events"
SAMPLE_EVENT_OF = {"S3": "s3", "SQS": "sqs", "SNS": "sns", "DynamoDB": "dynamodb",
                   "Kinesis": "kinesis", "Schedule": "schedule", "ScheduleV2": "schedule",
                   "EventBridgeRule": "schedule", "CloudWatchEvent": "schedule"}
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
        if where and not ((where / f"{module}.py").exists()
                          or (where / module / "__init__.py").exists()):
            raise PatternImportError(NO_HANDLER.format(template=folder / "template.yaml",
                                                 function=logical_id, handler=handler,
                                                 module=f"{module}.py", folder=where))
    return functions


def _unsupported(template: dict) -> list[str]:
    """Resources (as `LogicalId (Type)`) that neither moto nor the lab can create."""
    offline = json.loads(json.dumps(template))
    for resource in offline["Resources"].values():
        if resource.get("Type") == SERVERLESS_FUNCTION:
            resource.setdefault("Properties", {})["CodeUri"] = "s3://lab-import/check.zip"
    translated = translate(offline, region="us-east-1")
    return [f"{logical_id} ({resource['Type']})"
            for logical_id, resource in translated["Resources"].items()
            if not emulated(resource["Type"])]


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
            else:
                sample = SAMPLE_EVENT_OF.get(kind)
                document = (json.loads((SAMPLE_EVENTS_DIR / f"{sample}.json").read_text())
                            if sample else {})
                step = {"name": "invoke", "invoke": {"function": logical_id,
                                                     "event": document},
                        "expect": {"invoked": logical_id, "error_type": None}}
                title = (f"{logical_id} with AWS's sample {kind} event" if sample
                         else f"Invoke {logical_id}")
            scenarios[slug] = {"title": title, "steps": [step],
                               "description": f"Fires {logical_id}'s {kind or 'direct'} "
                                              "trigger with a sample event."}
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
    unsupported = _unsupported(template)
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
    (target / "pattern.yaml").write_text(yaml.safe_dump(plan.pattern, sort_keys=False))
    (target / "scenarios.yaml").write_text(yaml.safe_dump(plan.scenarios, sort_keys=False))
    return target


def pattern_unimport(slug: str) -> None:
    shutil.rmtree(IMPORTS_DIR / slug, ignore_errors=True)


__all__ = ["PatternImportError", "ImportPlan", "TemplateError", "import_plan", "pattern_import",
           "pattern_unimport"]
