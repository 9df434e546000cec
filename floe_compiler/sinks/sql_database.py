"""`sql_database`: insert or upsert rows into a table, exactly once.

connection_config: `url` (an SQLAlchemy URL, from the secret), `table` (optionally
`schema.table`), `mode` (`insert`, `upsert`, `update` or `mirror`, default insert: see
`floe_compiler.sinks.modes`; mirror writes as upsert and deletes through `delete`),
`primary_key` (list of destination columns; required for all but insert, used when
creating the table),
`ledger_table` (default `_floe_deliveries`). The table is created from the Arrow
schema when it does not exist.

SQLite and PostgreSQL URLs are written with ADBC bulk ingest (`sql_adbc`); other
URLs through SQLAlchemy Core (`sql_alchemy`, insert only). Each chunk of `batch_size`
rows is one transaction holding its rows and its ledger row (`ledger`), so a failure
leaves a clean prefix delivered and a rerun skips what is already there.

The checksum of a chunk is the sha256 of its canonical Arrow IPC serialisation
(`floe_compiler.sinks.assurance.arrow_ipc`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from floe_compiler.sinks.assurance import arrow_ipc
from floe_compiler.sinks.base import EgressResult, SinkConfig, SinkConfigurationError, SinkConnector
from floe_compiler.sinks.delivery import (
    FAILED,
    Chunk,
    DeliveryError,
    EgressOutcome,
    Sent,
    WriteContext,
    deliver,
    plan,
)
from floe_compiler.sinks.ledger import DEFAULT_LEDGER_TABLE, LedgerRow, Overlap
from floe_compiler.sinks.modes import BUILT_IN, INSERT, KEYED, MIRROR, UPSERT
from floe_compiler.sinks.payload import apply_field_mapping
from floe_compiler.sinks.retry import Attempts, RetriesExhausted, RetryPolicy
from floe_compiler.sinks.sql_errors import describe, is_transient
from floe_compiler.sinks.sql_names import check_identifier, quote, split_table

SINK_TYPE = "sql_database"
MODES = BUILT_IN[SINK_TYPE]
UPSERT_DIALECTS = ("sqlite", "postgresql")


class SqlWriter(Protocol):
    """Writes chunks to one table, each in one transaction with its ledger row.

    `committing` is True from the moment a write or delete asks for COMMIT until the next
    one begins: a failure while it is True may have committed (the reply was lost)."""

    committing: bool

    def prepare(self, schema: pa.Schema) -> None: ...
    def write(self, chunk: Chunk, row: LedgerRow) -> bool: ...  # False: already delivered
    def delete(self, chunk: Chunk, row: LedgerRow) -> bool: ...  # chunk: key columns
    def delivered(self, target: str, batch_key: str) -> list[tuple[int, int]]: ...  # spans
    def reset(self) -> None: ...
    def close(self) -> None: ...


@dataclass
class SqlSink:
    writer: SqlWriter
    dialect: str
    target: str  # the configured `table`, as the ledger records it
    mode: str
    primary_key: list[str]
    field_mapping: dict[str, str] | None
    batch_size: int | None
    retry: RetryPolicy
    identifier_limit: int | None = None  # bytes; None: the dialect's known limit, if any
    prepared: pa.Schema | None = None

    def close(self) -> None:
        self.writer.close()


class SqlDatabaseConnector(SinkConnector):
    """Writes to SQLite and PostgreSQL through ADBC, to other databases through SQLAlchemy."""

    sync_modes = MODES

    def list_available_sinks(self) -> list[str]:
        return [SINK_TYPE]

    def create_sink(self, config: SinkConfig) -> SqlSink:
        if config.sink_type != SINK_TYPE:
            raise SinkConfigurationError(
                f"sql_database cannot serve sink_type '{config.sink_type}'")
        settings = config.connection_config
        url = _url(_required_str(settings, "url", "an SQLAlchemy URL, from the connection secret"))
        table = _required_str(settings, "table", "the destination table name", strip=False)
        mode = settings.get("mode", "insert")
        if mode not in MODES:
            raise SinkConfigurationError(f"config.mode must be one of {', '.join(MODES)}")
        primary_key = settings.get("primary_key") or []
        if not (isinstance(primary_key, list) and all(isinstance(c, str) for c in primary_key)):
            raise SinkConfigurationError("config.primary_key must be a list of column names")
        if mode in KEYED and not primary_key:
            raise SinkConfigurationError(f"config.primary_key is required with mode: {mode}")
        ledger_name = settings.get("ledger_table", DEFAULT_LEDGER_TABLE)
        if not isinstance(ledger_name, str):
            raise SinkConfigurationError("config.ledger_table must be a table name")
        from floe_compiler.sinks.sql_adbc import AdbcWriter, adbc_dialect

        dialect = adbc_dialect(url)
        engine = None if dialect else _engine(url)
        if engine is not None:
            dialect = engine.dialect.name
        assert dialect is not None
        if mode != INSERT and dialect not in UPSERT_DIALECTS:
            raise SinkConfigurationError(
                f"mode: {mode} is supported on {' and '.join(UPSERT_DIALECTS)}, not "
                f"{dialect}; use mode: insert")
        limit = engine.dialect.max_identifier_length if engine is not None else None
        schema, name = split_table(table, "config.table", dialect, limit)
        ledger_schema, ledger_table = split_table(ledger_name, "config.ledger_table", dialect,
                                                  limit)
        for column in primary_key:
            check_identifier(column, "config.primary_key column", dialect, limit)
        writer: SqlWriter
        if engine is None:
            writer = AdbcWriter(url, dialect, schema, name, ledger_schema, ledger_table,
                                UPSERT if mode == MIRROR else mode, primary_key)
        else:
            from floe_compiler.sinks.sql_alchemy import AlchemyWriter

            writer = AlchemyWriter(engine, schema, name, ledger_schema, ledger_table,
                                   primary_key)
        return SqlSink(writer, dialect, table, mode, primary_key, config.field_mapping,
                       config.batch_size, RetryPolicy.from_config(config.retry_config), limit)

    def write(self, sink: Any, data: pa.Table, **kwargs: Any) -> EgressResult:
        if not isinstance(sink, SqlSink):
            raise TypeError("sql_database.write needs the sink from create_sink()")
        context = WriteContext.from_kwargs(kwargs)
        data = apply_field_mapping(data, sink.field_mapping)
        try:
            for column in data.column_names:
                check_identifier(column, "column name", sink.dialect, sink.identifier_limit)
            if sink.prepared is None or sink.prepared != data.schema:
                _retrying(sink, lambda: sink.writer.prepare(data.schema), context, Attempts())
                sink.prepared = data.schema
        except (SinkConfigurationError, DeliveryError) as exc:
            # The key still, so that the runner can name the batch its pieces belong to.
            key = plan(data, context, sink.batch_size, arrow_ipc).idempotency_key
            return EgressOutcome(success=False, status=FAILED, idempotency_key=key, errors=[
                f"{data.num_rows} rows failed", f"table {sink.target}: {exc}"])

        return deliver(data, context, sink.batch_size, arrow_ipc,
                       _ledgered(sink, context, sink.writer.write))

    def delete(self, sink: Any, keys: pa.Table, **kwargs: Any) -> EgressResult:
        """Delete the rows whose primary key is in `keys` (one column per key column).

        Each chunk is one transaction with its ledger row, as for `write`.
        """
        if not isinstance(sink, SqlSink):
            raise TypeError("sql_database.delete needs the sink from create_sink()")
        context = WriteContext.from_kwargs(kwargs)

        return deliver(keys, context, sink.batch_size, arrow_ipc,
                       _ledgered(sink, context, sink.writer.delete))

    def delivered_rows(self, sink: Any, batch_key: str) -> list[tuple[int, int]] | None:
        """(first row, rows) of each write of the batch named `batch_key` (the `batch_key`
        `floe run` passed) that the ledger holds; None when the ledger cannot be read."""
        if not isinstance(sink, SqlSink):
            raise TypeError("sql_database.delivered_rows needs the sink from create_sink()")
        try:
            found: list[tuple[int, int]] = _retrying(
                sink, lambda: sink.writer.delivered(sink.target, batch_key), WriteContext(),
                Attempts())
        except DeliveryError:
            return None
        return found

    def get_source_config(self, catalog_config: dict[str, Any]) -> dict[str, Any]:
        return dict(catalog_config)

    def predict(self, data: pa.Table, **kwargs: Any) -> EgressResult:
        """The checksum and key a write of `data` would report, without connecting."""
        from floe_compiler.sinks.delivery import predicted

        return predicted(data, kwargs, arrow_ipc)


def column_ddl(dialect: str, table: str, schema: pa.Schema, primary_key: list[str]) -> str:
    """CREATE TABLE for an Arrow schema, with NOT NULL and the primary key."""
    missing = [c for c in primary_key if c not in schema.names]
    if missing:
        raise SinkConfigurationError(
            f"primary_key column(s) {', '.join(missing)} are not among the columns sent "
            f"({', '.join(schema.names)})")
    columns = [f"{quote(f.name)} {sql_type(dialect, f)}"
               + ("" if f.nullable and f.name not in primary_key else " NOT NULL")
               for f in schema]
    if primary_key:
        columns.append(f"PRIMARY KEY ({', '.join(quote(c) for c in primary_key)})")
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(columns)})"


def sql_type(dialect: str, column: pa.Field) -> str:
    kind = column.type
    types = pa.types
    postgres = dialect == "postgresql"
    if types.is_boolean(kind):
        return "BOOLEAN"
    if types.is_int8(kind) or types.is_int16(kind) or types.is_uint8(kind):
        return "SMALLINT"
    if types.is_int32(kind) or types.is_uint16(kind):
        return "INTEGER"
    if types.is_int64(kind) or types.is_uint32(kind):
        return "BIGINT"
    if types.is_uint64(kind):
        return "NUMERIC(20, 0)"
    if types.is_float32(kind):
        return "REAL"
    if types.is_floating(kind):
        return "DOUBLE PRECISION" if postgres else "FLOAT"
    if types.is_decimal(kind):
        return f"NUMERIC({kind.precision}, {kind.scale})"
    if types.is_string(kind) or types.is_large_string(kind):
        return "TEXT"
    if types.is_binary(kind) or types.is_large_binary(kind) or types.is_fixed_size_binary(kind):
        return "BYTEA" if postgres else "BLOB"
    if types.is_date(kind):
        return "DATE"
    if types.is_timestamp(kind):
        if postgres:
            return "TIMESTAMPTZ" if kind.tz is not None else "TIMESTAMP"
        return "DATETIME"
    if types.is_time(kind):
        return "TIME"
    raise SinkConfigurationError(
        f"column '{column.name}' has type {kind}, which sql_database cannot create")


def _url(text: str) -> sa.URL:
    try:
        return sa.make_url(text)
    except (sa_exc.ArgumentError, ValueError):
        raise SinkConfigurationError(
            "connection secret key 'url' is not a valid SQLAlchemy URL") from None


def _engine(url: sa.URL) -> sa.Engine:
    try:
        # hide_parameters: row values never appear in error messages.
        return sa.create_engine(url, hide_parameters=True)
    except (sa_exc.NoSuchModuleError, ImportError) as exc:  # before its base, ArgumentError
        raise SinkConfigurationError(
            f"connection secret key 'url' names a database driver that is not installed "
            f"({type(exc).__name__})") from None
    except sa_exc.ArgumentError:
        raise SinkConfigurationError(
            "connection secret key 'url' is not a valid SQLAlchemy URL") from None


def _required_str(settings: dict[str, Any], key: str, what: str, strip: bool = True) -> str:
    value = settings.get(key)
    if not isinstance(value, str) or (strip and not value.strip()):
        raise SinkConfigurationError(f"sql_database needs '{key}' ({what})")
    return value


def _ledgered(sink: SqlSink, context: WriteContext,
              action: Callable[[Chunk, LedgerRow], bool]) -> Callable[[Chunk], Sent]:
    """Send a chunk through `action` (write or delete), which claims its ledger row in the
    same transaction and returns False if the key was there already."""
    def send(chunk: Chunk) -> Sent:
        attempts = Attempts()
        row = LedgerRow(chunk.idempotency_key, sink.target, context.destination,
                        context.snapshot_id, context.batch_ordinal, chunk.rows, chunk.checksum,
                        chunk.batch_key, chunk.first_row)
        at_commit = False  # an attempt of this run failed once COMMIT was asked for

        def attempt() -> bool:
            nonlocal at_commit
            try:
                return action(chunk, row)
            except BaseException:
                at_commit = at_commit or sink.writer.committing
                raise

        done = _retrying(sink, attempt, context, attempts)
        # Found in the ledger after an attempt of this run failed at COMMIT: that attempt
        # committed it (the reply was lost), so this run delivered it. Found otherwise,
        # even on a retry after a failure before COMMIT: an earlier run delivered it.
        return Sent(skipped=not done and not at_commit, attempts=attempts.count,
                    retries=attempts.failures)

    return send


def _retrying(sink: SqlSink, action: Any, context: WriteContext, attempts: Attempts) -> Any:
    """Run a database action under the sink's retry policy; failures become DeliveryError.

    Only transient failures are retried; after any failure the writer rolls back (or
    reconnects), so each attempt starts a fresh transaction.
    """
    def attempt() -> Any:
        try:
            return action()
        except Exception:
            sink.writer.reset()
            raise

    try:
        return sink.retry.call(attempt, retry_on=is_transient, attempts=attempts,
                               stop=context.stop, describe=describe)
    except RetriesExhausted as exc:
        why = str(exc).rpartition(" (")[2]
        raise DeliveryError(f"{describe(exc.last)} ({why}", attempts=attempts.count,
                            retries=attempts.failures[:-1]) from exc
    except SinkConfigurationError:
        raise
    except Overlap as exc:  # refused: the runner cuts the write as an earlier run did
        raise DeliveryError(str(exc), attempts=attempts.count,
                            retries=attempts.failures) from exc
    except (sa_exc.SQLAlchemyError, pa.ArrowException) as exc:
        raise DeliveryError(_arrow_or_db(exc), attempts=attempts.count,
                            retries=attempts.failures) from exc
    except Exception as exc:
        if type(exc).__module__.startswith("adbc_driver_manager"):
            raise DeliveryError(describe(exc), attempts=attempts.count,
                                retries=attempts.failures) from exc
        raise


def _arrow_or_db(exc: BaseException) -> str:
    if isinstance(exc, pa.ArrowException):
        # Arrow quotes the offending value: say what, not which.
        return (f"{type(exc).__name__}: a value does not fit the table's column type "
                "(out of range, or of another type)")
    return describe(exc)

