"""The Pulumi package schema of the component, generated in-process (no CLI).

python -m eks_platform.generate.schema --write    # components/schema.json
python -m eks_platform.generate.schema --check    # fails when code and the committed schema differ
"""

import argparse
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from pulumi.provider.experimental.component import ComponentProvider

from ..platform import EksPlatform

PACKAGE = "eks-platform"
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.json"


def version() -> str:
    return metadata.version(PACKAGE)


def component_schema() -> dict[str, Any]:
    """The schema `pulumi package add` sees: EksPlatform, its inputs, outputs and types."""
    schema = ComponentProvider([EksPlatform], PACKAGE, version=version()).schema
    assert schema is not None, "the analyzer produced no schema"
    return json.loads(schema)


def undocumented(schema: dict[str, Any]) -> list[str]:
    """Inputs, outputs and type properties without a description."""
    missing = []
    for token, resource in schema.get("resources", {}).items():
        for section in ("inputProperties", "properties"):
            missing += [
                f"{token}.{section}.{k}"
                for k, v in resource.get(section, {}).items()
                if not v.get("description")
            ]
    for token, type_ in schema.get("types", {}).items():
        missing += [
            f"{token}.{k}"
            for k, v in type_.get("properties", {}).items()
            if not v.get("description")
        ]
    return missing


def main() -> int:
    parser = argparse.ArgumentParser(description="Generate or check components/schema.json.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    options = parser.parse_args()
    schema = component_schema()
    if options.write:
        SCHEMA_FILE.write_text(json.dumps(schema, indent=2) + "\n")
        return 0
    if json.loads(SCHEMA_FILE.read_text()) != schema:
        print(
            f"{SCHEMA_FILE} is stale: run python -m eks_platform.generate.schema --write",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
