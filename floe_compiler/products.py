"""`floe check`: the files a commit touches, and the data products they belong to.

Every file is validated, and each product a file belongs to (the nearest floe.yaml at or
above it, inside the repository) is compiled once and its committed artifact compared with
the result. Compile reports exactly what validate does (one verdict), so only what compile
alone can say (the artifact is stale; the manifest cannot be found) is added: a broken
floe.yaml is reported once, not once per hook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from floe_compiler.diagnostics import Diagnostic
from floe_compiler.manifests import repository_root
from floe_compiler.pipeline import Options, Report, Source, run

if TYPE_CHECKING:
    from floe_compiler.models.artifact import CompiledArtifacts

SPEC_NAMES = ("floe.yaml", "floe.yml")
DEFAULT_ARTIFACT = Path("target/compiled_artifacts.json")


@dataclass(frozen=True)
class Checked:
    report: Report
    products: list[Path]  # each product's floe.yaml
    broken: list[Path]    # products that did not compile (their errors are in the report)


def product_of(path: Path) -> Path | None:
    """The floe.yaml of the product `path` belongs to: the nearest one in its directory or
    above, up to the repository root."""
    if path.name in SPEC_NAMES:
        return path
    try:
        directory = path.parent.resolve()
    except (OSError, RuntimeError):
        return None
    root = repository_root(directory)
    for candidate in (directory, *directory.parents):
        for name in SPEC_NAMES:
            if (candidate / name).is_file():
                return _display(candidate / name)
        if candidate == root:
            break
    return None


def _display(path: Path) -> Path:
    """Relative to the working directory when inside it, as the user would write it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def check(sources: Sequence[Source], options: Options, *, manifest: Source | None,
          artifact: Path = DEFAULT_ARTIFACT) -> Checked:
    products = sorted({p for s in sources if s.path is not None
                       for p in [product_of(s.path)] if p is not None})
    given = {_key(s.path) for s in sources if s.path is not None}
    extra = [Source.from_path(p) for p in products if _key(p) not in given]
    report = run([*sources, *extra], options, manifest=manifest).report
    # The same file may be named two ways (`manifest.yaml`, `products/a/../../manifest.yaml`)
    seen = {_same(d) for d in report.diagnostics}
    found: list[Diagnostic] = []
    broken = []
    for spec in products:
        outcome = run([Source.from_path(spec)], options, manifest=manifest, emit=True)
        found += [d for d in outcome.report.diagnostics if _same(d) not in seen]
        if outcome.artifact is None:
            broken.append(spec)
            continue
        found += _stale(spec, spec.parent / artifact, outcome.artifact)
    return Checked(report.adding(found), products, broken)


def _stale(spec: Path, path: Path, artifact: CompiledArtifacts) -> list[Diagnostic]:
    from floe_compiler.artifact_diff import stale
    from floe_compiler.emit import to_json

    found = stale(path, to_json(artifact), hint=f"Run `floe compile --spec {spec} --output "
                                                f"{path}` and commit the result.")
    return [found] if found is not None else []


def _same(d: Diagnostic) -> tuple[object, ...]:
    return (_key(Path(d.file)) or d.file, d.line, d.column, d.code, d.message)


def _key(path: Path | None) -> Path | None:
    try:
        return path.resolve() if path is not None else None
    except (OSError, RuntimeError):
        return None
