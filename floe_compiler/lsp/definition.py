"""Go to definition: from a `dependsOn` item to the `name:` of that transform."""

from __future__ import annotations

from lsprotocol import types

from floe_compiler.checks import named_items
from floe_compiler.lsp.analysis import Analysis
from floe_compiler.lsp.convert import token_range


def definition(analysis: Analysis, uri: str, row: int, column: int) -> types.Location | None:
    doc = analysis.doc
    if analysis.kind != "FloeSpec" or doc is None or not isinstance(doc.data, dict):
        return None
    lines = analysis.text.splitlines()
    wanted = None
    for path, item in named_items(doc, "transforms"):
        depends = item.get("dependsOn")
        if not isinstance(depends, list):
            continue
        for j, dep in enumerate(depends):
            where = doc.values.get((*path, "dependsOn", j))
            if where is None or not isinstance(dep, str):
                continue
            span = token_range(lines, *where)
            if span.start.line == row and span.start.character <= column <= span.end.character:
                wanted = dep
    if wanted is None:
        return None
    for path, item in named_items(doc, "transforms"):
        if item.get("name") == wanted:
            return types.Location(uri, token_range(lines, *doc.value_at((*path, "name"))))
    return None
