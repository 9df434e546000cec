"""What differs in meaning between a committed artifact and a fresh compile, for
`floe compile --check`.

An artifact is stale when what it says differs, not when its inputs' bytes do: a comment or
a reformatting of floe.yaml changes the inputs' sha256 and nothing else, so the byte hashes
(and the compile time) are left out of the comparison.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from floe_compiler.diagnostics import Diagnostic, diagnostic

# Provenance, not meaning: these may differ in an artifact that is up to date.
_IGNORED_INPUT_KEYS = frozenset({"sha256"})
_NAMED_LISTS = ("transforms", "destinations")
MOST_NAMES = 5


def meaning(artifact: dict[str, Any]) -> dict[str, Any]:
    """The artifact without its provenance fields."""
    kept = {key: value for key, value in artifact.items() if key != "compiled_at"}
    inputs = kept.get("inputs")
    if isinstance(inputs, dict):
        kept["inputs"] = {name: {k: v for k, v in entry.items() if k not in _IGNORED_INPUT_KEYS}
                          if isinstance(entry, dict) else entry
                          for name, entry in inputs.items()}
    return kept


def changes(committed: bytes, fresh: bytes) -> list[str]:
    """Short descriptions of what differs in meaning; empty when the committed artifact is
    up to date. An unreadable committed artifact is one change."""
    try:
        old = json.loads(committed)
    except (ValueError, RecursionError):
        return ["it is not a compiled artifact (not JSON)"]
    new = json.loads(fresh)
    if not isinstance(old, dict):
        return ["it is not a compiled artifact (not a JSON object)"]
    old, new = meaning(old), meaning(new)
    found: list[str] = []
    for key in _NAMED_LISTS:
        found += _named_list_changes(key, old.get(key), new.get(key))
    for key in sorted(set(old) | set(new)):
        if key in _NAMED_LISTS or key == "edges":  # edges follow from the transforms
            continue
        if old.get(key) != new.get(key):
            found.append(f"{key} changed")
    if not found and old.get("edges") != new.get("edges"):
        found.append("edges changed")
    return found


def _named_list_changes(key: str, old: Any, new: Any) -> list[str]:
    before, after = _by_name(old), _by_name(new)
    if before is None or after is None:
        return [f"{key} changed"] if old != new else []
    found = []
    added = [name for name in after if name not in before]
    removed = [name for name in before if name not in after]
    changed = [name for name in after if name in before and before[name] != after[name]]
    for verb, names in (("added", added), ("removed", removed), ("changed", changed)):
        if names:
            found.append(f"{key} {verb}: {_names(names)}")
    if not found and list(before) != list(after):
        found.append(f"{key} reordered")
    return found


def _by_name(items: Any) -> dict[str, Any] | None:
    if not isinstance(items, list) or not all(
            isinstance(item, dict) and isinstance(item.get("name"), str) for item in items):
        return None
    return {item["name"]: item for item in items}


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:MOST_NAMES])
    return shown + (f" (+{len(names) - MOST_NAMES} more)" if len(names) > MOST_NAMES else "")


def stale(path: Path, fresh: bytes, *, hint: str | None = None) -> Diagnostic | None:
    """FLOE-E208 when the artifact at `path` is missing or says something else than `fresh`."""
    current = path.read_bytes() if path.is_file() else None
    found = ["it does not exist"] if current is None else changes(current, fresh)
    if not found:
        return None
    return diagnostic("FLOE-E208", f"{path} is stale: {'; '.join(found)}", file=str(path),
                      hint=hint)
