"""One editor buffer through the pipeline, as `floe validate FILE` would check it.

The buffer's unsaved text is the source; its path anchors the manifest search
(`manifests.py`), and a manifest open in the editor is read from its buffer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from floe_compiler.diagnostics import Diagnostic
from floe_compiler.loader import Located
from floe_compiler.parse import Kind
from floe_compiler.pipeline import Options, Source, run

_KIND = re.compile(r"^kind:[ \t]*['\"]?(FloeSpec|Manifest)\b", re.M)
_SCHEMA_MODELINE = re.compile(r"#\s*yaml-language-server:\s*\$schema=\S*(floe-spec|manifest)"
                              r"\.schema\.json")
FILE_NAMES: dict[str, Kind] = {"floe.yaml": "FloeSpec", "floe.yml": "FloeSpec",
                               "manifest.yaml": "Manifest", "manifest.yml": "Manifest"}


def kind_of(name: str, text: str) -> Kind | None:
    """A floe file's kind by its name, its `kind:` or a modeline naming floe's schema; None
    for any other YAML file (an editor sends them all: they are not ours to judge)."""
    by_name = FILE_NAMES.get(name.replace("\\", "/").rsplit("/", 1)[-1])
    declared = _KIND.search(text)
    if declared is not None:
        return declared[1]  # type: ignore[return-value]
    if by_name is not None:
        return by_name
    modeline = _SCHEMA_MODELINE.search(text)
    if modeline is not None:
        return "FloeSpec" if modeline[1] == "floe-spec" else "Manifest"
    return None


@dataclass
class Analysis:
    """A buffer after the pipeline: its diagnostics, its located document, and the
    manifest a floe.yaml was checked with."""

    name: str
    text: str
    kind: Kind | None
    diagnostics: list[Diagnostic]
    doc: Located | None = None
    manifest: Located | None = None
    manifest_path: Path | None = None  # resolved, to know which floe.yaml files use it


def analyse(name: str, text: str, path: Path | None, buffers: Mapping[Path, str]
            ) -> Analysis:
    """Check one buffer exactly as `floe validate` checks the file, from its text."""
    kind = kind_of(name, text)
    if kind is None:
        return Analysis(name, text, None, [])
    outcome = run([Source(name, text, path)], Options(), buffers=buffers)
    checked = outcome.files[0]
    manifest = outcome.manifests[0]
    manifest_path = None
    if manifest is not None and manifest.location is not None:
        try:
            manifest_path = manifest.location.resolve()
        except (OSError, RuntimeError):
            manifest_path = None
    return Analysis(name, text, checked.kind or kind,
                    [d for d in outcome.report.diagnostics if d.file == name],
                    checked.doc, manifest.doc if manifest is not None else None, manifest_path)
