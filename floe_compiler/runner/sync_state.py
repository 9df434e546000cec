"""Sync state: per destination, the fingerprint of each row synced, by key.

An embedded SQLite database by default (`.floe/sync_state.db`); any SQLite or
PostgreSQL URL (`floe run --state-url`, or FLOE_STATE_URL) for teams that run from
several machines. Read and written through ADBC as Arrow: no row becomes a Python
object.

Tables (created when missing): `_floe_sync_state` (destination, key, fingerprint;
primary key (destination, key)), `_floe_sync_meta` (destination, mapping, schema:
hashes of what the fingerprints were computed under, to say why they were
invalidated) and `_floe_sync_pending` (destination, batch_key, rows: the batch in
flight). The runner advances the state only after a batch is delivered, so a crash
leaves it behind the destination, never ahead: a rerun resends, never skips.

Resending is safe on the same snapshot (the batch has the same key; the ledger skips
it), not on a newer one, whose keys differ. So the batch in flight is written ahead
(`intend`: its keys and fingerprints, and the key naming it at the destination), and
the next run first asks the destination which of its rows went in (`settle_pending`).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from floe_compiler.credentials import mask_url

DEFAULT_STATE_URL = "sqlite:///.floe/sync_state.db"
STATE_TABLE = "_floe_sync_state"
META_TABLE = "_floe_sync_meta"
PENDING_TABLE = "_floe_sync_pending"


def taken(values: pa.Array, spans: list[tuple[int, int]]) -> pa.Array:
    """The values in these (start, count) spans, in order, as one array."""
    parts = [values.slice(start, count) for start, count in spans]
    return pa.concat_arrays(parts) if parts else values.slice(0, 0)


class StateError(Exception):
    """The state store cannot be opened or used; the message holds no password."""


@dataclass(frozen=True)
class Ahead:
    """A batch about to be sent, as written ahead: its name at the destination, and its
    rows' keys and fingerprints, in order."""

    batch_key: str
    keys: pa.Array
    fingerprints: pa.Array


@dataclass(frozen=True)
class Meta:
    mapping: str  # hash of field_mapping, primary_key and mode
    schema: str  # hash of the source table's schema


