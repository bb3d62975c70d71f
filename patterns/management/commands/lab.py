"""`python manage.py lab ...`: the lab from the command line, the same engine as the pages.

Without a running lab cloud at LAB_CLOUD_URL, a command starts one in-process for its own
duration, as `sam local` does; `lab serve` keeps one running for the web app and for scripts.
"""

import argparse
import json
import os
import shlex
import signal
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from patterns.catalog import catalog, pattern_get
from patterns.experiments import pattern_experiments
from patterns.fixits import pattern_fixits
from patterns.lab import lab_cloud_ensure, lab_cloud_stop, lab_control_token
from patterns.runs import run_scenario
from serverless_lab.cloud.client import LabCloudError
from serverless_lab.cloud.control_token import ControlTokenError

DEFAULT_LEARNER = "cli"
NO_TOKEN = ("refusing to serve on {host}: the lab cloud's control API needs a token it can "
            "read ({error}). Set LAB_CONTROL_TOKEN, or make LAB_DATA_DIR writable so that "
            "the lab makes one there.")
NO_SUCH_PATTERN = "no pattern or folder {name!r}: give a catalog slug (see `lab list`) or a " \
                  "folder with a SAM template.yaml"


class Command(BaseCommand):
    help = "Run patterns, deploy SAM folders and invoke functions in a learner's sandbox."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        listing = commands.add_parser("list", help="the catalog with its scenarios")
        listing.add_argument("--json", action="store_true")

        run = commands.add_parser("run", help="run a pattern's scenario and print its trace")
        run.add_argument("slug")
        run.add_argument("scenario", nargs="?")
        run.add_argument("--learner", default=DEFAULT_LEARNER)
        run.add_argument("--json", action="store_true")

        invoke = commands.add_parser("invoke", help="deploy a folder, invoke one function")
        invoke.add_argument("target", help="a catalog slug or a folder with template.yaml")
        invoke.add_argument("function", help="the function's logical id in the template")
        invoke.add_argument("--event", type=Path, help="a JSON file with the event")
        invoke.add_argument("--learner", default=DEFAULT_LEARNER)
        invoke.add_argument("--json", action="store_true")

        deploy = commands.add_parser("deploy", help="deploy a folder into a learner's sandbox")
        deploy.add_argument("target")
        deploy.add_argument("--learner", default=DEFAULT_LEARNER)
        deploy.add_argument("--json", action="store_true")

        imports = commands.add_parser("import", help="add a SAM folder to the catalog")
        imports.add_argument("path", type=Path)
        imports.add_argument("--slug", help="the pattern's name in the catalog")
        imports.add_argument("--learner", default=DEFAULT_LEARNER)

        env = commands.add_parser("env", help="shell exports to reach a learner's sandbox")
        env.add_argument("--learner", default=DEFAULT_LEARNER)

        reset = commands.add_parser("reset", help="empty a learner's sandbox")
        reset.add_argument("--learner", default=DEFAULT_LEARNER)

        clock = commands.add_parser("clock", help="show or fast-forward a sandbox's lab clock")
        clock.add_argument("--learner", default=DEFAULT_LEARNER)
        clock.add_argument("--advance", help="a duration such as 24h, 90m, 3d or 1h30m; every "
                                             "schedule that falls due fires, in order")
        clock.add_argument("--json", action="store_true")

        bench = commands.add_parser("bench", help="measure the lab's speed (see bench/)")
        bench.add_argument("--samples", type=int, default=30)
        bench.add_argument("--json", action="store_true")

        serve = commands.add_parser("serve", help="run the lab cloud in the foreground")
        serve.add_argument("--host", default=settings.LAB_CLOUD_HOST)
        serve.add_argument("--port", type=int, default=settings.LAB_CLOUD_PORT)
        serve.add_argument("--shards", type=int, nargs="?", const=os.cpu_count() or 1,
                           help="run N lab cloud processes, shard i on port + i, supervised "
                                "(--shards alone: one per core); see sandboxes/")
        serve.add_argument("--ports", help="the shards' ports, comma-separated (not port + i)")
        serve.add_argument("--data-dir", type=Path,
                           help="default LAB_DATA_DIR; shard i uses its shard-i folder")
        serve.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)

    def handle(self, *args, command, **options):
        if command == "list":
            return self.list(options)
        if command == "serve":
            return self.serve(options)
        if command == "bench":
            return self.bench(options)
        client = lab_cloud_ensure(port=0)
        if client.url.rstrip("/") != (settings.LAB_CLOUD_URLS
                                      or [settings.LAB_CLOUD_URL])[0].rstrip("/"):
            self.stderr.write(f"(no lab cloud at {settings.LAB_CLOUD_URL}: started one in this "
                              f"process for this command; `lab serve` keeps one running)")
        try:
            return getattr(self, "import_" if command == "import" else command)(client, options)
        except LabCloudError as e:
            raise CommandError(str(e)) from None
        finally:
            lab_cloud_stop()

    def _emit(self, document, as_json: bool, text: str):
        self.stdout.write(json.dumps(document, indent=2, default=str) if as_json else text)

    def list(self, options):
        patterns = [{"slug": p.slug, "title": p.title, "summary": p.summary,
                     "scenarios": [{"slug": s.slug, "title": s.title, "default": s.default,
                                    "description": s.description} for s in p.scenarios.values()],
                     "experiments": [{"slug": e.slug, "title": e.title,
                                      "knob": {"name": e.knob.name, "values": list(e.knob.values),
                                               "default": e.knob.default}}
                                     for e in pattern_experiments(p).values()],
                     "fixits": [{"slug": f.slug, "title": f.title, "kind": f.kind}
                                for f in pattern_fixits(p).values()]}
                    for p in catalog().values()]
        text = "\n".join(f"{p['slug']:<22} {p['title']}\n" + "\n".join(
            f"  {s['slug']:<20} {s['title']}" for s in p["scenarios"]) for p in patterns)
        self._emit(patterns, options["json"], text)

    def run(self, client, options):
        pattern = pattern_get(options["slug"])
        if pattern is None:
            raise CommandError(f"no pattern {options['slug']!r}; see `lab list`")
        slug = options["scenario"] or pattern.default_scenario.slug
        scenario = pattern.scenarios.get(slug)
        if scenario is None:
            raise CommandError(f"pattern {pattern.slug} has no scenario {slug!r}; it has: "
                               + ", ".join(pattern.scenarios))
        trace = run_scenario(client=client, learner=options["learner"], pattern=pattern,
                             scenario=scenario)
        document = trace.as_json()
        self._emit(document, options["json"], _trace_text(document))
        if not trace.ok:
            sys.exit(1)

    def _folder(self, target: str) -> tuple[Path, str]:
        pattern = pattern_get(target)
        if pattern:
            return pattern.folder, pattern.slug
        folder = Path(target).resolve()
        if not (folder / "template.yaml").exists():
            raise CommandError(NO_SUCH_PATTERN.format(name=target))
        return folder, folder.name

    def import_(self, client, options):
        from patterns.importer import (
            PatternImportError,
            TemplateError,
            import_plan,
            pattern_import,
            pattern_unimport,
        )

        try:
            plan = import_plan(options["path"], slug=options["slug"])
        except (PatternImportError, TemplateError) as e:
            raise CommandError(str(e)) from None
        target = pattern_import(plan, options["path"])
        try:  # it must deploy, or it is not imported at all
            deployment = client.deploy(options["learner"], str(target), stack=plan.slug)
        except LabCloudError as e:
            pattern_unimport(plan.slug)
            raise CommandError(f"{options['path']}: does not deploy: {e}") from None
        self.stdout.write(f"Imported {plan.slug}: {plan.title} ({target})")
        self.stdout.write(f"  functions: {', '.join(plan.functions)}")
        self.stdout.write(f"  scenarios: {', '.join(plan.scenarios)}")
        for resource in plan.unsupported:
            self.stdout.write(f"  not emulated by the lab: {resource}")
        for note in deployment.get("notes", []):
            if not note.startswith("not emulated by the lab: ") or not any(
                    note.endswith(resource) for resource in plan.unsupported):
                self.stdout.write(f"  note: {note}")

    def deploy(self, client, options):
        folder, stack = self._folder(options["target"])
        deployment = client.deploy(options["learner"], str(folder), stack=stack)
        lines = [f"Deployed {stack} into account {deployment['account_id']}"
                 + (" (unchanged)" if deployment["reused"] else "")]
        lines += [f"  function {k}: {v}" for k, v in deployment["functions"].items()]
        lines += [f"  api {a['logical_id']}: {a['url']}" for a in deployment["apis"]]
        self._emit(deployment, options["json"], "\n".join(lines))

    def invoke(self, client, options):
        folder, stack = self._folder(options["target"])
        event = {}
        if options["event"]:
            try:
                event = json.loads(options["event"].read_text())
            except (OSError, json.JSONDecodeError) as e:
                raise CommandError(f"{options['event']}: {e}") from None
        client.deploy(options["learner"], str(folder), stack=stack)
        invocation = client.invoke(options["learner"], stack, options["function"], event)
        text = (invocation["logs"] + "\n"
                + (json.dumps(invocation["error"]) if invocation["error"]
                   else invocation["payload"] or "null"))
        self._emit(invocation, options["json"], text)
        if invocation["error"]:
            sys.exit(1)

    def env(self, client, options):
        sandbox = client.sandbox(options["learner"])
        credentials = sandbox["credentials"]
        exports = {"AWS_ENDPOINT_URL": sandbox["endpoint_url"],
                   "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
                   "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
                   "AWS_SESSION_TOKEN": credentials["SessionToken"],
                   "AWS_REGION": sandbox["region"]}
        self.stdout.write("\n".join(f"export {k}={shlex.quote(v)}" for k, v in exports.items()))

    def clock(self, client, options):
        answer = client.clock(options["learner"], advance=options["advance"])
        if options["advance"]:
            lines = [f"Advanced account {answer['account_id']} from {answer['from']} to "
                     f"{answer['to']}: {len(answer['fired'])} schedule occurrence(s) fired"]
            lines += [f"  {f['time']}  {f['kind']} {f['name']} ({f['expression']}): "
                      f"{f['deliveries']} delivery(ies)" for f in answer["fired"]]
        else:
            lines = [f"Account {answer['account_id']}: lab time {answer['time']} "
                     f"({answer['offset_seconds']:+.0f} s from real time)"]
            lines += [f"  {s['kind']} {s['name']} ({s['expression']}, {s['timezone']}): "
                      f"next {s['next']}" for s in answer["schedules"]]
        self._emit(answer, options["json"], "\n".join(lines))

    def reset(self, client, options):
        result = client.reset(options["learner"])
        self.stdout.write(f"Reset account {result['account_id']} in {result['seconds']} s")

    def bench(self, options):
        from bench.lab_bench import run

        figures = run(samples=max(3, options["samples"]))
        text = "\n".join(f"{k:<28} {v}" for k, v in figures.items() if k not in ("goals",
                                                                                "machine"))
        text += "\n" + "\n".join(
            f"goal {name:<24} {'met' if goal['met'] else 'NOT MET'} {goal}"
            for name, goal in figures["goals"].items())
        self._emit(figures, options["json"], text)

    def serve(self, options):
        from serverless_lab.cloud.server import LabCloud

        try:  # the token the web app and `lab` commands read: one for every shard
            token = lab_control_token(create=True)
        except ControlTokenError as e:
            # Nobody could drive a lab cloud whose token they cannot read.
            self.stderr.write(NO_TOKEN.format(host=options["host"], error=e))
            sys.exit(2)

        if options["shards"] is not None or options["ports"]:
            from sandboxes.shard_serve import shards_serve

            return shards_serve(host=options["host"], port=options["port"],
                                count=options["shards"], ports=options["ports"],
                                data_dir=options["data_dir"], write=self.stdout.write)
        try:
            cloud = LabCloud(host=options["host"], port=options["port"],
                             data_dir=options["data_dir"], control_token=token).start()
        except OSError as e:
            raise CommandError(
                f"cannot listen on {options['host']}:{options['port']}: {e}") from None
        self.stdout.write(f"Lab cloud listening on {cloud.url} (Ctrl-C to stop)")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        if options["parent_pid"]:  # a shard: it stops when `lab serve --shards` goes
            from sandboxes.shard_serve import parent_watch

            parent_watch(options["parent_pid"], stop)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        cloud.stop()


