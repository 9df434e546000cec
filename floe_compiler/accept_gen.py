"""Generate the fast path's accept checks (floe_compiler/_accept_*.py) from the models.

    python -m floe_compiler.accept_gen           # write them
    python -m floe_compiler.accept_gen --check   # fail if they differ from the models (make lint)

Each check is fastjsonschema's code for a JSON Schema derived from a model's own, made
conservative: it may turn down a file Pydantic accepts (the file then takes the full
path, with the same result), never the reverse. So:
- a model with a custom validator is refused as a whole (`false`), unless its validators
  are all in OVERRIDES, which state them as schema (and fail the generation if the
  model's validators change);
- a string with a `format` (date, URI) is refused; a pattern's `$` becomes `\\Z` (Python's
  `$` also matches before a final newline, the Rust engine Pydantic uses does not) and a
  patterned string must be printable ASCII (where both engines agree on \\d, \\w, \\s);
- no unknown keys anywhere (a manifest's top level takes them, with a warning);
- a discriminated union's tag must be written (Pydantic wants it even where the tagged
  model has a default for it).
The generated code needs no fastjsonschema at run time (its exception is defined here).
Developers only: fastjsonschema is a dev dependency.
"""

from __future__ import annotations

import copy
import re
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from floe_compiler.constants import MAX_CONFIG_KEYS, RESERVED_MANIFEST_NAMES
from floe_compiler.models.manifest import _PRIVATE_ENDPOINT, PlatformManifest
from floe_compiler.models.spec import FloeSpec
from floe_compiler.parse import unwrap_optional

HERE = Path(__file__).resolve().parent
TARGETS: dict[str, tuple[type[BaseModel], Path]] = {
    "FloeSpec": (FloeSpec, HERE / "_accept_floespec.py"),
    "Manifest": (PlatformManifest, HERE / "_accept_manifest.py"),
}
ASCII = {"pattern": r"^[ -~]*\Z"}
Schema = dict[str, Any]


def _config(model: Schema) -> None:
    model["properties"]["config"] = {"anyOf": [{"type": "object", "maxProperties": MAX_CONFIG_KEYS},
                                 {"type": "null"}]}


def _not_reserved(model: Schema) -> None:
    props = model["properties"]
    # The name's pattern admits lowercase ASCII only, so .lower() is the name itself.
    assert props["name"].get("pattern", "").startswith("^[a-z0-9]"), props["name"]
    props["name"] = {"allOf": [props["name"], {"not": {"enum": sorted(RESERVED_MANIFEST_NAMES)}}]}


def _public_http(model: Schema) -> None:
    model["properties"]["endpoint"] = {"anyOf": [
        {"type": "string", "allOf": [{"pattern": "^https?://"},
                                     {"not": {"pattern": _PRIVATE_ENDPOINT.pattern}}]},
        {"type": "null"}]}


def _flat_keys(model: Schema) -> None:
    # Its schema is already `anyOf: [the model, the four flat keys]`; with no other key
    # allowed in either (see _conservative), a mapping the validator rewrites is one
    # that the flat branch alone accepts.
    assert len(model["anyOf"]) == 2, model


# model -> (its validators' names, the change to its schema that states them)
OVERRIDES: dict[str, tuple[set[str], Callable[[Schema], None]]] = {
    "ResourcePreset": ({"_from_flat_keys", "__get_pydantic_json_schema__"}, _flat_keys),
    "DestinationConfig": ({"_bounded_config"}, _config),
    "ManifestMetadata": ({"_not_reserved"}, _not_reserved),
    "TracingConfig": ({"_endpoint"}, _public_http),
    "LineageConfig": ({"_endpoint"}, _public_http),
}


