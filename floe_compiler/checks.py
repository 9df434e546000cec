"""Stage 4, check: rules the schema alone cannot express.

Rules read the located raw data rather than the parsed models, so they still
run (and point at the exact key) when another part of the file failed to parse:
one run reports every problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from floe_compiler.credentials import is_credential_key, is_literal_secret
from floe_compiler.diagnostics import Diagnostic, diagnostic
from floe_compiler.loader import Located, Path_
from floe_compiler.models.common import FORBIDDEN_ENVIRONMENT_FIELDS
from floe_compiler.parse import dotted


def walk(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str, Any]]:
    """Every (path, key, value) of every mapping in the document."""
    if isinstance(data, dict):
        for key, value in data.items():
            child = (*path, key)
            yield child, key, value
            yield from walk(value, child)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from walk(item, (*path, index))


def check_spec(doc: Located) -> list[Diagnostic]:
    """Single-file rules for floe.yaml."""
    found: list[Diagnostic] = []
    for path, key, value in walk(doc.data):
        if is_credential_key(key) and is_literal_secret(value):
            found.append(_credential(doc, path, "FLOE-E203"))
        elif key.lower() in FORBIDDEN_ENVIRONMENT_FIELDS:
            line, col = doc.key_at(path)
            found.append(diagnostic(
                "FLOE-E106", f"'{key}' at {dotted(path)} is environment-specific and not "
                "allowed in floe.yaml", file=doc.file, line=line, column=col))
    found += unique_names(doc, "transforms", "transform")
    found += unique_names(doc, "destinations", "destination")
    return found


def check_manifest(doc: Located) -> list[Diagnostic]:
    """Single-file rules for manifest.yaml."""
    return [_credential(doc, path, "FLOE-W201")
            for path, key, value in walk(doc.data)
            if is_credential_key(key) and is_literal_secret(value)]


def _credential(doc: Located, path: Path_, code: str) -> Diagnostic:
    line, col = doc.value_at(path)
    return diagnostic(code, f"{dotted(path)} holds a literal credential (value not shown)",
                      file=doc.file, line=line, column=col)


def named_items(doc: Located, list_key: str) -> Iterator[tuple[Path_, dict[str, Any]]]:
    """(path, item) for each mapping in a top-level list, e.g. `transforms`."""
    items = doc.data.get(list_key) if isinstance(doc.data, dict) else None
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield (list_key, index), item


def unique_names(doc: Located, list_key: str, noun: str) -> list[Diagnostic]:
    first_seen: dict[str, int] = {}
    found: list[Diagnostic] = []
    for path, item in named_items(doc, list_key):
        name = item.get("name")
        if not isinstance(name, str):
            continue
        line, col = doc.value_at((*path, "name"))
        if name in first_seen:
            found.append(diagnostic(
                "FLOE-E108", f"duplicate {noun} name '{name}' (first defined at line "
                f"{first_seen[name]})", file=doc.file, line=line, column=col))
        else:
            first_seen[name] = line
    return found
