"""What a deploy says of a template's outputs and names: the Outputs moto's CloudFormation
can compute (an Output of a part the lab applies itself, or of an attribute moto does not
know, would fail the whole stack), and the buckets whose names are fixed."""

import re

from moto.cloudformation.parsing import get_model_map


def fixed_bucket_names(template: dict) -> list[str]:
    """A note for each bucket whose name is written in the template (per sandbox in the lab,
    global on AWS)."""
    return [f"{logical_id}: its BucketName {name!r} is fixed. On AWS bucket names are global: "
            "only one account in the world could deploy this template as it is (a name with "
            "${AWS::AccountId} in it avoids that); the lab gives each sandbox its own bucket "
            "names"
            for logical_id, resource in template["Resources"].items()
            if resource.get("Type") == "AWS::S3::Bucket"
            and isinstance(name := (resource.get("Properties") or {}).get("BucketName"), str)]


def moto_can_output(value, template: dict) -> bool:
    """Whether every resource an Output names is one moto's CloudFormation created (an
    Output of a part the lab applies itself, e.g. an API's stage, would crash moto)."""
    resources, parameters = template["Resources"], template.get("Parameters") or {}
    names = set()

    def walk(node):
        if isinstance(node, dict):
            for key, inner in node.items():
                if key == "Ref" and isinstance(inner, str):
                    names.add(inner)
                elif key == "Fn::GetAtt":
                    target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                    names.add(target)
                    model = get_model_map().get(resources.get(target, {}).get("Type"))
                    attribute = inner[1] if isinstance(inner, list) and len(inner) > 1 \
                        else str(inner).partition(".")[2]
                    if model is None or not model.has_cfn_attr(str(attribute)):
                        names.add("")  # an attribute moto cannot give
                elif key == "Fn::Sub":
                    text = inner if isinstance(inner, str) else inner[0]
                    names.update(m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text))
                    walk(inner[1:] if isinstance(inner, list) else None)
                else:
                    walk(inner)
        elif isinstance(node, list):
            for inner in node:
                walk(inner)

    walk(value)
    return all(name.startswith("AWS::") or name in parameters
               or (name in resources and resources[name]["Type"] in get_model_map())
               for name in names)
