"""The `# yaml-language-server: $schema=<path or URL>` modeline: the schema a YAML
file names for editors. `floe validate` honours it too:

- a local schema whose `$id` is one of floe's (either dialect, wherever the file
  lives) sets the file's kind;
- any other local schema is checked as well (`foreign_schema.py`, the only module
  that imports jsonschema); its violations are FLOE-E109;
- a URL is never fetched: one of floe's own `$id`s is recognised, any other URL is
  left to the editor.

Like the YAML language server, the modeline may be any comment line of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from floe_compiler.credentials import mask_url
from floe_compiler.diagnostics import diagnostic
from floe_compiler.kinds import KINDS, Kind
from floe_compiler.loader import Located
from floe_compiler.schema_ids import KIND_BY_SCHEMA_ID

MODELINE = re.compile(r"^[ \t]*#[ \t]*yaml-language-server[ \t]*:[ \t]*\$schema=(?P<target>\S+)",
                      re.MULTILINE)
MAX_SCHEMA_BYTES = 16 * 1024 * 1024

SchemaKey = tuple[Path, int, int]  # resolved path, mtime_ns, size: a cache key


@dataclass(frozen=True)
class Modeline:
    target: str  # as written
    line: int
    column: int  # of the target
    kind: Kind | None = None  # it names one of floe's schemas
    schema_key: SchemaKey | None = None  # it names another local schema


def read_modeline(doc: Located, source: Path) -> Modeline | None:
    """The file's modeline, resolved; problems with it go to `doc.diagnostics`."""
    if "yaml-language-server" not in doc.text:
        return None
    match = MODELINE.search(doc.text)
    if match is None:
        return None
    from urllib.parse import unquote, urlparse

    target = match["target"].strip("'\"")
    line = doc.text.count("\n", 0, match.start("target")) + 1
    column = match.start("target") - (doc.text.rfind("\n", 0, match.start("target")) + 1) + 1
    here = Modeline(target, line, column)
    url = urlparse(target)
    if len(url.scheme) > 1 and url.scheme != "file":  # one letter: a Windows drive
        return _with_kind(doc, here, KIND_BY_SCHEMA_ID.get(target))
    path = Path(unquote(url.path)) if url.scheme == "file" else Path(target)
    path = (path if path.is_absolute() else source.parent / path).resolve()
    try:
        stat = path.stat()
        key = (path, stat.st_mtime_ns, stat.st_size)
        schema = parsed_schema(*key)
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        doc.diagnostics.append(diagnostic(
            "FLOE-W110", f"cannot use the schema {mask_url(target)} named by the modeline: "
            f"{why}",
            file=doc.file, line=line, column=column))
        return here
    schema_id = schema.get("$id") if isinstance(schema, dict) else None
    kind = KIND_BY_SCHEMA_ID.get(schema_id) if isinstance(schema_id, str) else None
    if kind is not None:
        return _with_kind(doc, here, kind)
    return replace(here, schema_key=key)


@lru_cache(maxsize=32)
def parsed_schema(path: Path, mtime_ns: int, size: int) -> Any:
    """The JSON of a schema file (cached while the file is unchanged)."""
    if size > MAX_SCHEMA_BYTES:
        raise ValueError(f"larger than {MAX_SCHEMA_BYTES} bytes")
    import json  # only for a modeline naming a schema file

    try:
        return json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON ({exc})") from None


def _with_kind(doc: Located, here: Modeline, kind: Kind | None) -> Modeline:
    declared = doc.data.get("kind") if isinstance(doc.data, dict) else None
    if kind is not None and declared in KINDS and declared != kind:
        doc.diagnostics.append(diagnostic(
            "FLOE-E207", f"the modeline names the {kind} schema, but this file is a {declared}",
            file=doc.file, line=here.line, column=here.column,
            hint="Point the modeline at the schema of this file's kind."))
        kind = None
    return replace(here, kind=kind)
