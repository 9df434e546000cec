"""Stage 1, load: bytes on disk -> plain data plus the line:column of every node.

ruamel.yaml composes the node graph (with the C composer when ruamel.yaml.clib is
installed: about 5x faster than the pure-Python one and it keeps the same marks);
we then build plain dicts/lists ourselves so that we can
- record where each key and value sits (`Located.key_at` / `value_at`),
- report duplicate keys and unsupported tags as diagnostics instead of exceptions,
- bound alias expansion (billion laughs) and nesting depth.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from floe_compiler.diagnostics import Diagnostic, diagnostic

DEFAULT_MAX_BYTES = 1024 * 1024  # floe.yaml files are hand-written; 1 MiB is generous.
MAX_DEPTH = 100
# Nodes materialised per input byte; a plain document has far fewer than one per byte.
MAX_NODES_PER_BYTE = 4
MIN_NODE_BUDGET = 10_000

Path_ = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line, column

_CORE = "tag:yaml.org,2002:"
_TEMPLATE = re.compile(r"\{\{|\{%")


@dataclass
class Located:
    """A loaded YAML document: plain data and where each part of it came from."""

    file: str
    text: str
    data: Any = None
    values: dict[Path_, Position] = field(default_factory=dict)
    keys: dict[Path_, Position] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    templated: list[Path_] = field(default_factory=list)  # string values holding Jinja
    sha256: str = ""  # of the bytes on disk, for the artifact's provenance
    env_vars: set[str] = field(default_factory=set)  # names read by {{ env_var() }}
    variables: set[str] = field(default_factory=set)  # names read by {{ var() }}

    def value_at(self, path: Path_) -> Position:
        """Position of the value at `path`, or of its nearest located ancestor."""
        return _nearest(self.values, path)

    def key_at(self, path: Path_) -> Position:
        """Position of the key naming `path` (falls back to the value position)."""
        while path:
            if path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), (1, 1))


def _nearest(table: dict[Path_, Position], path: Path_) -> Position:
    while path and path not in table:
        path = path[:-1]
    return table.get(path, (1, 1))


class _Abort(Exception):
    def __init__(self, diag: Diagnostic) -> None:
        self.diag = diag


def read_source(path: Path, display: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Located:
    """Read and load one file; every failure becomes a located diagnostic."""
    doc = Located(file=display, text="")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            doc.diagnostics.append(diagnostic(
                "FLOE-E009", f"file is {size} bytes; the limit is {max_bytes} bytes", file=display))
            return doc
        raw = path.read_bytes()
    except OSError as exc:
        doc.diagnostics.append(diagnostic(
            "FLOE-E001", f"cannot read file: {exc.strerror or exc}", file=display))
        return doc
    return load_bytes(raw, display, max_bytes=max_bytes)


def load_bytes(raw: bytes, display: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Located:
    doc = Located(file=display, text="")
    if len(raw) > max_bytes:
        doc.diagnostics.append(diagnostic(
            "FLOE-E009", f"file is {len(raw)} bytes; the limit is {max_bytes} bytes", file=display))
        return doc
    if b"\x00" in raw:
        doc.diagnostics.append(diagnostic(
            "FLOE-E012", "file contains NUL bytes; it is not YAML text", file=display))
        return doc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(raw, exc.start)
        doc.diagnostics.append(diagnostic(
            "FLOE-E002", f"invalid UTF-8 byte 0x{raw[exc.start]:02x}",
            file=display, line=line, column=col))
        return doc
    doc = load_text(text, display)
    doc.sha256 = hashlib.sha256(raw).hexdigest()
    return doc


def _byte_position(raw: bytes, offset: int) -> Position:
    before = raw[:offset]
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    return before.count(b"\n") + 1, column


def load_text(text: str, display: str) -> Located:
    doc = Located(file=display, text=text)
    try:
        node, constructor = _compose(text)
    except _Abort as abort:
        doc.diagnostics.append(abort.diag)
        return doc
    except RecursionError:
        doc.diagnostics.append(_too_deep(display, (1, 1)))
        return doc
    except Exception as exc:  # ruamel raises YAMLError subclasses; anything else is a bug in input
        doc.diagnostics.append(_yaml_error(exc, display, text))
        return doc
    if node is None:
        doc.diagnostics.append(diagnostic(
            "FLOE-E004", "file has no YAML content", file=display, line=1, column=1))
        return doc
    budget = max(MIN_NODE_BUDGET, MAX_NODES_PER_BYTE * len(text))
    builder = _Builder(doc, budget, constructor)
    try:
        doc.data = builder.build(node, (), 0)
    except _Abort as abort:
        doc.data = None
        doc.diagnostics.append(abort.diag)
        return doc
    if not isinstance(doc.data, dict):
        line, col = doc.value_at(())
        doc.diagnostics.append(diagnostic(
            "FLOE-E005", f"top level is a {_yaml_type(doc.data)}, expected a mapping",
            file=display, line=line, column=col))
    return doc


def _compose(text: str) -> tuple[Any, Any]:
    """The node graph of `text` and a constructor for its scalars."""
    from ruamel.yaml import YAML

    # The C composer recurses in C and cannot be stopped by Python's recursion
    # limit; hand suspiciously nested input to the pure one, which raises
    # RecursionError that we report.
    pure = _may_nest_deeply(text)
    try:
        yaml = YAML(typ="safe", pure=pure)
    except Exception:  # no C extension on this interpreter
        yaml = YAML(typ="safe", pure=True)
    return yaml.compose(text), yaml.constructor


def _may_nest_deeply(text: str) -> bool:
    if text.count("[") + text.count("{") + text.count("- ") < MAX_DEPTH:
        return False
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    indent = max((len(ln) - len(ln.lstrip(" -")) for ln in text.splitlines()), default=0)
    return deepest >= MAX_DEPTH or indent >= MAX_DEPTH


def _yaml_error(exc: Exception, display: str, text: str) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if "expected a single document" in str(exc):
        return diagnostic("FLOE-E008", "file holds more than one YAML document",
                          file=display, line=line, column=col)
    if type(exc).__name__ == "ReaderError":
        position = getattr(exc, "position", 0)
        line = text.count("\n", 0, position) + 1
        col = position - (text.rfind("\n", 0, position) + 1) + 1
        return diagnostic("FLOE-E012", f"file contains a control character ({exc.reason})"
                          if hasattr(exc, "reason") else "file contains a control character",
                          file=display, line=line, column=col)
    hint = None
    lines = text.splitlines()
    if 0 < line <= len(lines) and "\t" in lines[line - 1]:
        hint = "YAML does not allow tabs for indentation; indent with spaces."
    context = getattr(exc, "context", None)
    message = f"{problem} ({context})" if context else str(problem)
    return diagnostic("FLOE-E003", message, file=display, line=line, column=col, hint=hint)


def _too_deep(display: str, pos: Position) -> Diagnostic:
    return diagnostic("FLOE-E011", f"document is nested more than {MAX_DEPTH} levels deep",
                      file=display, line=pos[0], column=pos[1])


def _yaml_type(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean",
            type(None): "null"}.get(type(value), type(value).__name__)


def _mark(node: Any) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns composed nodes into plain data, recording positions as it goes."""

    def __init__(self, doc: Located, budget: int, constructor: Any) -> None:
        self.doc = doc
        self.budget = budget
        self.constructor = constructor
        self.scalar: dict[str, Callable[[Any], Any]] = {
            _CORE + "null": lambda n: None,
            _CORE + "bool": self.constructor.construct_yaml_bool,
            _CORE + "int": self.constructor.construct_yaml_int,
            _CORE + "float": self.constructor.construct_yaml_float,
            # Dates stay the text the user wrote: the artifact is JSON.
            _CORE + "timestamp": lambda n: n.value,
            _CORE + "str": lambda n: n.value,
        }

    def build(self, node: Any, path: Path_, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _Abort(diagnostic(
                "FLOE-E011", "YAML aliases expand to too many nodes (possible alias bomb)",
                file=self.doc.file, line=_mark(node)[0], column=_mark(node)[1]))
        if depth > MAX_DEPTH:
            raise _Abort(_too_deep(self.doc.file, _mark(node)))
        self.doc.values.setdefault(path, _mark(node))
        kind = node.id
        if kind == "scalar":
            return self._scalar(node, path)
        if kind == "sequence":
            self._check_tag(node, _CORE + "seq")
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        self._check_tag(node, _CORE + "map")
        return self._mapping(node, path, depth)

    def _scalar(self, node: Any, path: Path_) -> Any:
        construct = self.scalar.get(node.tag)
        if construct is None:
            self._unsupported_tag(node)
            return node.value
        value = construct(node)
        if isinstance(value, str) and _TEMPLATE.search(value):
            self.doc.templated.append(path)
        return value

    def _check_tag(self, node: Any, expected: str) -> None:
        if node.tag != expected:
            self._unsupported_tag(node)

    def _unsupported_tag(self, node: Any) -> None:
        line, col = _mark(node)
        self.doc.diagnostics.append(diagnostic(
            "FLOE-E007", f"unsupported YAML tag {_short_tag(node.tag)}",
            file=self.doc.file, line=line, column=col))

    def _mapping(self, node: Any, path: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _CORE + "merge":
                merged.update(self._merge_source(value_node, path, depth))
                continue
            if key_node.id != "scalar":
                line, col = _mark(key_node)
                self.doc.diagnostics.append(diagnostic(
                    "FLOE-E005", "mapping keys must be plain scalars",
                    file=self.doc.file, line=line, column=col))
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in result:
                first = self.doc.keys[child]
                line, col = _mark(key_node)
                self.doc.diagnostics.append(diagnostic(
                    "FLOE-E006", f"duplicate key '{key}' (first defined at line {first[0]})",
                    file=self.doc.file, line=line, column=col))
                continue
            self.doc.keys[child] = _mark(key_node)
            result[key] = self.build(value_node, child, depth + 1)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge_source(self, node: Any, path: Path_, depth: int) -> dict[str, Any]:
        sources = node.value if node.id == "sequence" else [node]
        combined: dict[str, Any] = {}
        for source in reversed(sources):  # earlier sources win, as in YAML 1.1 merge
            value = self.build(source, path, depth + 1)
            if isinstance(value, dict):
                combined.update(value)
        return combined


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag
