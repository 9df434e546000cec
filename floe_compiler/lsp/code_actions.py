"""Quick fixes: the did-you-mean of an unknown key, a `dependsOn` name, a sink type or a
plugin (carried in the diagnostic's `data`), and quoting a scalar that YAML 1.1 and YAML
1.2 read differently (FLOE-W111)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lsprotocol import types


def code_actions(uri: str, diagnostics: Sequence[types.Diagnostic],
                 published: Sequence[types.Diagnostic]) -> list[types.CodeAction]:
    actions = []
    for d in diagnostics:
        data = d.data if isinstance(d.data, dict) else _published_data(d, published)
        if not isinstance(data, dict):
            continue
        text = data.get("text")
        if not isinstance(text, str):
            continue
        if data.get("fix") == "quote":
            title = f"Quote it: {text}"
        elif d.code in ("FLOE-E102", "FLOE-W121"):
            title = f"Rename to '{text}'"
        else:
            title = f"Replace with '{text}'"
        actions.append(types.CodeAction(
            title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[d],
            is_preferred=True,
            edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(d.range, text)]})))
    return actions


def _published_data(d: types.Diagnostic, published: Sequence[types.Diagnostic]) -> Any:
    """A client that does not send `data` back: find it on the diagnostic we published."""
    for mine in published:
        if mine.code == d.code and mine.range == d.range:
            return mine.data
    return None
