"""The pipeline, in one place: load -> render -> parse -> check -> emit.

`validate_paths` runs the first four stages on each file on its own;
`compile_project` (in `compile.py`) runs them on a floe.yaml and its manifest
together, adds the rules across both files, and emits the artifact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from floe_compiler.checks import check_manifest, check_spec
from floe_compiler.diagnostics import Diagnostic, Severity, sort_key
from floe_compiler.loader import DEFAULT_MAX_BYTES, Located, read_source
from floe_compiler.parse import MODELS, Kind, detect_kind, parse


@dataclass(frozen=True)
class Options:
    strict: bool = False  # warnings become errors
    max_bytes: int = DEFAULT_MAX_BYTES
    variables: dict[str, Any] = field(default_factory=dict)  # for {{ var('name') }}


@dataclass
class CheckedFile:
    """One file after load, render, parse and its single-file checks."""

    doc: Located
    kind: Kind | None = None
    model: BaseModel | None = None

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.doc.diagnostics


@dataclass
class Report:
    diagnostics: list[Diagnostic]
    sources: dict[str, str]
    files_checked: int

    @property
    def exit_code(self) -> int:
        """0 clean, 1 findings, 2 a file could not be read at all."""
        if any(d.code == "FLOE-E001" for d in self.diagnostics):
            return 2
        return 1 if any(d.severity is Severity.ERROR for d in self.diagnostics) else 0


def load(path: Path, options: Options, display: str | None = None) -> Located:
    return read_source(path, display if display is not None else str(path), options.max_bytes)


def render(doc: Located, options: Options) -> None:
    """Render dbt-style Jinja in string values; a no-op (and no jinja2 import) without it."""
    if doc.templated and isinstance(doc.data, dict):
        from floe_compiler.render import render_templates

        render_templates(doc, options.variables)


def check_file(doc: Located, options: Options, expect: Kind | None = None) -> CheckedFile:
    """Parse a loaded document as its kind and run that kind's single-file rules."""
    checked = CheckedFile(doc)
    if not isinstance(doc.data, dict):
        return checked
    kind, problems = detect_kind(doc)
    doc.diagnostics.extend(problems)
    kind = expect or kind
    if kind is None:
        return checked
    checked.kind = kind
    checked.model, problems = parse(doc, MODELS[kind])
    doc.diagnostics.extend(problems)
    doc.diagnostics.extend(check_spec(doc) if kind == "FloeSpec" else check_manifest(doc))
    return checked


def finish(files: Iterable[CheckedFile], options: Options, extra: Iterable[Diagnostic] = ()
           ) -> Report:
    """Collect, order and (with --strict) escalate the diagnostics of a run."""
    files = list(files)
    diags = [d for f in files for d in f.diagnostics] + list(extra)
    if options.strict:
        diags = [d.escalated() for d in diags]
    unique = sorted(set(diags), key=sort_key)
    return Report(unique, {f.doc.file: f.doc.text for f in files}, len(files))


def validate_paths(paths: Iterable[Path], options: Options) -> Report:
    checked = []
    for path in paths:
        doc = load(path, options)
        render(doc, options)
        checked.append(check_file(doc, options))
    return finish(checked, options)
