"""Sync modes (`config.mode` of a destination) and which sink types can perform them.

- `insert`: append rows. With `config.primary_key`, only keys not synced before are sent.
- `upsert`: send added and changed rows, by `config.primary_key`.
- `update`: send added and changed rows, which the connector applies to existing
  records only: for APIs that must not create records.
- `mirror`: upsert, then delete at the destination the keys that left the source. Only
  a connector that can delete serves it (it has a `delete` method and lists `mirror`).

A connector declares its modes with a `sync_modes` attribute; one without it serves
`insert` only. The built-in connectors' modes are listed here too, so `floe validate`
checks them without importing the runner. This module imports nothing heavy.
"""

from __future__ import annotations

from typing import Any

INSERT, UPSERT, UPDATE, MIRROR = "insert", "upsert", "update", "mirror"
MODES = (INSERT, UPSERT, UPDATE, MIRROR)
KEYED = frozenset({UPSERT, UPDATE, MIRROR})  # need config.primary_key
DEFAULT_MODE = INSERT

BUILT_IN: dict[str, tuple[str, ...]] = {
    "sql_database": (INSERT, UPSERT, UPDATE, MIRROR),
    "rest_api": (INSERT, UPSERT, UPDATE),  # cannot delete
}


def modes_of_connector(connector: Any) -> tuple[str, ...]:
    """What a connector object declares (`sync_modes`), `insert` when it says nothing."""
    declared = getattr(connector, "sync_modes", None)
    if isinstance(declared, (list, tuple)) and all(isinstance(m, str) for m in declared):
        return tuple(declared)
    return (INSERT,)


def modes_of(sink_type: str) -> tuple[str, ...] | None:
    """The modes `sink_type` serves; None when no installed connector is known to serve it."""
    if sink_type in BUILT_IN:
        return BUILT_IN[sink_type]
    # The connectors the W210 check already knows of: floe's built-ins are not imported
    # for this (validating a `webhook` destination once cost the runner's imports, ~0.5 s).
    from floe_compiler.sink_types import installed_sink_types

    served = installed_sink_types().served.get(sink_type)
    if served is None or served.connector is None:
        return None  # not installed or broken: the runner reports it, not the compiler
    return modes_of_connector(served.connector)
