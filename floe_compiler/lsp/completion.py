"""Completion: keys from the models (with their descriptions), and the values floe knows
that a schema cannot: the file's transform names for `dependsOn`, the manifest's approved
sinks and plugins, an enumeration's members.

The place is judged from the text by indentation (`yaml_text.cursor_at`), so completion
works while the buffer is not valid YAML; the names come from the last buffer that was.
"""

from __future__ import annotations

import typing
from typing import Any

from lsprotocol import types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from floe_compiler.checks import transform_graph
from floe_compiler.loader import Path_
from floe_compiler.lsp.analysis import Analysis
from floe_compiler.lsp.yaml_text import Cursor, cursor_at, read_line
from floe_compiler.parse import MODELS, fields_at, type_at


def complete(analysis: Analysis, last_good: Analysis | None, row: int, column: int
             ) -> list[types.CompletionItem]:
    model = MODELS.get(analysis.kind or "")
    if model is None:
        return []
    lines = analysis.text.splitlines()
    if row > len(lines):
        return []
    lines += [""] * (row + 1 - len(lines))

    def item_is_value(path: Path_) -> bool:
        item = type_at(model, path)
        return not (isinstance(item, type) and issubclass(item, BaseModel)) and item is not None

    cursor = cursor_at(lines, row, column, item_is_value)
    if cursor is None:
        return []
    known = analysis if analysis.doc is not None and isinstance(analysis.doc.data, dict) \
        else last_good
    if cursor.role == "key":
        return _keys(model, cursor, known, row)
    return _values(model, cursor, known, analysis.kind, row, lines)


def _edit(cursor: Cursor, row: int, text: str) -> types.TextEdit:
    return types.TextEdit(types.Range(types.Position(row, cursor.start),
                                      types.Position(row, cursor.start + len(cursor.prefix))),
                          text)


def _keys(model: type[BaseModel], cursor: Cursor, known: Analysis | None, row: int
          ) -> list[types.CompletionItem]:
    present = _present_keys(known, cursor.path) - {cursor.prefix}
    items = []
    for order, (key, info) in enumerate(fields_at(model, cursor.path).items()):
        if key in present:
            continue
        items.append(types.CompletionItem(
            label=key, kind=types.CompletionItemKind.Property,
            detail=_type_name(info) + ("" if info.is_required() else " (optional)"),
            documentation=types.MarkupContent(types.MarkupKind.Markdown,
                                              info.description or ""),
            sort_text=f"{order:03d}",
            text_edit=_edit(cursor, row, key + _after_key(info, cursor.indent))))
    return items


def _after_key(info: FieldInfo, indent: int) -> str:
    """What follows a completed key: a nested block for a mapping or a list of mappings."""
    target = _unwrap(info.annotation)
    inner = typing.get_args(target)
    if typing.get_origin(target) is list and inner and _is_model(inner[0]):
        return ":\n" + " " * (indent + 2) + "- "
    if _is_model(target) or typing.get_origin(target) is dict:
        return ":\n" + " " * (indent + 2)
    return ": "


def _values(model: type[BaseModel], cursor: Cursor, known: Analysis | None,
            kind: str | None, row: int, lines: list[str]) -> list[types.CompletionItem]:
    path = cursor.path
    names: list[str] = []
    detail = ""
    if kind == "FloeSpec" and len(path) == 4 and path[0] == "transforms" \
            and path[2] == "dependsOn":
        names = _transform_names(known, path[1]) if known is not None \
            else _transform_names_in(lines, path[1])
        detail = "transform"
    elif kind == "FloeSpec" and len(path) == 3 and path[0] == "destinations" \
            and path[2] == "sink_type":
        names, detail = _sink_types(known)
    elif kind == "Manifest" and len(path) == 3 and path[0] == "plugins" and path[2] == "type":
        names = _approved(known.doc.data if known and known.doc else None, str(path[1]))
        detail = f"approved {path[1]} plugin"
    elif kind == "FloeSpec" and _is_compute_choice(path):
        names = _approved(known.manifest.data if known and known.manifest else None, "compute")
        detail = "approved compute plugin"
    else:
        target = type_at(model, path)
        if typing.get_origin(target) is typing.Literal:
            names = [str(v) for v in typing.get_args(target)]
        elif target is bool:
            names = ["true", "false"]
    return [types.CompletionItem(label=name, kind=types.CompletionItemKind.Value,
                                 detail=detail or None, sort_text=f"{i:03d}",
                                 text_edit=_edit(cursor, row, name))
            for i, name in enumerate(names)]


