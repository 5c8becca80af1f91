"""JSON Schema documents generated from the record models, so the repository can still ship them.

The models are the source of truth; the generated files are documentation and an interface for other
tools (anything that reads cem-bench results without Python). ``python -m cem_bench.records.schema.generate OUT_DIR``
writes ``result.schema.json``, ``suite_result.schema.json`` and ``lam.schema.json``; ``stale(OUT_DIR)``
lists the files that differ from what the models generate now (a CI check).

Every ``NAME#DEF`` kind of :data:`models.KINDS` resolves in the generated document as ``#/$defs/DEF``,
so the old fragment syntax (``{"$defs": doc["$defs"], "$ref": "#/$defs/unit"}``) still works.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema

from cem_bench.records.schema import KINDS

DRAFT = "https://json-schema.org/draft/2020-12/schema"
DOCUMENTS = ("result", "multi_result", "suite_result", "lam")


class _Generator(GenerateJsonSchema):
    """pydantic's generator without the per-field ``title`` noise (property names say it already)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: (renames.get(value, value) if key == "$ref" else _rename_refs(value, renames))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def generate(name: str) -> dict[str, Any]:
    """The JSON Schema of record kind ``name`` (``result``, ``suite_result`` or ``lam``)."""
    root = KINDS[name]
    generated = TypeAdapter(root).json_schema(schema_generator=_Generator)
    defs: dict[str, Any] = generated.pop("$defs", {})
    renames: dict[str, str] = {}
    for kind, target in KINDS.items():
        base, _, fragment = kind.partition("#")
        if base != name or not fragment:
            continue
        if isinstance(target, type) and issubclass(target, BaseModel) and target.__name__ in defs:
            defs[fragment] = defs.pop(target.__name__)  # the old $defs name, e.g. Unit -> unit
            renames[f"#/$defs/{target.__name__}"] = f"#/$defs/{fragment}"
        else:
            defs[fragment] = TypeAdapter(target).json_schema(schema_generator=_Generator)
    for definition in defs.values():
        definition.pop("title", None)  # class names are implementation details
    document = {"$schema": DRAFT, **_rename_refs(generated, renames)}
    if defs:
        document["$defs"] = _rename_refs(dict(sorted(defs.items())), renames)
    return document


def render(name: str) -> str:
    """The file text: indented JSON and a final newline, like every other JSON file of the project."""
    return json.dumps(generate(name), indent=2) + "\n"


def write_schemas(folder: str | Path) -> list[Path]:
    """Write ``<folder>/<name>.schema.json`` for every document; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in DOCUMENTS:
        path = folder / f"{name}.schema.json"
        path.write_text(render(name))
        written.append(path)
    return written


def stale(folder: str | Path) -> list[Path]:
    """Schema files under ``folder`` that are missing or differ from what the models generate."""
    paths = [Path(folder) / f"{name}.schema.json" for name in DOCUMENTS]
    return [path for path, name in zip(paths, DOCUMENTS, strict=True)
            if not path.is_file() or path.read_text() != render(name)]


def fragment(document: dict[str, Any], name: str) -> dict[str, Any]:
    """The old ``NAME#DEF`` resolution: a schema that validates against ``$defs/DEF`` of ``document``."""
    return {"$defs": document["$defs"], "$ref": f"#/$defs/{name}"}


if __name__ == "__main__":
    for written_path in write_schemas(sys.argv[1] if len(sys.argv) > 1 else "."):
        print(written_path)
