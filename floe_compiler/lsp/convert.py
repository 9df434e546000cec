"""floe's diagnostics as LSP diagnostics: 1-based line:column to a 0-based range over the
offending token, the code linked to its documentation, and, for the findings a quick fix
can mend, the fix in `data` (recomputed from the document, never read back from a hint).
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pydantic import BaseModel

from floe_compiler.checks import transform_graph
from floe_compiler.credentials import is_credential_key
from floe_compiler.diagnostics import Diagnostic, Severity, code_url, did_you_mean
from floe_compiler.loader import Located, Path_
from floe_compiler.lsp.analysis import Analysis
from floe_compiler.lsp.yaml_text import token_end
from floe_compiler.parse import MODELS, fields_at, type_at

SOURCE = "floe"
SEVERITIES = {Severity.ERROR: types.DiagnosticSeverity.Error,
              Severity.WARNING: types.DiagnosticSeverity.Warning}


def token_range(lines: list[str], line: int, column: int) -> types.Range:
    """The range of the token at 1-based `line`:`column` (clamped to the text)."""
    row = min(max(line - 1, 0), max(len(lines) - 1, 0))
    text = lines[row].rstrip("\r\n") if lines else ""
    start = min(max(column - 1, 0), len(text))
    end = token_end(text, start)
    return types.Range(types.Position(row, start), types.Position(row, end))


def text_lines(text: str) -> list[str]:
    """The lines of `text` as an editor numbers them: after a final line break, one more."""
    lines = text.splitlines()
    return [*lines, ""] if not lines or text.endswith(("\n", "\r")) else lines


def to_lsp(analysis: Analysis) -> list[types.Diagnostic]:
    lines = text_lines(analysis.text)
    fixes = _Fixes(analysis)
    out = []
    for d in analysis.diagnostics:
        message = f"{d.message}\n{d.hint}" if d.hint else d.message
        out.append(types.Diagnostic(
            range=token_range(lines, d.line, d.column), message=message,
            severity=SEVERITIES[d.severity], code=d.code, source=SOURCE,
            code_description=types.CodeDescription(href=code_url(d.code)),
            data=fixes.data(d)))
    return out


class _Fixes:
    """What a quick fix writes for a diagnostic: {"fix": "replace", "text": ...} for a
    did-you-mean, {"fix": "quote"} for a scalar YAML 1.1 reads otherwise."""

    def __init__(self, analysis: Analysis) -> None:
        self.doc = analysis.doc
        self.model = MODELS.get(analysis.kind or "")
        self.manifest = analysis.manifest
        self._keys: dict[tuple[int, int], Path_] | None = None
        self._values: dict[tuple[int, int], Path_] | None = None

    def data(self, d: Diagnostic) -> dict[str, Any] | None:
        doc = self.doc
        if doc is None or not isinstance(doc.data, dict):
            return None
        guess = None
        where = (d.line, d.column)
        if d.code == "FLOE-W111":
            return self._quote(doc, where)
        if d.code == "FLOE-E102" and self.model is not None:
            path = self.keys(doc).get(where)
            if path is not None and isinstance(path[-1], str):
                guess = did_you_mean(path[-1], fields_at(self.model, path[:-1]))
        elif d.code == "FLOE-W121" and self.model is not None:  # depends_on -> dependsOn
            path = self.keys(doc).get(where)
            owner = type_at(self.model, path[:-1]) if path is not None else None
            if path is not None and isinstance(owner, type) and issubclass(owner, BaseModel):
                info = owner.model_fields.get(str(path[-1]))
                guess = info.alias if info is not None else None
        elif d.code in ("FLOE-W204", "FLOE-E201", "FLOE-E202"):
            path = self.values(doc).get(where)
            value = _get(doc.data, path) if path is not None else None
            if path is not None and isinstance(value, str):
                guess = did_you_mean(value, self._candidates(d.code, path, doc))
        return {"fix": "replace", "text": guess} if guess else None

    def _quote(self, doc: Located, where: tuple[int, int]) -> dict[str, Any] | None:
        """The scalar, quoted; nothing for a credential (its text never leaves floe)."""
        path = self.values(doc).get(where) or self.keys(doc).get(where)
        lines = doc.text.splitlines()
        if path is None or not 0 < where[0] <= len(lines):
            return None
        line = lines[where[0] - 1]
        written = line[where[1] - 1:token_end(line, where[1] - 1)]
        if not written or written in doc.secret_values or any(
                isinstance(part, str) and is_credential_key(part) for part in path):
            return None
        text = f'"{written}"' if '"' not in written and "\\" not in written \
            else "'" + written.replace("'", "''") + "'"
        return {"fix": "quote", "text": text}

    def _candidates(self, code: str, path: Path_, doc: Located) -> list[str]:
        if code == "FLOE-W204":
            return transform_graph(doc)[0]
        manifest = self.manifest.data if self.manifest is not None else None
        if code == "FLOE-E201":
            return _strings(_get(manifest, ("approved_sinks",)))
        category = str(path[1]) if path[:1] == ("plugins",) and len(path) > 1 else "compute"
        approved = _get(doc.data if path[:1] == ("plugins",) else manifest,
                        ("approved_plugins", category))
        return _strings(approved)

    def keys(self, doc: Located) -> dict[tuple[int, int], Path_]:
        if self._keys is None:
            self._keys = {where: path for path, where in doc.keys.items()}
        return self._keys

    def values(self, doc: Located) -> dict[tuple[int, int], Path_]:
        if self._values is None:
            self._values = {where: path for path, where in doc.values.items()}
        return self._values


def _get(data: Any, path: Path_ | None) -> Any:
    for part in path or ():
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