def _is_compute_choice(path: Path_) -> bool:
    """A transform's `compute`: one of the manifest's approved compute plugins."""
    return len(path) == 3 and path[0] == "transforms" and path[2] == "compute"


def _transform_names(known: Analysis | None, index: str | int) -> list[str]:
    if known is None or known.doc is None:
        return []
    order, _ = transform_graph(known.doc)
    items = known.doc.data.get("transforms") if isinstance(known.doc.data, dict) else None
    own = items[index].get("name") if isinstance(items, list) and isinstance(index, int) \
        and 0 <= index < len(items) and isinstance(items[index], dict) else None
    return [name for name in order if name != own]


def _transform_names_in(lines: list[str], index: str | int) -> list[str]:
    """The transform names, read from the text: no version of the buffer has parsed yet."""
    names: list[str] = []
    inside, dash = False, None
    for text in lines:
        line = read_line(text)
        if line is None:
            continue
        if line.indent == 0 and line.dash is None:
            inside = line.key == "transforms"
            continue
        if inside and line.dash is not None and (dash is None or line.dash == dash):
            dash = line.dash
            names.append("")
        if inside and names and line.key == "name" and line.content == (dash or 0) + 2:
            value = text[line.key_end:].split(":", 1)[-1].split(" #", 1)[0].strip()
            names[-1] = value.strip("\"'")
    own = names[index] if isinstance(index, int) and 0 <= index < len(names) else None
    return [name for name in names if name and name != own]


def _sink_types(known: Analysis | None) -> tuple[list[str], str]:
    """The manifest's `approved_sinks`; without a whitelist, the installed connectors'."""
    manifest = known.manifest.data if known is not None and known.manifest is not None \
        else None
    approved = manifest.get("approved_sinks") if isinstance(manifest, dict) else None
    if isinstance(approved, list):
        return [s for s in approved if isinstance(s, str)], "approved sink"
    from floe_compiler.sinks.registry import installed_connectors

    found = sorted({t for c in installed_connectors() for t in c.sink_types})
    return found, "installed sink connector"


def _approved(manifest: Any, category: str) -> list[str]:
    approved = manifest.get("approved_plugins") if isinstance(manifest, dict) else None
    chosen = approved.get(category) if isinstance(approved, dict) else None
    return [p for p in chosen if isinstance(p, str)] if isinstance(chosen, list) else []


def _present_keys(known: Analysis | None, path: Path_) -> set[str]:
    data: Any = known.doc.data if known is not None and known.doc is not None else None
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return set()
    return {k for k in data if isinstance(k, str)} if isinstance(data, dict) else set()


def _unwrap(annotation: Any) -> Any:
    members = [a for a in typing.get_args(annotation) if a is not type(None)] \
        if typing.get_origin(annotation) in (typing.Union, type(int | None)) else None
    return members[0] if members is not None and len(members) == 1 else annotation


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _type_name(info: FieldInfo) -> str:
    target = _unwrap(info.annotation)
    if _is_model(target):
        return "mapping"
    origin = typing.get_origin(target)
    if origin is list:
        return "list"
    if origin is dict:
        return "mapping"
    if origin is typing.Literal:
        return " | ".join(str(v) for v in typing.get_args(target))
    return getattr(target, "__name__", str(target))
