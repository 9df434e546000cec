"""Stage 5, emit: checked models -> the deterministic, secret-free compiled artifact.

Determinism: keys sorted, lists in a defined order (transforms topologically, ties
in declaration order), paths relative to floe.yaml, no timestamp unless asked for.
The file is replaced atomically, so a reader (or a failed compile) never sees half
an artifact.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Set
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_compiler import __version__
from floe_compiler.credentials import holds_literal_secret, is_credential_key
from floe_compiler.dag import topological_order
from floe_compiler.loader import Located
from floe_compiler.models.artifact import (
    DEFAULT_RETRY,
    CompiledArtifacts,
    CompiledTransform,
    Edge,
    InputFile,
    Inputs,
    PlatformInfo,
    ProductInfo,
    ResolvedPlugin,
    TemplateUsage,
)
from floe_compiler.models.manifest import PlatformManifest, PluginSelection
from floe_compiler.models.spec import FloeSpec
from floe_compiler.sink_types import served_by

if TYPE_CHECKING:
    from pydantic_core import SchemaSerializer

    from floe_compiler.sinks.registry import SinkTypes

REDACTED = "<redacted>"


def build_artifact(spec_doc: Located, spec: FloeSpec, manifest_doc: Located,
                   manifest: PlatformManifest, compiled_at: str | None = None,
                   installed: SinkTypes | None = None, *, in_run_order: bool = False
                   ) -> CompiledArtifacts:
    """The artifact; `installed`: the sink connectors found while checking (for
    `sink_connectors`, which records the one that served each destination's type);
    `in_run_order`: the checks found each transform declared after its dependencies, as
    in most files (check_dependencies), so the declaration order is the run order (at
    100k transforms, ordering them again took 0.16 s)."""
    ordered = spec.transforms
    if not in_run_order:
        declared = [t.name for t in spec.transforms]  # unique: a duplicate is an error
        order = topological_order(declared, {t.name: t.depends_on or []
                                             for t in spec.transforms})
        if order != declared:
            by_name = {t.name: t for t in spec.transforms}
            ordered = [by_name[name] for name in order]
    # As upstream resolves it: the transform's own, else the manifest's defaults.compute,
    # else its compute plugin.
    default_compute = (manifest.defaults or {}).get("compute") or (
        manifest.plugins.compute.type if manifest.plugins.compute else None)
    # Transforms and edges are made from validated models, as the dataclasses they are
    # (which the artifact's validation passes through): 0.1 s less at 100k transforms
    # than dicts validated into them. Destinations are dicts, validated once with the
    # whole artifact: one model each cost a validator call apiece.
    transforms = [CompiledTransform(
        name=t.name, compute=t.compute or default_compute, tier=t.tier,
        tags=list(t.tags or []), depends_on=list(t.depends_on or [])) for t in ordered]
    edges = [Edge(upstream=dep, downstream=t.name) for t in transforms
             for dep in t.depends_on]
    secrets = manifest_doc.secret_values
    plugins = {
        category: ResolvedPlugin(type=sel.type, version=sel.version,
                                 config=_redact(sel.config or {}, secrets),
                                 connection_secret_ref=sel.connection_secret_ref)
        for category, sel in manifest.plugins if isinstance(sel, PluginSelection)
    }
    spec_dir = Path(spec_doc.file).resolve().parent
    return CompiledArtifacts(
        compiler_version=__version__,
        compiled_at=compiled_at,
        inputs=Inputs(
            spec=InputFile(path=Path(spec_doc.file).name, sha256=spec_doc.sha256),
            manifest=InputFile(path=_relative(Path(manifest_doc.file), spec_dir),
                               sha256=manifest_doc.sha256)),
        product=ProductInfo(name=spec.metadata.name, version=spec.metadata.version,
                            description=spec.metadata.description, owner=spec.metadata.owner,
                            labels=dict(spec.metadata.labels or {})),
        platform=PlatformInfo(name=manifest.metadata.name, version=manifest.metadata.version,
                              owner=manifest.metadata.owner, scope=manifest.scope),
        plugins=plugins,
        governance=_redact(manifest.governance.model_dump(mode="json", exclude_none=True),
                           secrets)
        if manifest.governance else {},
        transforms=transforms,
        edges=edges,
        schedule=spec.schedule.model_dump() if spec.schedule else None,
        destinations=[_destination(d) for d in spec.destinations or []],
        sink_connectors=served_by([d.sink_type for d in spec.destinations or []], installed)
        if installed is not None else {},
        templating=TemplateUsage(
            env_vars=sorted(spec_doc.env_vars | manifest_doc.env_vars),
            vars=sorted(spec_doc.variables | manifest_doc.variables)),
    )


def _destination(dest: Any) -> dict[str, Any]:
    """A `CompiledDestination`, as the dict it is validated from."""
    config = dict(dest.config or {})
    retry = config.pop("retry", None)
    return {
        "name": dest.name, "sink_type": dest.sink_type,
        "connection_secret_ref": dest.connection_secret_ref, "source_table": dest.source_table,
        "config": config, "field_mapping": dest.field_mapping, "batch_size": dest.batch_size,
        "retry_config": {**DEFAULT_RETRY, **(retry if isinstance(retry, dict) else {})}}


def _redact(value: Any, secrets: Set[str]) -> Any:
    """Free-form manifest data (plugin config, governance policies) with literal credentials
    replaced: whole lists and mappings under a credential key, and any value also used as
    one elsewhere (the manifest was warned about each)."""
    if isinstance(value, dict):
        return {k: REDACTED if is_credential_key(k) and holds_literal_secret(v)
                else _redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, secrets) for v in value]
    if value is not None and not isinstance(value, bool) and str(value) in secrets:
        return REDACTED
    return value


def _relative(path: Path, start: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), start)).as_posix()
    except ValueError:  # another drive on Windows
        return path.resolve().as_posix()


def to_json(artifact: CompiledArtifacts) -> bytes:
    """The artifact's file: sorted keys, 2-space indent, UTF-8 (`json_parts`, joined)."""
    return b"".join(json_parts(artifact))


# The artifact's lists that grow with the project, in the order their fields are written.
LONG_LISTS = ("destinations", "edges", "transforms")
ITEMS_PER_PART = 4096


def json_parts(artifact: CompiledArtifacts, per_part: int = ITEMS_PER_PART) -> Iterator[bytes]:
    """The artifact's file, in parts: the artifact with its long lists empty, those lists'
    items spliced in a few thousand at a time. A big artifact's JSON is then never in
    memory whole (44 MB at 100k transforms, and as much again while it is made).

    Each part is pydantic-core's serializer, straight from the models, whose fields are
    declared sorted and whose free-form mappings are kept sorted (models/artifact.py): at
    100k transforms a fifth of the time of dumping the artifact to dicts, sorting them,
    then serializing those. A list's items are serialized as a list of their own, then
    indented to the depth of the artifact's list (JSON text holds no raw newline but
    between tokens)."""
    head = artifact.model_copy(update={name: [] for name in LONG_LISTS})
    text = head.__pydantic_serializer__.to_json(head, indent=2) + b"\n"
    start = 0
    for name in LONG_LISTS:
        items = getattr(artifact, name)
        marker = b'\n  "' + name.encode() + b'": []'
        end = text.index(marker, start) + len(marker) - 1  # at its "]"
        if not items:
            continue
        yield text[start:end] + b"\n"
        serializer = _list_serializer(name)
        for first in range(0, len(items), per_part):
            part = serializer.to_json(items[first:first + per_part], indent=2)
            # "[\n  item,\n  item\n]" -> "    item,\n    item", at the artifact's depth
            yield (b",\n" if first else b"") + b"  " + part[2:-2].replace(b"\n", b"\n  ")
        yield b"\n  "
        start = end
    yield text[start:]


@cache
def _list_serializer(name: str) -> SchemaSerializer:
    from pydantic import TypeAdapter

    annotation = CompiledArtifacts.model_fields[name].annotation
    assert annotation is not None
    return TypeAdapter(annotation).serializer


def _file_mode(path: Path) -> int:
    """The mode `path` has (kept on replace), or that the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)  # the only portable way to read it is to set it
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write `data` (or its parts, in order) to `path` so that readers see the old file
    or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _file_mode(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # mkstemp creates 0600: give it the mode a plain write would
        with os.fdopen(fd, "wb") as handle:
            for part in (data,) if isinstance(data, bytes) else data:
                handle.write(part)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # directories cannot be opened on some platforms
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
