"""Diff-based sync of one destination: what to send and delete this run, by mode.

A destination with `config.primary_key` syncs by difference: its snapshot is read
whole, mapped, and diffed against the fingerprints of its last sync (`sync_state`).
Then, by `config.mode` (`floe_compiler.sinks.modes`):

- insert sends the added rows; upsert, update and mirror the added and changed ones
  (update's connector changes existing records only: a key the destination does not
  hold is not created there, yet counts as synced);
- mirror also deletes the keys that left the source (through the connector's `delete`);
  upsert and update forget them (sent again if they come back); insert keeps them, so
  that a key that comes back is not inserted twice.

`--full-refresh` sends every current row (mirror still deletes the keys that left)
and rewrites the state. The state advances per delivered batch (`advance`), never
before: a crash resends, never skips.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from floe_compiler.runner import diff
from floe_compiler.runner.sync_state import Meta, StateStore
from floe_compiler.sinks import modes
from floe_compiler.sinks.payload import apply_field_mapping

SAMPLE_KEYS = 5  # keys shown per kind in the report


@dataclass
class SyncPlan:
    mode: str
    key_columns: list[str]
    to_send: pa.Table  # mapped rows, in source order
    source_rows: pa.Array  # each row's index in the snapshot (int64)
    keys: pa.Array  # aligned with to_send
    fingerprints: pa.Array
    deletes: pa.Table  # the key columns of the keys to delete (mirror)
    delete_keys: pa.Array
    added: int
    changed: int
    unchanged: int
    deleted: int
    meta: Meta
    left: pa.Array = dataclasses.field(default_factory=lambda: pa.array([], pa.string()))
    first_sync: bool = False  # no state yet: an empty source still gets one (empty) write
    notes: list[str] = field(default_factory=list)
    samples: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"mode": self.mode, "primary_key": self.key_columns, "added": self.added,
                "changed": self.changed, "deleted": self.deleted,
                "unchanged": self.unchanged, "rows_to_send": self.to_send.num_rows,
                "keys_to_delete": self.deletes.num_rows, "sample_keys": self.samples,
                "notes": self.notes}


def key_columns(config: dict[str, Any]) -> list[str]:
    keys = config.get("primary_key")
    if isinstance(keys, str):
        return [keys]
    if isinstance(keys, list) and all(isinstance(k, str) for k in keys):
        return list(keys)
    return []


def plan(destination: Any, snapshot_rows: pa.Table, source_schema: str, store: StateStore,
         full_refresh: bool) -> SyncPlan:
    """Diff the snapshot (unmapped, as read) against the state of `destination`."""
    config = destination.config or {}
    mode = str(config.get("mode", modes.DEFAULT_MODE))
    keys = key_columns(config)
    current = apply_field_mapping(snapshot_rows, destination.field_mapping)
    meta = Meta(_hash({"field_mapping": destination.field_mapping, "primary_key": keys}),
                _hash(source_schema))
    notes = []
    previous = store.meta(destination.name)
    if previous is not None and previous != meta:
        why = [w for w, changed in (("field_mapping or primary_key", previous.mapping !=
                                     meta.mapping),
                                    ("the source schema", previous.schema != meta.schema))
               if changed]
        notes.append(f"fingerprints invalidated: {' and '.join(why)} changed since the last "
                     "sync; every row is sent again")
    state = store.load(destination.name)
    found = diff.compute(current, keys, state)
    if full_refresh:
        notes.append("full refresh: every row is sent and the state rebuilt")
        everything = diff.compute(current, keys, None).added
        chosen = everything
    else:
        parts = [found.added] if mode == modes.INSERT else [found.added, found.changed]
        chosen = _merge(parts)
    deleted = found.deleted if mode == modes.MIRROR else pa.array([], pa.string())
    key_schema = pa.schema([current.schema.field(k) for k in keys])
    samples = {"added": _sample(found.added.keys), "changed": _sample(found.changed.keys),
               "deleted": _sample(found.deleted)}
    return SyncPlan(mode, keys, current.take(chosen.indices), chosen.indices, chosen.keys,
                    chosen.fingerprints,
                    diff.keys_from_text(deleted, key_schema), deleted, len(found.added),
                    len(found.changed), found.unchanged, len(found.deleted), meta,
                    found.deleted, state is None, notes, samples)


def _merge(parts: list[diff.Rows]) -> diff.Rows:
    if len(parts) == 1:
        return parts[0]
    table = pa.table({"i": pa.concat_arrays([p.indices for p in parts]),
                      "k": pa.concat_arrays([p.keys for p in parts]),
                      "f": pa.concat_arrays([p.fingerprints for p in parts])}).sort_by("i")
    return diff.Rows(*(table.column(c).combine_chunks() for c in ("i", "k", "f")))


def _sample(keys: pa.Array) -> list[str]:
    # Keys are shown with the separator of composite keys as ", ".
    return [str(k).replace(diff.KEY_SEPARATOR, ", ")
            for k in pc.cast(keys.slice(0, SAMPLE_KEYS), pa.string()).to_pylist()]


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
