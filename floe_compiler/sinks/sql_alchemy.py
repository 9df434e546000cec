"""Databases ADBC has no driver for: insert through SQLAlchemy Core, exactly once.

Each chunk is one transaction: look its key up in the ledger, insert the rows
(`executemany`: rows become Python objects here, unlike the ADBC path), insert the
ledger row. The ledger's primary key makes a concurrent writer of the same chunk fail
and roll back rather than write it twice.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from floe_compiler.sinks.base import SinkConfigurationError
from floe_compiler.sinks.delivery import Chunk
from floe_compiler.sinks.ledger import ADDED_COLUMNS, LedgerRow, Overlap


class AlchemyWriter:
    def __init__(self, engine: sa.Engine, schema: str | None, table: str,
                 ledger_schema: str | None, ledger_table: str, primary_key: list[str]) -> None:
        self.engine = engine
        self.schema, self.table_name = schema, table
        self.primary_key = primary_key
        metadata = sa.MetaData()
        self.ledger = sa.Table(
            ledger_table, metadata,
            sa.Column("idempotency_key", sa.String(36), primary_key=True),
            sa.Column("target_table", sa.String(255), primary_key=True),
            sa.Column("destination", sa.Text, nullable=False),
            sa.Column("snapshot_id", sa.BigInteger),
            sa.Column("batch_ordinal", sa.BigInteger, nullable=False),
            sa.Column("row_count", sa.BigInteger, nullable=False),
            sa.Column("checksum", sa.String(64), nullable=False),
            sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False,
                      server_default=sa.func.current_timestamp()),
            sa.Column("batch_key", sa.String(36)),
            sa.Column("first_row", sa.BigInteger),
            sa.Index(f"{ledger_table}_by_batch", "target_table", "batch_key"),
            schema=ledger_schema)
        self.table: sa.Table | None = None
        self.committing = False  # see SqlWriter

    def prepare(self, schema: pa.Schema) -> None:
        metadata = sa.MetaData(schema=self.schema)
        if sa.inspect(self.engine).has_table(self.table_name, schema=self.schema):
            self.table = sa.Table(self.table_name, metadata, autoload_with=self.engine)
        else:
            missing = [c for c in self.primary_key if c not in schema.names]
            if missing:
                raise SinkConfigurationError(
                    f"primary_key column(s) {', '.join(missing)} are not among the columns "
                    f"sent ({', '.join(schema.names)})")
            columns = [sa.Column(f.name, _sql_type(f),
                                 nullable=f.nullable and f.name not in self.primary_key)
                       for f in schema]
            keys = [sa.PrimaryKeyConstraint(*self.primary_key)] if self.primary_key else []
            self.table = sa.Table(self.table_name, metadata, *columns, *keys)
            self.table.create(self.engine, checkfirst=True)
        self._ensure_ledger()
        missing = [n for n in [*schema.names, *self.primary_key] if n not in self.table.c]
        if missing:
            raise SinkConfigurationError(f"has no column(s) {', '.join(dict.fromkeys(missing))}")

    def _ledger_columns(self) -> set[str] | None:
        """The columns the ledger table has; None when there is none yet."""
        book = self.ledger
        inspector = sa.inspect(self.engine)
        if not inspector.has_table(book.name, schema=book.schema):
            return None
        return {c["name"] for c in inspector.get_columns(book.name, schema=book.schema)}

    def _ensure_ledger(self) -> None:
        """Create the ledger, or add the columns an earlier floe's ledger lacks."""
        book = self.ledger
        present = self._ledger_columns()
        if present is None:
            book.create(self.engine, checkfirst=True)
            return
        missing = [book.c[name] for name in ADDED_COLUMNS if name not in present]
        if not missing:
            return
        name = self.engine.dialect.identifier_preparer.format_table(book)
        with self.engine.begin() as connection:
            for column in missing:
                spec = sa.schema.CreateColumn(column).compile(dialect=self.engine.dialect)
                connection.execute(sa.text(f"ALTER TABLE {name} ADD COLUMN {spec}"))
        for index in book.indexes:
            index.create(self.engine, checkfirst=True)

    def write(self, chunk: Chunk, row: LedgerRow) -> bool:
        assert self.table is not None, "prepare() first"
        ledger = self.ledger
        self.committing = False
        with self.engine.begin() as connection:
            found = connection.execute(sa.select(ledger.c.idempotency_key).where(
                ledger.c.target_table == row.target_table,
                ledger.c.idempotency_key == row.idempotency_key)).first()
            if found is not None:
                return False
            if chunk.rows and row.first_row is not None:
                end = row.first_row + row.row_count
                overlap = connection.execute(sa.select(ledger.c.first_row, ledger.c.row_count)
                                             .where(ledger.c.target_table == row.target_table,
                                                    ledger.c.batch_key == row.batch_key,
                                                    ledger.c.idempotency_key
                                                    != row.idempotency_key,
                                                    ledger.c.first_row < end,
                                                    ledger.c.first_row + ledger.c.row_count
                                                    > row.first_row).limit(1)).first()
                if overlap is not None:
                    raise Overlap(row, *overlap)
            if chunk.rows:
                connection.execute(sa.insert(self.table), chunk.data.to_pylist())
            connection.execute(sa.insert(ledger).values(
                idempotency_key=row.idempotency_key, target_table=row.target_table,
                destination=row.destination, snapshot_id=row.snapshot_id,
                batch_ordinal=row.batch_ordinal, row_count=row.row_count,
                checksum=row.checksum, batch_key=row.batch_key, first_row=row.first_row))
            self.committing = True  # leaving the block commits
        return True

    def delivered(self, target: str, batch_key: str) -> list[tuple[int, int]]:
        """(first row, rows) of each write of the batch `batch_key` the ledger holds."""
        book = self.ledger
        present = self._ledger_columns()
        if present is None or not set(ADDED_COLUMNS) <= present:
            return []
        with self.engine.connect() as connection:
            found = connection.execute(sa.select(book.c.first_row, book.c.row_count).where(
                book.c.target_table == target, book.c.batch_key == batch_key,
                book.c.first_row.is_not(None)).order_by(book.c.first_row))
            return [(int(first), int(rows)) for first, rows in found]

    def delete(self, chunk: Chunk, row: LedgerRow) -> bool:
        # create_sink refuses every mode but insert on this path, so nothing deletes here.
        raise SinkConfigurationError("mode: mirror is supported through ADBC only "
                                     "(SQLite and PostgreSQL URLs)")

    def reset(self) -> None:
        pass  # engine.begin() already rolled back

    def close(self) -> None:
        self.engine.dispose()