class StateStore:
    def __init__(self, url: str, create: bool = True) -> None:
        try:
            parsed = sa.make_url(url)
        except Exception:
            raise StateError("the sync state URL is not a valid SQLAlchemy URL") from None
        self.dialect = parsed.get_backend_name()
        self.shown = mask_url(url)
        if self.dialect not in ("sqlite", "postgresql"):
            raise StateError(f"sync state URL {self.shown}: only sqlite and postgresql are "
                             "supported")
        self.connection: Any = None
        self.exists = True
        try:
            if self.dialect == "sqlite":
                import adbc_driver_sqlite.dbapi as sqlite

                path = parsed.database or ":memory:"
                if path != ":memory:" and not Path(path).exists():
                    self.exists = False
                    if not create:
                        return  # a dry run creates nothing: an empty state
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                self.connection = sqlite.connect(path)
                self._run("PRAGMA busy_timeout = 5000")
            else:
                import adbc_driver_postgresql.dbapi as postgresql

                self.connection = postgresql.connect(
                    parsed.set(drivername="postgresql").render_as_string(hide_password=False))
            self._run(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (destination TEXT NOT NULL, "
                      "key TEXT NOT NULL, fingerprint TEXT NOT NULL, "
                      "PRIMARY KEY (destination, key))")
            self._run(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (destination TEXT PRIMARY KEY, "
                      "mapping TEXT NOT NULL, schema TEXT NOT NULL)")
            blob = "BLOB" if self.dialect == "sqlite" else "BYTEA"
            self._run(f"CREATE TABLE IF NOT EXISTS {PENDING_TABLE} (destination TEXT PRIMARY "
                      f"KEY, batch_key TEXT NOT NULL, rows {blob} NOT NULL)")
            self.connection.commit()
        except StateError:
            raise
        except Exception as exc:
            self.close()
            raise StateError(f"sync state {self.shown} cannot be opened "
                             f"({type(exc).__name__})") from None

    def _p(self, index: int) -> str:
        return "?" if self.dialect == "sqlite" else f"${index}"

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params or None)

    def load(self, destination: str) -> pa.Table | None:
        """(key, fingerprint) of every row synced to `destination`; None when none."""
        if self.connection is None:
            return None
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT key, fingerprint FROM {STATE_TABLE} WHERE destination = "
                           f"{self._p(1)}", (destination,))
            table: pa.Table = cursor.fetch_arrow_table()
        self.connection.commit()
        return table if table.num_rows else None

    def meta(self, destination: str) -> Meta | None:
        row = self._row("mapping, schema", META_TABLE, destination)
        return Meta(row[0], row[1]) if row else None

    def _row(self, columns: str, table: str, destination: str) -> Any:
        """These columns of `destination`'s row in `table` (keyed by destination), or None."""
        if self.connection is None:
            return None
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {table} WHERE destination = {self._p(1)}",
                           (destination,))
            row = cursor.fetchone()
        self.connection.commit()
        return row

    def set_meta(self, destination: str, meta: Meta) -> None:
        self._run(f"INSERT INTO {META_TABLE} (destination, mapping, schema) VALUES "
                  f"({self._p(1)}, {self._p(2)}, {self._p(3)}) ON CONFLICT (destination) DO "
                  "UPDATE SET mapping = excluded.mapping, schema = excluded.schema",
                  (destination, meta.mapping, meta.schema))
        self.connection.commit()

    def advance(self, destination: str, keys: pa.Array, fingerprints: pa.Array,
                ahead: Ahead | None = None) -> None:
        """Record these rows as synced with these fingerprints and, with `ahead`, write
        ahead the next batch (`intend`), in one transaction."""
        if len(keys):
            stage = self._stage(destination, keys, fingerprints)
            self._run(f"INSERT INTO {STATE_TABLE} (destination, key, fingerprint) SELECT "
                      f"destination, key, fingerprint FROM {stage} WHERE true ON CONFLICT "
                      "(destination, key) DO UPDATE SET fingerprint = excluded.fingerprint")
            self._run(f"DROP TABLE {stage}")
        if ahead is not None:
            self._write_ahead(destination, ahead)
        if len(keys) or ahead is not None:
            self.connection.commit()

    def intend(self, destination: str, ahead: Ahead) -> None:
        """Write ahead the batch about to be sent: the key that names it at the
        destination, and its rows' keys and fingerprints, in order."""
        self._write_ahead(destination, ahead)
        self.connection.commit()

    def _write_ahead(self, destination: str, ahead: Ahead) -> None:
        rows = pa.table({"key": ahead.keys.cast(pa.string()),
                         "fingerprint": ahead.fingerprints.cast(pa.string())})
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, rows.schema) as stream:
            stream.write_table(rows)
        self._run(f"DELETE FROM {PENDING_TABLE} WHERE destination = {self._p(1)}",
                  (destination,))
        self._run(f"INSERT INTO {PENDING_TABLE} (destination, batch_key, rows) VALUES "
                  f"({self._p(1)}, {self._p(2)}, {self._p(3)})",
                  (destination, ahead.batch_key, sink.getvalue().to_pybytes()))

    def pending(self, destination: str) -> tuple[str, pa.Table] | None:
        """(batch_key, its rows' keys and fingerprints) of a batch written ahead and not
        settled: the run that sent it stopped before it knew how it went."""
        row = self._row("batch_key, rows", PENDING_TABLE, destination)
        if row is None:
            return None
        return str(row[0]), pa.ipc.open_stream(pa.py_buffer(bytes(row[1]))).read_all()

    def settle(self, destination: str) -> None:
        """The last batch written ahead is accounted for: its delivered rows are in the
        state. (The next `intend` replaces it too: advancing the same rows twice is
        harmless, so the runner settles once, at the end.)"""
        self._run(f"DELETE FROM {PENDING_TABLE} WHERE destination = {self._p(1)}",
                  (destination,))
        self.connection.commit()

    def settle_pending(self, destination: str,
                       delivered: Callable[[str], list[tuple[int, int]] | None]) -> int:
        """Advance the state by the rows of the pending batch the destination holds, then
        settle it. `delivered(batch_key)` gives the (first row, rows) spans of the batch
        the destination holds, or None when it cannot tell (the rows are sent again).
        Returns the rows advanced."""
        found = self.pending(destination)
        if found is None:
            return 0
        batch_key, rows = found
        spans = delivered(batch_key) or []
        advanced = taken(rows.column("key").combine_chunks(), spans)
        self.advance(destination, advanced,
                     taken(rows.column("fingerprint").combine_chunks(), spans))
        self.settle(destination)
        return len(advanced)

    def forget(self, destination: str, keys: pa.Array) -> None:
        """Remove these keys (deleted at the destination)."""
        if not len(keys):
            return
        stage = self._stage(destination, keys, pa.array([""] * len(keys), pa.string()))
        self._run(f"DELETE FROM {STATE_TABLE} WHERE destination = {self._p(1)} AND key IN "
                  f"(SELECT key FROM {stage})", (destination,))
        self._run(f"DROP TABLE {stage}")
        self.connection.commit()

    def _stage(self, destination: str, keys: pa.Array, fingerprints: pa.Array) -> str:
        stage = f"_floe_sync_stage_{uuid.uuid4().hex[:16]}"
        data = pa.table({"destination": pa.array([destination] * len(keys), pa.string()),
                         "key": keys.cast(pa.string()),
                         "fingerprint": fingerprints.cast(pa.string())})
        with self.connection.cursor() as cursor:
            cursor.adbc_ingest(stage, data, mode="create", temporary=True)
        return stage

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()
