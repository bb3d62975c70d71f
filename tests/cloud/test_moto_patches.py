"""Everything the lab changes inside moto is findable from the moto_patch.py modules: a moto
upgrade is one checklist (issue 10). A drift test over the source, so it cannot go stale."""

import ast
from pathlib import Path

import moto

CLOUD = Path(__file__).resolve().parents[2] / "serverless_lab" / "cloud"


def moto_patch_sites() -> dict[str, set[str]]:
    """module path -> the moto attributes it assigns (`Class.method = ...`)."""
    sites = {}
    for path in sorted(CLOUD.rglob("*.py")):
        tree = ast.parse(path.read_text())
        moto_names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("moto"):
                moto_names |= {a.asname or a.name for a in node.names}
            elif isinstance(node, ast.Import):
                moto_names |= {(a.asname or a.name).split(".")[0] for a in node.names
                               if a.name.startswith("moto")}
        found = set()
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else []
            for target in targets:
                base = target
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(target, ast.Attribute) and isinstance(base, ast.Name) \
                        and base.id in moto_names:
                    found.add(ast.unparse(target))
        if found:
            sites[str(path.relative_to(CLOUD))] = found
    return sites


def checklist() -> str:
    return "\n".join(ast.get_docstring(ast.parse(p.read_text())) or ""
                     for p in CLOUD.rglob("moto_patch.py"))


def test_every_change_to_moto_is_in_a_moto_patch_module_or_listed_in_one():
    listed = checklist()
    unlisted = [(module, site) for module, found in moto_patch_sites().items()
                if not module.endswith("moto_patch.py")
                for site in sorted(found) if f"`{site}`" not in listed]
    assert unlisted == []


def test_the_checklist_names_only_what_exists_in_the_pinned_moto():
    assert moto.__version__ == "5.2.5"  # pinned exactly: the patches are written for it
    sites = moto_patch_sites()
    assert sum(len(found) for found in sites.values()) >= 30  # the scan sees the patches
    assert "awslambda/moto_patch.py" in sites
    assert "LambdaFunction._invoke_lambda" in sites["awslambda/moto_patch.py"]
