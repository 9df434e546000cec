"""What changed since the last sync: the current rows against the fingerprints of the
rows synced before, by primary key. Computed in DuckDB over Arrow (no row becomes a
Python object).

A row's key is the text of its key columns (joined by U+001F when there are several);
its fingerprint is the md5 of a salt and the text of each column. The salt is derived
from the columns' names and Arrow types, so a change of `field_mapping` or of the
source schema changes every fingerprint: every row is then sent again (so may a DuckDB
upgrade that casts a value to text differently: a resend, never a missed change).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

KEY_SEPARATOR = "\x1f"
NULL_MARK = "\x00"  # stands for NULL in a fingerprint's input (never in a text value's cast)
_KEY = "__floe_key"
_ROW = "__floe_row"


class DiffError(ValueError):
    """The rows cannot be diffed by their key (missing, null or repeated keys)."""


@dataclass(frozen=True)
class Rows:
    """Some rows of the current table: their indices (ascending), keys and fingerprints."""

    indices: pa.Array  # int64
    keys: pa.Array
    fingerprints: pa.Array

    def __len__(self) -> int:
        return len(self.indices)


@dataclass(frozen=True)
class Diff:
    added: Rows
    changed: Rows
    unchanged: int
    deleted: pa.Array  # key texts in the state and not in the current rows, sorted


def salt(schema: pa.Schema) -> str:
    """The columns' names and types: part of every fingerprint."""
    return hashlib.sha256("\n".join(f"{f.name}:{f.type}" for f in schema).encode()).hexdigest()


def key_text(table: pa.Table, key_columns: list[str]) -> pa.Array:
    """Each row's key as text; raises DiffError for a missing or null key column."""
    missing = [c for c in key_columns if c not in table.column_names]
    if missing:
        raise DiffError(f"primary_key column(s) {', '.join(missing)} are not among the "
                        f"columns sent ({', '.join(table.column_names)})")
    parts = []
    for column in key_columns:
        values = table.column(column)
        if values.null_count:
            raise DiffError(f"primary_key column {column} is null in {values.null_count} "
                            "row(s)")
        parts.append(pc.cast(values, pa.string()))
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, KEY_SEPARATOR)
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def keys_from_text(keys: pa.Array, key_schema: pa.Schema) -> pa.Table:
    """The key columns, typed as in `key_schema`, back from key texts (for deletes)."""
    if len(key_schema) == 1:
        return pa.table({key_schema[0].name: pc.cast(keys, key_schema[0].type)})
    split = pc.split_pattern(keys, KEY_SEPARATOR)
    columns = {f.name: pc.cast(pc.list_element(split, i), f.type)
               for i, f in enumerate(key_schema)}
    return pa.table(columns)


def compute(current: pa.Table, key_columns: list[str], state: pa.Table | None) -> Diff:
    """Diff `current` (the rows as they would be sent) against `state` (key, fingerprint).

    `state` None or empty: every row is added.
    """
    import duckdb

    keys = key_text(current, key_columns)
    rows = current.append_column(_KEY, keys).append_column(
        _ROW, pa.array(range(current.num_rows), pa.int64()))
    if state is None:
        state = pa.table({"key": pa.array([], pa.string()),
                          "fingerprint": pa.array([], pa.string())})
    # chr() rather than literals: DuckDB before 2.0 ends a query text at a NUL.
    text = ", ".join(f"coalesce(CAST({_quote(c)} AS VARCHAR), chr({ord(NULL_MARK)}))"
                     for c in current.column_names)
    mark = salt(current.schema)
    connection = duckdb.connect()
    try:
        connection.register("current_rows", rows)
        connection.register("state_rows", state)
        repeated = connection.sql(
            f"SELECT count(*) - count(DISTINCT {_KEY}) FROM current_rows").fetchall()[0][0]
        if repeated:
            raise DiffError(f"{repeated} row(s) repeat a primary key "
                            f"({', '.join(key_columns)}): each key must name one row")
        differing = _fetch(connection.sql(
            f"SELECT c.{_ROW} AS row, c.{_KEY} AS key, c.fingerprint, "
            f"s.fingerprint IS NULL AS added FROM (SELECT {_ROW}, {_KEY}, "
            f"md5(concat_ws(chr({ord(KEY_SEPARATOR)}), '{mark}', {text})) AS fingerprint "
            f"FROM current_rows) c LEFT JOIN state_rows s ON s.key = c.{_KEY} "
            f"WHERE s.fingerprint IS DISTINCT FROM c.fingerprint ORDER BY c.{_ROW}"))
        deleted = _fetch(connection.sql(
            f"SELECT s.key FROM state_rows s ANTI JOIN current_rows c ON c.{_KEY} = s.key "
            "ORDER BY s.key"))
    finally:
        connection.close()
    added = differing.column("added")
    new, old = differing.filter(added), differing.filter(pc.invert(added))
    return Diff(_rows(new), _rows(old), current.num_rows - differing.num_rows,
                _array(deleted.column("key")))


def _rows(table: pa.Table) -> Rows:
    return Rows(_array(table.column("row")), _array(table.column("key")),
                _array(table.column("fingerprint")))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fetch(result: Any) -> pa.Table:
    # DuckDB 2 names it to_arrow_table; earlier versions arrow.
    fetch = getattr(result, "to_arrow_table", None) or result.arrow
    table: pa.Table = fetch()
    return table


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
