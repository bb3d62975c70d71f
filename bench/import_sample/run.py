"""Issue 17's measure: how many real SAM folders `lab import` takes, and how many of those run.

    .venv/bin/python bench/import_sample/run.py [--repo GIT_DIR] [--only NAME ...]

For each folder listed in sample.txt (aws-samples/serverless-patterns, MIT-0), it extracts the
folder from a clone of that repository (a bare git directory is enough: `--repo`, default the
mirror under /work/.mirror/), runs `lab import` on it into a lab cloud of its own (one learner
per folder, as a class would), then invokes the template's first function with AWS's sample
event for that function's first trigger (a direct invoke, `{}`, for a function with none),
fitted to the template as the import's scenario fits it (patterns/import_events.py): for an
S3 trigger the object the event names is put in the stack's bucket first, and the output says
so ("before the invoke: ...").

It prints one line per folder, each failure's reason, and the figures: imported % of the
sample; of those imported, the % whose first function ran with the sample event and returned
(no error), and the % whose handler code ran at all (returned, or raised an error of its own:
a KeyError on a field the generic sample lacks, a call to something outside the lab), as
opposed to a Runtime.* error (the code could not be loaded) or a failed invoke. Exit status 0
when imported and returned are both at least 90%.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).with_name("sample.txt")
DEFAULT_REPO = Path("/work/.mirror/aws-samples+serverless-patterns/repo")
GOAL = 0.9


def sample_folders(path: Path = SAMPLE) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def extract(repo: Path, commit: str, folder: str, into: Path) -> tuple[Path, list[str]]:
    """The folder as it is at commit, written under into (no work tree needed), and the
    files the clone does not hold (a partial clone may lack a large blob)."""
    git = ["git", f"--git-dir={repo}"]
    listing = subprocess.run([*git, "ls-tree", "-r", "-z", commit, "--", f"{folder}/"],
                             capture_output=True, check=True).stdout.decode()
    if not listing:
        raise FileNotFoundError(f"{folder}: not in the repository at {commit}")
    missing = []
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind != "blob":
            continue
        blob = subprocess.run([*git, "cat-file", "blob", sha], capture_output=True)
        if blob.returncode != 0:
            missing.append(path)
            continue
        target = into / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":  # a symlink: its target's path, kept as a link
            target.symlink_to(blob.stdout.decode())
        else:
            target.write_bytes(blob.stdout)
    return into / folder, missing


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "serverless_lab.settings.dev")
    os.environ["LAB_IMPORTS_DIR"] = tempfile.mkdtemp(prefix="lab-import-sample-")
    import django

    django.setup()


def measure(repo: Path, commit: str, folders: list[str], *, workdir: Path) -> list[dict]:
    from botocore.exceptions import ClientError
    from django.conf import settings
    from django.core.management import CommandError, call_command

    from patterns.catalog import IMPORTS_DIR
    from patterns.import_events import (
        PLACEHOLDER,
        aws_steps_run,
        placeholders_fill,
        stack_physical_ids,
    )
    from patterns.importer import first_trigger_steps
    from serverless_lab.cloud.client import LabClient, LabCloudError
    from serverless_lab.cloud.deploy.sam import template_read
    from serverless_lab.cloud.server import LabCloud

    cloud = LabCloud(port=0, data_dir=workdir / "lab").start()
    settings.LAB_CLOUD_URL, settings.LAB_CONTROL_TOKEN = cloud.url, cloud.control_token
    client = LabClient(cloud.url, token=cloud.control_token)
    results = []
    try:
        for number, name in enumerate(folders):
            result = {"folder": name, "imported": False, "ran": False, "reason": ""}
            results.append(result)
            started = time.monotonic()
            try:
                folder, missing = extract(repo, commit, name, workdir / "src")
            except (subprocess.CalledProcessError, FileNotFoundError) as e:
                result["reason"] = f"not extracted: {e}"
                continue
            learner, slug = f"sample-{number}", f"s{number}-{name}"[:63].rstrip("-")
            out = io.StringIO()
            try:
                call_command("lab", "import", str(folder), "--slug", slug, "--learner",
                             learner, stdout=out, stderr=io.StringIO())
            except CommandError as e:
                result["reason"] = f"import: {e}"
                continue
            except Exception as e:  # noqa: BLE001 - a crash is a finding, not the end
                result["reason"] = f"import crashed: {type(e).__name__}: {e}"
                continue
            result["imported"] = True
            result["notes"] = [line.strip() for line in out.getvalue().splitlines()
                               if "not emulated" in line or "note:" in line]
            result["notes"] += [f"not in the clone: {path}" for path in missing]
            template = template_read(IMPORTS_DIR / slug)
            function = next(k for k, r in template["Resources"].items()
                            if r.get("Type") == "AWS::Serverless::Function")
            kind, event, before = first_trigger_steps(template, function)
            result["function"], result["trigger"] = function, kind or "direct"
            try:
                if PLACEHOLDER.search(json.dumps([event, before])):
                    ids = stack_physical_ids(client=client, learner=learner, stack=slug)
                    event = placeholders_fill(event, ids)
                    aws_steps_run(client=client, learner=learner, steps=before,
                                  physical_ids=ids)
                    result["notes"] += [f"before the invoke: {placeholders_fill(s['name'], ids)}"
                                        for s in before]
                invocation = client.invoke(learner, slug, function, event)
            except (LabCloudError, ClientError) as e:
                result["reason"] = f"invoke: {e}"
                continue
            if invocation.get("error"):
                error = invocation["error"]
                # The handler's own code ran and raised (on the sample's content, or calling
                # something outside the lab), as opposed to a Runtime.* error of the lab's.
                result["raised"] = not str(error.get("errorType", "")).startswith("Runtime.")
                result["reason"] = (f"{function} ({kind or 'direct'}): "
                                    f"{error.get('errorType')}: "
                                    f"{str(error.get('errorMessage'))[:200]}")
            else:
                result["ran"] = True
            result["seconds"] = round(time.monotonic() - started, 1)
    finally:
        cloud.stop()
    return results


def report(results: list[dict]) -> tuple[float, float]:
    imported = [r for r in results if r["imported"]]
    ran = [r for r in imported if r["ran"]]
    for r in results:
        state = "ran" if r["ran"] else "imported, the handler raised" if r.get("raised") \
            else "imported, did not run" if r["imported"] else "not imported"
        trigger = f" [{r['function']} via {r['trigger']}]" if r.get("function") else ""
        print(f"{r['folder']:<56} {state}{trigger}")
        if r["reason"]:
            print(f"    {r['reason']}")
        for note in r.get("notes", []):
            print(f"    {note}")
    imported_share = len(imported) / len(results) if results else 0.0
    ran_share = len(ran) / len(imported) if imported else 0.0
    reached = [r for r in imported if r["ran"] or r.get("raised")]
    print(f"\nsample: {len(results)} folders; imported {len(imported)} "
          f"({imported_share:.0%}); ran their first function with the sample event and it "
          f"returned {len(ran)} of {len(imported)} ({ran_share:.0%}); the handler's code ran "
          f"(returned, or raised an error of its own) {len(reached)} of {len(imported)} "
          f"({len(reached) / len(imported) if imported else 0:.0%})")
    return imported_share, ran_share


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=DEFAULT_REPO,
                        help="a clone (or bare git dir) of aws-samples/serverless-patterns")
    parser.add_argument("--commit", default="HEAD")
    parser.add_argument("--only", nargs="*", help="just these folders of the sample")
    options = parser.parse_args(argv)
    folders = options.only or sample_folders()
    _django()
    with tempfile.TemporaryDirectory(prefix="import-sample-") as workdir:
        results = measure(options.repo, options.commit, folders, workdir=Path(workdir))
    imported, ran = report(results)
    return 0 if imported >= GOAL and ran >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
