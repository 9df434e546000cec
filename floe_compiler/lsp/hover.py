"""Hover: on a diagnostic, what its code means, the hint and a link (`floe explain`); on a
key, the field's description from the models."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from floe_compiler.diagnostics import CODES, code_url
from floe_compiler.lsp.analysis import Analysis
from floe_compiler.lsp.yaml_text import container_at, read_line
from floe_compiler.parse import MODELS, fields_at


def hover(analysis: Analysis, published: Sequence[types.Diagnostic], row: int, column: int
          ) -> types.Hover | None:
    parts = [_explain(d) for d in published if _contains(d.range, row, column)]
    field = _field(analysis, row, column)
    if field is not None:
        parts.append(field)
    if not parts:
        return None
    return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, "\n\n---\n\n".join(parts)))


def _contains(span: types.Range, row: int, column: int) -> bool:
    start, end = span.start, span.end
    return (start.line, start.character) <= (row, column) <= (end.line, end.character)


def _explain(d: types.Diagnostic) -> str:
    from floe_compiler.explain import EXPLANATIONS

    code = str(d.code)
    title = CODES[code].title if code in CODES else ""
    more = EXPLANATIONS.get(code)
    lines = [f"**{code}** {title}", ""]
    if more is not None:
        lines += [more.meaning, ""]
    hint = d.message.split("\n", 1)[1] if "\n" in d.message else \
        (CODES[code].hint if code in CODES else "")
    if hint:
        lines += [f"*Hint:* {hint}", ""]
    lines.append(f"[{code}]({code_url(code)}) (`floe explain {code}`)")
    return "\n".join(lines)


def _field(analysis: Analysis, row: int, column: int) -> str | None:
    """The description of the key under the cursor, or of the key whose value it is on."""
    model = MODELS.get(analysis.kind or "")
    lines = analysis.text.splitlines()
    if model is None or row >= len(lines):
        return None
    line = read_line(lines[row])
    if line is None or line.key is None or not line.content <= column <= len(lines[row]):
        return None
    if line.dash is not None:
        mapping = container_at(lines, row, line.dash, item=True)
    else:
        mapping = container_at(lines, row, line.content, item=False)
    info = fields_at(model, mapping).get(line.key)
    if info is None:
        return None
    return f"**{line.key}**" + (f": {info.description}" if info.description else "")
