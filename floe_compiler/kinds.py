"""The two kinds of input file, told apart without importing the models.

`floe validate` of a clean file never builds a Pydantic model (see fastpath.py), so
what it needs to name a file's kind and a place in it lives here.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from floe_compiler.diagnostics import Diagnostic, diagnostic, did_you_mean
from floe_compiler.loader import Located, Path_

Kind = Literal["FloeSpec", "Manifest"]
KINDS: tuple[Kind, ...] = ("FloeSpec", "Manifest")
_FILE_NAMES: dict[str, Kind] = {"floe": "FloeSpec", "manifest": "Manifest"}


def detect_kind(doc: Located) -> tuple[Kind | None, list[Diagnostic]]:
    """The file's kind from its `kind:` key, else from its file name."""
    data = doc.data if isinstance(doc.data, dict) else {}
    declared = data.get("kind")
    if isinstance(declared, str) and declared in KINDS:  # `kind: [..]` is not hashable
        return declared, []
    stem = doc.file.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0]
    by_name = _FILE_NAMES.get(stem)
    if by_name is not None:
        return by_name, []
    line, col = doc.value_at(("kind",))
    if declared is None:
        message = "cannot tell what this file is: it has no `kind` and is not named " \
                  "floe.yaml or manifest.yaml"
    else:
        message = f"unknown kind {show(declared)}"
        guess = did_you_mean(str(declared), KINDS)
        if guess:
            message += f"; did you mean '{guess}'?"
    return None, [diagnostic("FLOE-E010", message, file=doc.file, line=line, column=col)]


def dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def show(value: Any, *, secret: bool = False) -> str:
    """A value fit to print: short scalars only, never a credential."""
    if secret or isinstance(value, dict | list) or value is None:
        return ""
    # YAML 1.1 reads 2024-01-01 as a date: show it as written, not as Python's repr
    text = f"the date {value.isoformat()}" if isinstance(value, date) else repr(value)
    return text if len(text) <= 60 else ""