def _models(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model reachable from `root`, by name."""
    found: dict[str, type[BaseModel]] = {}

    def visit(annotation: Any) -> None:
        annotation = unwrap_optional(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation.__name__ in found:
                return
            found[annotation.__name__] = annotation
            for f in annotation.model_fields.values():
                visit(f.annotation)
        for arg in typing.get_args(annotation):
            visit(arg)

    visit(root)
    return found


def _validators(model: type[BaseModel]) -> set[str]:
    decorators = model.__pydantic_decorators__
    return {*decorators.field_validators, *decorators.model_validators}


def _anchored(pattern: str) -> str:
    """`$` outside a character class -> `\\Z`."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "$":
            ch = r"\Z"
        out.append(ch)
        i += 1
    return "".join(out)


def _conservative(node: Any) -> Any:
    if isinstance(node, list):
        return [_conservative(n) for n in node]
    if not isinstance(node, dict):
        return node
    if "format" in node:
        return False
    out: Schema = {}
    for key, value in node.items():
        if key in ("description", "title", "examples", "default", "discriminator"):
            continue
        if key in ("properties", "$defs"):  # names -> schemas
            out[key] = {name: _conservative(sub) for name, sub in value.items()}
        elif key in ("enum", "const", "required"):
            out[key] = value
        else:
            out[key] = _conservative(value)
    if isinstance(node.get("pattern"), str):
        out["pattern"] = _anchored(node["pattern"])
        out.setdefault("allOf", []).append(ASCII)
    if "properties" in node or (node.get("type") == "object" and "required" in node):
        out["additionalProperties"] = False  # a model: no unknown keys
    if "discriminator" in node:  # Pydantic wants the tag written, even one with a default
        out["required"] = [*node.get("required", []), node["discriminator"]["propertyName"]]
    return out


def accept_schema(root: type[BaseModel]) -> Schema:
    schema = root.model_json_schema(by_alias=True, mode="validation")
    models = _models(root)
    defs: Schema = schema.get("$defs", {})
    for name in [root.__name__, *defs]:
        model = models.get(name)
        validators = _validators(model) if model is not None else set()
        if model is not None and "__get_pydantic_json_schema__" in vars(model):
            validators.add("__get_pydantic_json_schema__")
        if not validators:
            continue
        known, change = OVERRIDES.get(name, (set(), None))
        if name == root.__name__:
            raise SystemExit(f"{name} has validators {validators}: state them in OVERRIDES")
        if validators == known and change is not None:
            change(defs[name])
        else:
            defs[name] = False
    return typing.cast(Schema, _conservative(copy.deepcopy(schema)))


HEADER = '''\
# Generated by `python -m floe_compiler.accept_gen` from the models: do not edit.
# fastjsonschema's accept check for {kind}, made conservative (see accept_gen.py);
# `make lint` fails if it differs from what the models generate.
# ruff: noqa
# mypy: ignore-errors


class JsonSchemaValueException(ValueError):
    def __init__(self, message, value=None, name=None, definition=None, rule=None):
        super().__init__(message)


JsonSchemaValuesException = JsonSchemaValueException
'''


def generated(kind: str) -> str:
    import fastjsonschema

    model, _ = TARGETS[kind]
    code: str = fastjsonschema.compile_to_code(accept_schema(model))
    code = re.sub(r"^VERSION = .*\n", "", code, flags=re.M)
    code = code.replace(
        "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException\n", "")
    # YAML never gives a Decimal: spare `floe validate` importing decimal (~1 ms)
    code = code.replace("from decimal import Decimal\n", "Decimal = float  # see accept_gen.py\n")
    assert "fastjsonschema" not in code
    return HEADER.format(kind=kind) + code.rstrip() + "\n"


def main(argv: list[str]) -> int:
    drifted = []
    for kind, (_, path) in TARGETS.items():
        text = generated(kind)
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                drifted.append(str(path))
        else:
            path.write_text(text, encoding="utf-8")
    if drifted:
        print("out of date (run `python -m floe_compiler.accept_gen`): " + ", ".join(drifted),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