def _sql_type(column: pa.Field) -> sa.types.TypeEngine[Any]:
    kind = column.type
    types = pa.types
    found: sa.types.TypeEngine[Any]
    if types.is_boolean(kind):
        found = sa.Boolean()
    elif types.is_int8(kind) or types.is_int16(kind) or types.is_uint8(kind):
        found = sa.SmallInteger()
    elif types.is_int32(kind) or types.is_uint16(kind):
        found = sa.Integer()
    elif types.is_int64(kind) or types.is_uint32(kind):
        found = sa.BigInteger()
    elif types.is_uint64(kind):
        found = sa.Numeric(20, 0)
    elif types.is_floating(kind):
        found = sa.Double()
    elif types.is_decimal(kind):
        found = sa.Numeric(kind.precision, kind.scale)
    elif types.is_string(kind) or types.is_large_string(kind):
        found = sa.Text()
    elif types.is_binary(kind) or types.is_large_binary(kind) \
            or types.is_fixed_size_binary(kind):
        found = sa.LargeBinary()
    elif types.is_date(kind):
        found = sa.Date()
    elif types.is_timestamp(kind):
        found = sa.DateTime(timezone=kind.tz is not None)
    elif types.is_time(kind):
        found = sa.Time()
    else:
        raise SinkConfigurationError(
            f"column '{column.name}' has type {kind}, which sql_database cannot create")
    return found
