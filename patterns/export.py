"""A pattern as a SAM project zip that `sam deploy` accepts on real AWS."""

import io
import zipfile

from .aws_cli import deploy_commands, trigger_commands
from .catalog import Pattern

LAB_ONLY_FILES = {"pattern.yaml", "scenarios.yaml",  # the lab's teaching data, not the app
                  "experiments.yaml"}


def pattern_zip(pattern: Pattern) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(pattern.folder.rglob("*")):
            relative = path.relative_to(pattern.folder)
            if (path.is_file() and str(relative) not in LAB_ONLY_FILES
                    and "__pycache__" not in relative.parts):
                archive.write(path, f"{pattern.slug}/{relative}")
        archive.writestr(f"{pattern.slug}/README.md", _readme(pattern))
    return buffer.getvalue()


def _readme(pattern: Pattern) -> str:
    deploy = "\n".join(deploy_commands(pattern))
    triggers = "\n".join(trigger_commands(pattern))
    return (f"# {pattern.title}\n\n{pattern.summary}\n\n"
            "Exported from Serverless Lab. Deploy to your own AWS account (charges apply) with "
            f"the AWS SAM CLI:\n\n```sh\n{deploy}\n```\n\nThen try it:\n\n```sh\n{triggers}\n```\n")
