"""The pipeline, in one place: load -> render -> parse -> check -> emit.

One way in: `run` takes sources, each a text (or bytes) and the name diagnostics
show, or a path read bounded into one. The CLI (`validate`, `compile`), the
pre-commit hooks, a language server fed an editor's unsaved buffer and library
users all call it. It runs load -> render -> parse -> check on each source, finds
each floe.yaml's manifest (`manifests.py`) and runs the rules across both files,
and, to compile, emits the artifact. `validate_paths`, `compile_files` and
`compile_project` are thin wrappers over it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_compiler.acyclic import acyclic_work
from floe_compiler.checks import check_dependencies, check_manifest, check_project, check_spec
from floe_compiler.diagnostics import Diagnostic, FloeError, Severity, diagnostic, sort_key
from floe_compiler.errors import CompilationError, error_for
from floe_compiler.fastpath import schema_clean
from floe_compiler.kinds import KINDS, Kind, detect_kind
from floe_compiler.loader import DEFAULT_MAX_BYTES, Located, load_bytes, read_source
from floe_compiler.manifests import RunPaths, find_manifest
from floe_compiler.modeline import read_modeline
from floe_compiler.sink_types import check_sink_types, has_destinations, installed_sink_types

if TYPE_CHECKING:  # the models are imported only for a file the fast path does not accept
    from pydantic import BaseModel

    from floe_compiler.models.artifact import CompiledArtifacts
    from floe_compiler.sinks.registry import SinkTypes

# Codes after which the run could not even look at the input: exit status 2.
IO_CODES = frozenset({"FLOE-E001", "FLOE-E206"})
RENDERED_TYPE_HINT = ("A value that is one {{ expression }} is read as YAML reads an unquoted "
                      "value (42 is a number); end it with `| string` to keep it text.")


@dataclass(frozen=True)
class Options:
    strict: bool = False  # warnings become errors
    max_bytes: int = DEFAULT_MAX_BYTES
    variables: dict[str, Any] = field(default_factory=dict)  # for {{ var('name') }}
    # A file the generated accept check passes is not parsed into its model: the same
    # diagnostics, without importing Pydantic's models (fastpath.py). False: always parse.
    fast_path: bool = True


@dataclass
class CheckedFile:
    """One file after load, render, parse and its single-file checks."""

    doc: Located
    kind: Kind | None = None
    model: BaseModel | None = None
    location: Path | None = None  # the file it is, or stands for

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.doc.diagnostics


@dataclass
class Report:
    diagnostics: list[Diagnostic]
    sources: dict[str, str]
    files_checked: int

    def adding(self, found: Iterable[Diagnostic]) -> Report:
        """This report with findings made outside the pipeline (e.g. about an argument)."""
        extra = list(found)
        if not extra:
            return self
        return Report(sorted({*self.diagnostics, *extra}, key=sort_key), self.sources,
                      self.files_checked)

    def keeping(self, codes: Iterable[str]) -> Report:
        """This report with only the findings of these codes."""
        wanted = set(codes)
        return Report([d for d in self.diagnostics if d.code in wanted], self.sources,
                      self.files_checked)

    @property
    def exit_code(self) -> int:
        """0 clean, 1 findings, 2 a file could not be read at all."""
        if any(d.code in IO_CODES for d in self.diagnostics):
            return 2
        return 1 if any(d.severity is Severity.ERROR for d in self.diagnostics) else 0


@dataclass(frozen=True)
class Source:
    """One input: its text (or bytes), the name diagnostics show, and where it lives.

    `path` anchors relative references (the modeline's schema, `platform.manifest`, the
    manifest search); without `text`, the file at `path` is read, bounded. An editor's
    unsaved buffer is `Source(name, text, path)`.
    """

    name: str
    text: str | bytes | None = None
    path: Path | None = None

    @classmethod
    def from_path(cls, path: str | Path, name: str | None = None) -> Source:
        return cls(str(path) if name is None else name, None, Path(path))

    @property
    def location(self) -> Path:
        """The file this source is, or stands for."""
        return self.path if self.path is not None else Path(self.name)


def load(source: Source, options: Options) -> Located:
    if source.text is None:
        return read_source(source.location, source.name, options.max_bytes)
    raw = source.text if isinstance(source.text, bytes) \
        else source.text.encode("utf-8", "surrogatepass")  # a lone surrogate is E002, located
    return load_bytes(raw, source.name, options.max_bytes)


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
    if expect is not None and isinstance(declared, str) and declared in KINDS \
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
    clean = options.fast_path and schema_clean(doc, kind)
    if not clean:
        from floe_compiler.parse import MODELS, parse

        checked.model, problems = parse(doc, MODELS[kind])
        doc.diagnostics.extend(_not_after_templates(doc, problems))
    doc.diagnostics.extend(check_spec(doc, clean) if kind == "FloeSpec"
                           else check_manifest(doc, clean))
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
    # Snippets are cut from the text with every literal credential masked, and only from
    # YAML mappings: a file that is none (/etc/passwd named as a manifest) is never quoted.
    return Report(unique, {f.doc.file: f.doc.display_text() for f in files if f.doc.mapping},
                  len(files))


def check_with_modeline(doc: Located, source: Path, options: Options,
                        expect: Kind | None = None) -> CheckedFile:
    """`check_file`, honouring a `# yaml-language-server: $schema=` modeline: naming one of
    floe's schemas sets the kind (unless the caller expects one: compile's --spec is a
    floe.yaml); naming another local schema has the file checked against that schema too
    (and, if it is no floe file, against that schema alone)."""
    modeline = read_modeline(doc, source) if doc.data is not None else None
    if modeline is None:
        return check_file(doc, options, expect)
    if modeline.schema_key is not None:
        from floe_compiler.foreign_schema import check_against_schema

        doc.diagnostics.extend(check_against_schema(doc, modeline))
        if expect is None and detect_kind(doc)[0] is None:
            return CheckedFile(doc)
    return check_file(doc, options, expect=expect or modeline.kind)


def check_source(source: Source, options: Options, expect: Kind | None = None) -> CheckedFile:
    """load -> render -> parse -> the single-file checks, for one source."""
    doc = load(source, options)
    render(doc, options)
    checked = check_with_modeline(doc, source.location, options, expect)
    checked.location = source.location
    return checked


@dataclass
class Outcome:
    report: Report
    artifact: CompiledArtifacts | None  # compile only, and only without errors
    # Each source, checked, and the manifest each floe.yaml was checked with (None when
    # there was none, or the source is no floe.yaml): what a language server completes from.
    # Empty when a compile built its artifact: it let the documents go first (their data
    # and positions, ~130 MB at 100k transforms, are not needed once the report is made).
    files: list[CheckedFile] = field(default_factory=list)
    manifests: list[CheckedFile | None] = field(default_factory=list)
    # The exceptions the cross-file checks raised, by the diagnostic the report holds.
    raised: Mapping[Diagnostic, FloeError] = field(default_factory=dict, repr=False)

    @cached_property
    def errors(self) -> list[FloeError]:
        """The report's errors as exceptions, for library users (made when first asked
        for: the CLI never is, and a file can hold 300,000 errors)."""
        return [self.raised.get(d) or error_for(d) for d in self.report.diagnostics
                if d.severity is Severity.ERROR]


Compiled = Outcome  # its name before `run` was the one way in


def run(sources: Sequence[Source], options: Options, *, manifest: Source | None = None,
        emit: bool = False, compiled_at: str | None = None,
        buffers: Mapping[Path, str] | None = None) -> Outcome:
    """The one way in. Check every source; pair each floe.yaml with its manifest and run
    the rules across both; with `emit`, compile the one source (a floe.yaml) to an artifact.

    `manifest` (--manifest, FLOE_MANIFEST) overrides the search. Without it, a floe.yaml's
    manifest is one passed in the same call, else `platform.manifest`, else the nearest
    manifest.yaml/.yml up to the repository root. Compiling needs one: not finding it is
    FLOE-E206; validating goes on with the rules of each file alone.

    `buffers` holds the unsaved text of files (resolved path -> text), an editor's open
    buffers: a manifest found there is read from its buffer rather than from disk.
    """
    with acyclic_work():
        return _run(sources, options, manifest, emit, compiled_at, buffers or {})


def _run(sources: Sequence[Source], options: Options, override: Source | None, emit: bool,
         compiled_at: str | None, buffers: Mapping[Path, str]) -> Outcome:
    if emit:  # the artifact is built from the models
        options = replace(options, fast_path=False)
    files = [check_source(s, options, "FloeSpec" if emit else None) for s in sources]
    manifests = _Manifests(options, override,
                           [] if emit else [(s, f) for s, f in zip(sources, files, strict=True)
                                            if f.kind == "Manifest"], buffers)
    paired: list[CheckedFile | None] = []
    raised: list[FloeError] = []
    # Each floe.yaml, its manifest, and whether its transforms are declared in a run order.
    pairs: list[tuple[CheckedFile, CheckedFile | None, bool]] = []
    installed: SinkTypes | None = None  # looked up once, and only for files with destinations
    for source, spec in zip(sources, files, strict=True):
        paired.append(None)
        if spec.kind != "FloeSpec" or not isinstance(spec.doc.data, dict):
            continue
        dependency_errors, in_run_order = check_dependencies(spec.doc)
        raised += dependency_errors
        found = paired[-1] = manifests.for_spec(source, spec, required=emit)
        if found is not None and isinstance(found.doc.data, dict):
            raised += check_project(spec.doc, found.doc)
        if has_destinations(spec.doc):
            installed = installed or installed_sink_types()
            not_approved = {(e.diagnostic.line, e.diagnostic.column) for e in raised
                            if e.diagnostic.code == "FLOE-E201"
                            and e.diagnostic.file == spec.doc.file}  # one mistake, one report
            spec.doc.diagnostics.extend(check_sink_types(spec.doc, installed, not_approved))
        pairs.append((spec, found, in_run_order))
    report = finish([*files, *manifests.loaded], options, extra=[e.diagnostic for e in raised])
    by_diag = {e.diagnostic.escalated() if options.strict else e.diagnostic: e for e in raised}
    artifact = None
    if emit and report.exit_code == 0 and len(pairs) == 1:
        spec, found, in_run_order = pairs[0]
        from floe_compiler.models.manifest import PlatformManifest
        from floe_compiler.models.spec import FloeSpec

        if found is not None and isinstance(spec.model, FloeSpec) \
                and isinstance(found.model, PlatformManifest):
            from floe_compiler.emit import build_artifact

            for checked in (*files, *manifests.loaded):
                checked.doc.release()
            artifact = build_artifact(spec.doc, spec.model, found.doc, found.model, compiled_at,
                                      installed, in_run_order=in_run_order)
            files, paired = [], []
    return Outcome(report, artifact, files, paired, by_diag)


class _Manifests:
    """The manifests of a run: found for each floe.yaml, each loaded and checked once."""

    def __init__(self, options: Options, override: Source | None,
                 in_call: list[tuple[Source, CheckedFile]], buffers: Mapping[Path, str]
                 ) -> None:
        self.options = options
        self.in_call = in_call
        self.buffers = buffers
        self.by_path: dict[Path, CheckedFile] = {}
        for source, checked in in_call:
            key = _key(source.location)
            if key is not None:
                self.by_path.setdefault(key, checked)
        self.loaded: list[CheckedFile] = []  # checked here, not passed as sources
        self.paths = RunPaths()  # what this run learnt of directories (this run only)
        # --manifest is checked even when no floe.yaml gets as far as needing it
        self.chosen = self.checked(override) if override is not None else None

    def for_spec(self, source: Source, spec: CheckedFile, *, required: bool
                 ) -> CheckedFile | None:
        if self.chosen is not None:
            return self.chosen
        lookup = find_manifest(spec.doc, source.location, required=required,
                               paths=self.paths)
        key = _key(lookup.path) if lookup.path is not None else None
        if key is not None and key in self.by_path:
            return self.by_path[key]
        if len(self.in_call) == 1:  # `floe validate floe.yaml manifest.yaml`
            return self.in_call[0][1]
        spec.doc.diagnostics.extend(lookup.diagnostics)
        if lookup.path is None:
            return None
        unsaved = self.buffers.get(key) if key is not None else None
        if unsaved is not None:
            return self.checked(Source(str(lookup.path), unsaved, lookup.path))
        return self.checked(Source.from_path(lookup.path))

    def checked(self, source: Source) -> CheckedFile:
        key = _key(source.location) if source.text is None else None
        if key is not None and key in self.by_path:
            return self.by_path[key]
        checked = check_source(source, self.options, "Manifest")
        self.loaded.append(checked)
        if key is not None:
            self.by_path[key] = checked
        return checked


def _key(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (OSError, ValueError, RuntimeError):
        return None


def validate_paths(paths: Iterable[Path], options: Options, manifest: Path | None = None
                   ) -> Report:
    """`floe validate`: every file checked, each floe.yaml with its manifest when found."""
    return run([Source.from_path(p) for p in paths], options,
               manifest=Source.from_path(manifest) if manifest is not None else None).report


def compile_files(spec_path: Path, manifest_path: Path | None, options: Options,
                  compiled_at: str | None = None) -> Outcome:
    return run([Source.from_path(spec_path)], options,
               manifest=Source.from_path(manifest_path) if manifest_path is not None else None,
               emit=True, compiled_at=compiled_at)


def compile_project(spec_path: str | Path, manifest_path: str | Path | None = None,
                    *, options: Options | None = None) -> CompiledArtifacts:
    """Compile a floe.yaml against its manifest; raise `CompilationError` with every error."""
    result = compile_files(Path(spec_path), Path(manifest_path) if manifest_path else None,
                           options or Options())
    if result.artifact is None:
        count = len(result.errors)
        raise CompilationError(f"{spec_path}: {count} error(s)", result.errors)
    return result.artifact