def _trace_text(document: dict) -> str:
    lines = [f"{document['pattern']} / {document['scenario']}: "
             f"{'ok' if document['ok'] else 'NOT OK'} in {document['duration_ms']:.0f} ms "
             f"(account {document['account_id']})"]
    if document["error"]:
        lines.append(f"  error: {document['error']}")
    for step in document["steps"]:
        response = step["response"] or {}
        lines.append(f"- {step['name']}: {_step_label(step['request'])} "
                     f"-> {response.get('status')}")
        for event in step["events"]:
            if event["type"] == "invocation":
                lines.append(f"    {event['function_name']} "
                             f"({'cold' if event['cold_start'] else 'warm'}): {event['report']}")
            elif event["type"] == "execution":
                parts = [event["event"], event.get("state"), event.get("error"),
                         f"({event['note']})" if event.get("note") else None]
                lines.append("    states " + " ".join(p for p in parts if p))
        for x in step["expectations"]:
            mark = "ok " if x["passed"] else "FAIL"
            lines.append(f"    [{mark}] {x['check']}: expected {x['expected']}, got {x['actual']}")
    return "\n".join(lines)


def _step_label(request: dict) -> str:
    """A step's action in a few words: HTTP, an AWS call, an invoke or a clock advance."""
    if "method" in request:
        return f"{request['method']} {request['path']}"
    if "operation" in request:
        return f"{request['service']} {request['operation']}"
    if "function" in request:
        return f"invoke {request['function']}"
    if "advance" in request:
        return f"clock +{request['advance']}"
    return json.dumps(request)[:80]
