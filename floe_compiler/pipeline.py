"""The pipeline, in one place: load -> render -> parse -> check -> emit.

`validate_paths` runs the first four stages on each file on its own;
`compile_files` runs them on a floe.yaml and its manifest together, adds the
rules across both files and builds the artifact; `compile_project` is the same
for library users, raising every error at once as a `CompilationError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from floe_compiler.acyclic import acyclic_work
from floe_compiler.checks import check_manifest, check_project, check_spec
from floe_compiler.diagnostics import Diagnostic, FloeError, Severity, diagnostic, sort_key
from floe_compiler.errors import CompilationError, error_for
from floe_compiler.loader import DEFAULT_MAX_BYTES, Located, read_source
from floe_compiler.modeline import read_modeline
from floe_compiler.models.manifest import PlatformManifest
from floe_compiler.models.spec import FloeSpec
from floe_compiler.parse import MODELS, Kind, detect_kind, parse

if TYPE_CHECKING:  # emit and the artifact model are for compile only: validate starts faster
    from floe_compiler.models.artifact import CompiledArtifacts

# Codes after which the run could not even look at the input: exit status 2.
IO_CODES = frozenset({"FLOE-E001", "FLOE-E206"})
RENDERED_TYPE_HINT = ("A value that is one {{ expression }} is read as YAML reads an unquoted "
                      "value (42 is a number); end it with `| string` to keep it text.")


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
        if any(d.code in IO_CODES for d in self.diagnostics):
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
    if expect is None:  # with an expected kind, a wrong `kind:` is a schema error instead
        doc.diagnostics.extend(problems)
    declared = doc.data.get("kind")
    if expect is not None and isinstance(declared, str) and declared in MODELS \
            and declared != expect:
        line, col = doc.value_at(("kind",))
        doc.diagnostics.append(diagnostic(
            "FLOE-E207", f"expected a {expect} file, but this is a {declared}",
            file=doc.file, line=line, column=col))
        return checked
    kind = expect or kind
    if kind is None:
        return checked
    checked.kind = kind
    checked.model, problems = parse(doc, MODELS[kind])
    doc.diagnostics.extend(_not_after_templates(doc, problems))
    doc.diagnostics.extend(check_spec(doc) if kind == "FloeSpec" else check_manifest(doc))
    return checked


def _not_after_templates(doc: Located, problems: list[Diagnostic]) -> list[Diagnostic]:
    """Schema findings, minus those on values whose template failed (they still hold the
    template text: one mistake, one report), with a hint for a rendered value of the
    wrong type."""
    if not doc.templated:
        return problems
    failed = {(d.line, d.column) for d in doc.diagnostics if d.code.startswith("FLOE-E3")}
    rendered = {doc.value_at(path) for path in doc.templated}
    kept = []
    for p in problems:
        where = (p.line, p.column)
        if where in failed:
            continue
        if p.code == "FLOE-E103" and where in rendered:
            p = replace(p, hint=RENDERED_TYPE_HINT)
        kept.append(p)
    return kept


def finish(files: Iterable[CheckedFile], options: Options, extra: Iterable[Diagnostic] = ()
           ) -> Report:
    """Collect, order and (with --strict) escalate the diagnostics of a run."""
    files = list(files)
    diags = [d for f in files for d in f.diagnostics] + list(extra)
    if options.strict:
        diags = [d.escalated() for d in diags]
    unique = sorted(set(diags), key=sort_key)
    # Snippets are cut from the text with every literal credential masked.
    return Report(unique, {f.doc.file: f.doc.display_text() for f in files}, len(files))


def check_with_modeline(doc: Located, source: Path, options: Options) -> CheckedFile:
    """`check_file`, honouring a `# yaml-language-server: $schema=` modeline: naming one of
    floe's schemas sets the kind; naming another local schema has the file checked
    against that schema too (and, if it is no floe file, against that schema alone)."""
    modeline = read_modeline(doc, source) if doc.data is not None else None
    if modeline is None:
        return check_file(doc, options)
    if modeline.schema_key is not None:
        from floe_compiler.foreign_schema import check_against_schema

        doc.diagnostics.extend(check_against_schema(doc, modeline))
        if detect_kind(doc)[0] is None:
            return CheckedFile(doc)
    return check_file(doc, options, expect=modeline.kind)


def validate_paths(paths: Iterable[Path], options: Options) -> Report:
    checked = []
    with acyclic_work():
        for path in paths:
            doc = load(path, options)
            render(doc, options)
            checked.append(check_with_modeline(doc, path, options))
        return finish(checked, options)


@dataclass
class Compiled:
    report: Report
    artifact: CompiledArtifacts | None
    errors: list[FloeError]  # the report's errors as exceptions, for library users


def resolve_manifest(spec: Located) -> tuple[Path | None, list[Diagnostic]]:
    """`platform.manifest`, relative to floe.yaml. OCI references are not fetched."""
    platform = spec.data.get("platform") if isinstance(spec.data, dict) else None
    ref = platform.get("manifest") if isinstance(platform, dict) else None
    line, col = spec.value_at(("platform", "manifest"))
    if not isinstance(ref, str) or not ref:
        return None, [diagnostic("FLOE-E206", "no manifest given: floe.yaml has no "
                                 "platform.manifest and --manifest was not passed",
                                 file=spec.file, line=line, column=col)]
    if "://" in ref:
        return None, [diagnostic("FLOE-E206", f"platform.manifest '{ref}' is a remote "
                                 "reference; floe compiles against a local manifest",
                                 file=spec.file, line=line, column=col,
                                 hint="Pass --manifest with a local copy of the manifest.")]
    path = Path(spec.file).parent / ref
    try:
        found = path.is_file()
    except (OSError, ValueError) as exc:  # a name too long, say
        problem = getattr(exc, "strerror", None) or str(exc)
        return None, [diagnostic("FLOE-E206", f"platform.manifest cannot be opened: {problem}",
                                 file=spec.file, line=line, column=col)]
    if not found:
        return None, [diagnostic("FLOE-E206", f"platform.manifest '{ref}' not found "
                                 f"(looked for {path})", file=spec.file, line=line, column=col)]
    return path, []


def compile_files(spec_path: Path, manifest_path: Path | None, options: Options,
                  compiled_at: str | None = None) -> Compiled:
    with acyclic_work():
        return _compile(spec_path, manifest_path, options, compiled_at)


def _compile(spec_path: Path, manifest_path: Path | None, options: Options,
             compiled_at: str | None) -> Compiled:
    spec_doc = load(spec_path, options)
    render(spec_doc, options)
    spec = check_file(spec_doc, options, expect="FloeSpec")
    files = [spec]
    manifest: CheckedFile | None = None
    if manifest_path is None and isinstance(spec_doc.data, dict):
        manifest_path, problems = resolve_manifest(spec_doc)
        spec_doc.diagnostics.extend(problems)
    if manifest_path is not None:
        manifest_doc = load(manifest_path, options)
        render(manifest_doc, options)
        manifest = check_file(manifest_doc, options, expect="Manifest")
        files.append(manifest)
    cross: list[FloeError] = []
    if manifest is not None and isinstance(manifest.doc.data, dict) \
            and isinstance(spec_doc.data, dict):
        cross = check_project(spec_doc, manifest.doc)
    report = finish(files, options, extra=[e.diagnostic for e in cross])
    by_diag = {e.diagnostic: e for e in cross}
    errors = [by_diag.get(d) or error_for(d) for d in report.diagnostics
              if d.severity is Severity.ERROR]
    artifact = None
    if not errors and manifest is not None and isinstance(spec.model, FloeSpec) \
            and isinstance(manifest.model, PlatformManifest):
        from floe_compiler.emit import build_artifact

        artifact = build_artifact(spec_doc, spec.model, manifest.doc, manifest.model, compiled_at)
    return Compiled(report, artifact, errors)


def compile_project(spec_path: str | Path, manifest_path: str | Path | None = None,
                    *, options: Options | None = None) -> CompiledArtifacts:
    """Compile a floe.yaml against its manifest; raise `CompilationError` with every error."""
    result = compile_files(Path(spec_path), Path(manifest_path) if manifest_path else None,
                           options or Options())
    if result.artifact is None:
        count = len(result.errors)
        raise CompilationError(f"{spec_path}: {count} error(s)", result.errors)
    return result.artifact
