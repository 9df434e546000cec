"""Rule: each destination's `sink_type` is served by an installed sink connector.

The seed's data model validates a destination's `sink_type` against
`SinkConnector.list_available_sinks()`. `floe compile` and `floe validate` check it
against every installed connector (floe's built-ins, `floe.sinks` plugins, and floe-core
connectors when floe-core is installed). A type none serves is a warning (FLOE-W210),
not an error: the machine that runs `floe run` may have more plugins than the one that
compiles; --strict makes it an error. Connectors are looked up only for a file that has
destinations, so validating the others stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Set
from typing import TYPE_CHECKING, Any

from floe_compiler.checks import named_items
from floe_compiler.diagnostics import Diagnostic, diagnostic, did_you_mean
from floe_compiler.loader import Located

if TYPE_CHECKING:
    from floe_compiler.sinks.registry import SinkTypes


def has_destinations(doc: Located) -> bool:
    return isinstance(doc.data, dict) and bool(doc.data.get("destinations"))


_FOUND: dict[tuple[str, ...], SinkTypes] = {}


def installed_sink_types() -> SinkTypes:
    """The installed connectors' sink types, looked up once per process and sys.path (a
    language server checks on every edit; installing a plugin changes sys.path's contents,
    not usually the path itself, so a long-lived process sees it after a restart)."""
    from floe_compiler.sinks.registry import sink_types

    key = tuple(sys.path)
    if key not in _FOUND:
        _FOUND[key] = sink_types()
    return _FOUND[key]


def check_sink_types(spec: Located, installed: SinkTypes,
                     reported: Set[tuple[int, int]] = frozenset()) -> list[Diagnostic]:
    """FLOE-W210 for each destination whose type no installed connector serves, unless
    a finding is already `reported` at that (line, column) (FLOE-E201: not approved)."""
    available = sorted(installed.served)
    found = []
    for path, item in named_items(spec, "destinations"):
        sink_type = item.get("sink_type")
        if not isinstance(sink_type, str) or not sink_type or sink_type in installed.served:
            continue
        line, col = spec.value_at((*path, "sink_type"))
        if (line, col) in reported:
            continue
        guess = did_you_mean(sink_type, available)
        broken = "; ".join(f"{c.name} ({c.distribution or c.target}): {c.error}"
                           for c in installed.broken)
        hint = (f"Did you mean '{guess}'? " if guess else "") + (
            "Install the plugin that serves it on the machine that runs `floe run`"
            + (f" (failed to load: {broken})" if broken else "") + ".")
        found.append(diagnostic(
            "FLOE-W210", f"sink type '{sink_type}' of destination '{item.get('name')}' is "
            f"served by no installed sink connector; installed: [{', '.join(available)}]",
            file=spec.file, line=line, column=col, hint=hint))
    return found


def served_by(sink_types: list[str], installed: SinkTypes) -> dict[str, dict[str, Any]]:
    """For the artifact: the connector that served each type at compile time."""
    return {t: installed.served[t].as_dict() for t in sorted(set(sink_types))
            if t in installed.served}
