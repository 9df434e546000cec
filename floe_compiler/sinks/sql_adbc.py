"""Arrow bulk ingest for SQLite and PostgreSQL through ADBC (PostgreSQL's is COPY).

One transaction per chunk: claim its key in the ledger, write its rows, commit.
Insert mode appends the Arrow chunk to the table (on PostgreSQL, cast first to the
table's own column types, which binary COPY requires). Upsert ingests the chunk
into a temporary table, then merges it with `INSERT ... SELECT ... ON CONFLICT DO
UPDATE`, in the same transaction as the ledger row. Rows never become Python
objects.

Every ingest hands ADBC the chunk as a stream of record batches of about
`STREAM_BATCH_BYTES` each (zero-copy slices): the PostgreSQL driver encodes one whole
record batch into COPY format before it sends any of it, so a chunk sent as one
100,000-row record batch keeps the server idle while the client encodes, then the
client idle while the server parses. Small record batches let both work at once.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from floe_compiler.sinks import ledger
from floe_compiler.sinks.base import SinkConfigurationError
from floe_compiler.sinks.delivery import Chunk
from floe_compiler.sinks.sql_names import qualified, quote

# URL drivers ADBC stands in for: a URL naming another driver keeps SQLAlchemy.
ADBC_DRIVERS = {
    "sqlite": {"", "pysqlite"},
    "postgresql": {"", "psycopg", "psycopg2", "psycopg2cffi", "pg8000", "asyncpg"},
}
# PostgreSQL types binary COPY accepts from the Arrow type ADBC reads them as.
_APPENDABLE_PG_TYPES = frozenset({"bool", "int2", "int4", "int8", "float4", "float8", "text",
                                  "varchar", "bytea", "date", "timestamp", "timestamptz"})
# Target size of each record batch of an ingest stream (see the module's docstring).
STREAM_BATCH_BYTES = 1 << 20


def adbc_dialect(url: sa.URL) -> str | None:
    """'sqlite' or 'postgresql' when ADBC writes to `url`; None to keep SQLAlchemy."""
    backend, _, driver = url.drivername.partition("+")
    return backend if driver in ADBC_DRIVERS.get(backend, ()) else None


def streamed(data: pa.Table) -> pa.Table:
    """`data` as record batches of about `STREAM_BATCH_BYTES` each (slices: nothing
    copied), for an ingest the driver sends while it encodes the next record batch."""
    rows = max(1, data.num_rows * STREAM_BATCH_BYTES // max(data.nbytes, 1))
    if all(len(batch) <= rows for batch in data.to_batches()):
        return data
    return pa.Table.from_batches(data.to_batches(max_chunksize=rows), schema=data.schema)


class AdbcWriter:
    def __init__(self, url: sa.URL, dialect: str, schema: str | None, table: str,
                 ledger_schema: str | None, ledger_table: str, mode: str,
                 primary_key: list[str]) -> None:
        self.url = url
        self.dialect = dialect
        self.schema, self.table = schema, table
        self.ledger_schema, self.ledger_table = ledger_schema, ledger_table
        self.mode = mode
        self.primary_key = primary_key
        self._connection: Any = None
        self.committing = False  # see SqlWriter
        self._append_schema: pa.Schema | None = None  # None: merge through a staging table
        self._columns: list[str] = []

    # -- connection -------------------------------------------------------------------

    def connection(self) -> Any:
        if self._connection is None:
            if self.dialect == "sqlite":
                import adbc_driver_sqlite.dbapi as sqlite

                self._connection = sqlite.connect(self.url.database or ":memory:")
                with self._connection.cursor() as cursor:
                    cursor.execute("PRAGMA busy_timeout = 5000")  # wait for other writers
            else:
                import adbc_driver_postgresql.dbapi as postgresql

                uri = self.url.set(drivername="postgresql").render_as_string(
                    hide_password=False)
                self._connection = postgresql.connect(uri)
        return self._connection

    def reset(self) -> None:
        """After a failure: roll back, or drop a connection that is gone."""
        if self._connection is None:
            return
        try:
            self._connection.rollback()
        except Exception:  # the connection is broken: a fresh one next time
            self.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close
                connection.close()

    # -- table ------------------------------------------------------------------------

    def prepare(self, schema: pa.Schema) -> None:
        """Create the ledger and (if missing) the table; check the columns exist."""
        from floe_compiler.sinks.sql_database import column_ddl

        connection = self.connection()
        with connection.cursor() as cursor:
            self._ensure_ledger(cursor)
            existing = self._table_schema(cursor, self.schema, self.table)
            if existing is None:
                cursor.execute(column_ddl(self.dialect, qualified(self.schema, self.table),
                                          schema, self.primary_key))
                existing = self._table_schema(cursor, self.schema, self.table)
                assert existing is not None
        connection.commit()
        missing = [n for n in [*schema.names, *self.primary_key] if n not in existing.names]
        if missing:
            raise SinkConfigurationError(f"has no column(s) {', '.join(dict.fromkeys(missing))}")
        self._columns = list(schema.names)
        self._append_schema = self._appendable(existing, schema)

    def _ensure_ledger(self, cursor: Any) -> None:
        book = self._table_schema(cursor, self.ledger_schema, self.ledger_table)
        for statement in ledger.ensure_sql(self.dialect, self.ledger_schema, self.ledger_table,
                                           None if book is None else set(book.names)):
            cursor.execute(statement)

    def _table_schema(self, cursor: Any, schema: str | None, table: str) -> pa.Schema | None:
        if self.dialect == "postgresql":
            cursor.execute("SELECT to_regclass($1) IS NOT NULL", (qualified(schema, table),))
        else:
            master = f"{quote(schema)}.sqlite_master" if schema else "sqlite_master"
            cursor.execute(f"SELECT count(*) > 0 FROM {master} WHERE type IN ('table', 'view') "
                           "AND name = ?", (table,))
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(f"SELECT * FROM {qualified(schema, table)} WHERE 1 = 0")
        columns: pa.Schema = cursor.fetch_arrow_table().schema
        return columns

    def _appendable(self, existing: pa.Schema, sent: pa.Schema) -> pa.Schema | None:
        """The schema to cast a chunk to before appending it; None to merge instead."""
        if self.mode != "insert":
            return None
        if self.dialect == "sqlite":
            return sent  # dynamic typing: any Arrow type goes in as is
        fields = []
        for name in sent.names:
            field = existing.field(name)
            kind = (field.metadata or {}).get(b"POSTGRESQL:type", b"").decode()
            if kind not in _APPENDABLE_PG_TYPES:
                return None
            fields.append(field.remove_metadata())
        return pa.schema(fields)

    # -- one chunk, one transaction ---------------------------------------------------

    def write(self, chunk: Chunk, row: ledger.LedgerRow) -> bool:
        """Claim the key and write the rows in one transaction; False if already delivered."""
        self.committing = False
        connection = self.connection()
        with connection.cursor() as cursor:
            if chunk.rows and self.dialect == "postgresql":  # SQLite: one writer at a time
                cursor.execute("SELECT pg_advisory_xact_lock($1)", (ledger.batch_lock(row),))
                cursor.fetchall()
            if not self._claim(cursor, row):
                return False
            if chunk.rows:
                cursor.execute(ledger.overlap_sql(self.dialect, self.ledger_schema,
                                                  self.ledger_table), row.overlap_params())
                found = cursor.fetchall()
                if found:  # rolled back by reset()
                    raise ledger.Overlap(row, *found[0])
                if self._append_schema is not None:
                    data = chunk.data.cast(self._append_schema)
                    cursor.adbc_ingest(self.table, streamed(data), mode="append",
                                       db_schema_name=self.schema)
                else:
                    self._merge(cursor, chunk.data)
        self._commit(connection)
        return True

    def delivered(self, target: str, batch_key: str) -> list[tuple[int, int]]:
        """(first row, rows) of each write of the batch `batch_key` the ledger holds."""
        connection = self.connection()
        with connection.cursor() as cursor:
            book = self._table_schema(cursor, self.ledger_schema, self.ledger_table)
            found = []
            if book is not None and set(ledger.ADDED_COLUMNS) <= set(book.names):
                cursor.execute(ledger.delivered_sql(self.dialect, self.ledger_schema,
                                                    self.ledger_table), (target, batch_key))
                found = [(int(first), int(rows)) for first, rows in cursor.fetchall()]
        connection.rollback()  # it only read
        return found

    def _commit(self, connection: Any) -> None:
        self.committing = True  # from here on, a failure may have committed (SqlWriter)
        connection.commit()

    def _claim(self, cursor: Any, row: ledger.LedgerRow) -> bool:
        """Insert the batch's key into the ledger, in the open transaction; False (and the
        transaction rolled back) if it is there already: the batch was delivered."""
        cursor.execute(ledger.claim_sql(self.dialect, self.ledger_schema, self.ledger_table),
                       row.params())
        if cursor.fetchall():
            return True
        self.connection().rollback()
        return False

    def delete(self, chunk: Chunk, row: ledger.LedgerRow) -> bool:
        """Claim the key and delete the chunk's keys in one transaction (mirror mode)."""
        self.committing = False
        connection = self.connection()
        with connection.cursor() as cursor:
            self._ensure_ledger(cursor)
            if not self._claim(cursor, row):
                return False
            if chunk.rows:
                stage = f"_floe_stage_{uuid.uuid4().hex[:16]}"
                cursor.adbc_ingest(stage, streamed(chunk.data), mode="create", temporary=True)
                keys = ", ".join(quote(c) for c in self.primary_key)
                cursor.execute(f"DELETE FROM {qualified(self.schema, self.table)} WHERE "
                               f"({keys}) IN (SELECT {keys} FROM {quote(stage)})")
                cursor.execute(f"DROP TABLE {quote(stage)}")
        self._commit(connection)
        return True

    def _merge(self, cursor: Any, data: pa.Table) -> None:
        stage = f"_floe_stage_{uuid.uuid4().hex[:16]}"
        cursor.adbc_ingest(stage, streamed(data), mode="create", temporary=True)
        columns = ", ".join(quote(c) for c in self._columns)
        if self.mode == "update":  # change existing rows only: never create one
            target = qualified(self.schema, self.table)
            sets = [f"{quote(c)} = s.{quote(c)}" for c in self._columns
                    if c not in self.primary_key]
            match = " AND ".join(f"{target}.{quote(c)} = s.{quote(c)}" for c in self.primary_key)
            if sets:
                cursor.execute(f"UPDATE {target} SET {', '.join(sets)} FROM {quote(stage)} AS s "
                               f"WHERE {match}")
            cursor.execute(f"DROP TABLE {quote(stage)}")
            return
        statement = (f"INSERT INTO {qualified(self.schema, self.table)} ({columns}) "
                     f"SELECT {columns} FROM {quote(stage)} WHERE true")
        if self.mode == "upsert":
            keys = ", ".join(quote(c) for c in self.primary_key)
            updates = [f"{quote(c)} = excluded.{quote(c)}" for c in self._columns
                       if c not in self.primary_key]
            statement += (f" ON CONFLICT ({keys}) DO UPDATE SET {', '.join(updates)}"
                          if updates else f" ON CONFLICT ({keys}) DO NOTHING")
        cursor.execute(statement)
        cursor.execute(f"DROP TABLE {quote(stage)}")
