"""`sql_database`: insert or upsert rows into a table through SQLAlchemy Core.

connection_config: `url` (an SQLAlchemy URL, from the secret), `table` (optionally
`schema.table`), `mode` (`insert` or `upsert`, default insert), `primary_key` (list of
destination columns; required for upsert, used when creating the table). The table
is created from the Arrow schema when it does not exist. Each chunk of `batch_size`
rows is one transaction, so a failure leaves a clean prefix delivered. Upsert uses
`INSERT ... ON CONFLICT DO UPDATE` (SQLite and PostgreSQL).

The checksum covers the canonical JSON encoding of the delivered rows
(`floe_compiler.sinks.payload.encode`): the same bytes the REST sink would send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from floe_compiler.sinks.base import EgressResult, SinkConfig, SinkConfigurationError, SinkConnector
from floe_compiler.sinks.delivery import Chunk, DeliveryError, WriteContext, deliver
from floe_compiler.sinks.payload import apply_field_mapping
from floe_compiler.sinks.retry import RetriesExhausted, RetryPolicy

SINK_TYPE = "sql_database"
MODES = ("insert", "upsert")
UPSERT_DIALECTS = ("sqlite", "postgresql")
T = TypeVar("T")


@dataclass
class SqlSink:
    engine: sa.Engine
    table_name: str
    schema: str | None
    mode: str
    primary_key: list[str]
    field_mapping: dict[str, str] | None
    batch_size: int | None
    retry: RetryPolicy
    table: sa.Table | None = field(default=None, repr=False)  # resolved on first write

    def close(self) -> None:
        self.engine.dispose()


class SqlDatabaseConnector(SinkConnector):
    """Writes to any database SQLAlchemy reaches; upserts on SQLite and PostgreSQL."""

    def list_available_sinks(self) -> list[str]:
        return [SINK_TYPE]

    def create_sink(self, config: SinkConfig) -> SqlSink:
        if config.sink_type != SINK_TYPE:
            raise SinkConfigurationError(
                f"sql_database cannot serve sink_type '{config.sink_type}'")
        settings = config.connection_config
        url = _required_str(settings, "url", "an SQLAlchemy URL, from the connection secret")
        table = _required_str(settings, "table", "the destination table name")
        mode = settings.get("mode", "insert")
        if mode not in MODES:
            raise SinkConfigurationError(f"config.mode must be one of {', '.join(MODES)}")
        primary_key = settings.get("primary_key") or []
        if not (isinstance(primary_key, list) and all(isinstance(c, str) for c in primary_key)):
            raise SinkConfigurationError("config.primary_key must be a list of column names")
        if mode == "upsert" and not primary_key:
            raise SinkConfigurationError("config.primary_key is required with mode: upsert")
        engine = _engine(url)
        if mode == "upsert" and engine.dialect.name not in UPSERT_DIALECTS:
            raise SinkConfigurationError(
                f"mode: upsert is supported on {' and '.join(UPSERT_DIALECTS)}, not "
                f"{engine.dialect.name}; use mode: insert")
        schema, _, name = table.rpartition(".")
        return SqlSink(engine, name, schema or None, mode, primary_key, config.field_mapping,
                       config.batch_size, RetryPolicy.from_config(config.retry_config))

    def write(self, sink: Any, data: pa.Table, **kwargs: Any) -> EgressResult:
        if not isinstance(sink, SqlSink):
            raise TypeError("sql_database.write needs the sink from create_sink()")
        context = WriteContext.from_kwargs(kwargs)
        data = apply_field_mapping(data, sink.field_mapping)
        try:
            table = _retrying(sink, lambda: self._table(sink, data.schema))
        except (SinkConfigurationError, DeliveryError) as exc:
            return EgressResult(success=False, errors=[
                f"{data.num_rows} rows failed", f"table {_qualified(sink)}: {exc}"])
        statement = _statement(sink, table, data.column_names)

        def send(chunk: Chunk) -> list[str]:
            def transaction() -> None:
                with sink.engine.begin() as connection:
                    connection.execute(statement, chunk.records)

            _retrying(sink, transaction)
            return []

        return deliver(data.to_pylist(), context, sink.batch_size, send)

    def get_source_config(self, catalog_config: dict[str, Any]) -> dict[str, Any]:
        return dict(catalog_config)

    def _table(self, sink: SqlSink, schema: pa.Schema) -> sa.Table:
        """The destination table: reflected if it exists, else created from `schema`."""
        if sink.table is None:
            metadata = sa.MetaData(schema=sink.schema)
            if sa.inspect(sink.engine).has_table(sink.table_name, schema=sink.schema):
                sink.table = sa.Table(sink.table_name, metadata, autoload_with=sink.engine)
            else:
                sink.table = _table_from_arrow(sink, metadata, schema)
                sink.table.create(sink.engine, checkfirst=True)
        missing = [n for n in [*schema.names, *sink.primary_key] if n not in sink.table.c]
        if missing:
            raise SinkConfigurationError(
                f"has no column(s) {', '.join(dict.fromkeys(missing))}")
        return sink.table


def _statement(sink: SqlSink, table: sa.Table, columns: list[str]) -> Any:
    if sink.mode == "insert":
        return sa.insert(table)
    from sqlalchemy.dialects import postgresql, sqlite

    statement: Any = (postgresql if sink.engine.dialect.name == "postgresql" else sqlite
                      ).insert(table)
    updates = {c: statement.excluded[c] for c in columns if c not in sink.primary_key}
    if not updates:
        return statement.on_conflict_do_nothing(index_elements=sink.primary_key)
    return statement.on_conflict_do_update(index_elements=sink.primary_key, set_=updates)


def _table_from_arrow(sink: SqlSink, metadata: sa.MetaData, schema: pa.Schema) -> sa.Table:
    missing = [c for c in sink.primary_key if c not in schema.names]
    if missing:
        raise SinkConfigurationError(
            f"primary_key column(s) {', '.join(missing)} are not among the columns sent "
            f"({', '.join(schema.names)})")
    columns = [sa.Column(f.name, _sql_type(f),
                         nullable=f.nullable and f.name not in sink.primary_key)
               for f in schema]
    constraints = [sa.PrimaryKeyConstraint(*sink.primary_key)] if sink.primary_key else []
    return sa.Table(sink.table_name, metadata, *columns, *constraints)


def _sql_type(column: pa.Field) -> Any:
    kind = column.type
    types = pa.types
    if types.is_boolean(kind):
        return sa.Boolean()
    if types.is_int8(kind) or types.is_int16(kind) or types.is_uint8(kind):
        return sa.SmallInteger()
    if types.is_int32(kind) or types.is_uint16(kind):
        return sa.Integer()
    if types.is_int64(kind) or types.is_uint32(kind):
        return sa.BigInteger()
    if types.is_uint64(kind):
        return sa.Numeric(20, 0)
    if types.is_floating(kind):
        return sa.Double()
    if types.is_decimal(kind):
        return sa.Numeric(kind.precision, kind.scale)
    if types.is_string(kind) or types.is_large_string(kind):
        return sa.Text()
    if types.is_binary(kind) or types.is_large_binary(kind) or types.is_fixed_size_binary(kind):
        return sa.LargeBinary()
    if types.is_date(kind):
        return sa.Date()
    if types.is_timestamp(kind):
        return sa.DateTime(timezone=kind.tz is not None)
    if types.is_time(kind):
        return sa.Time()
    raise SinkConfigurationError(
        f"column '{column.name}' has type {kind}, which sql_database cannot create")


def _engine(url: str) -> sa.Engine:
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


def _required_str(settings: dict[str, Any], key: str, what: str) -> str:
    value = settings.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SinkConfigurationError(f"sql_database needs '{key}' ({what})")
    return value


def _retrying(sink: SqlSink, action: Callable[[], T]) -> T:
    """Run a database action under the sink's retry policy; failures become DeliveryError."""
    try:
        return sink.retry.call(action, retry_on=_transient)
    except RetriesExhausted as exc:
        raise DeliveryError(f"{describe(exc.last)} (gave up after {exc.attempts} "
                            "attempts)") from exc
    except sa_exc.SQLAlchemyError as exc:
        raise DeliveryError(describe(exc)) from exc


def _transient(failure: BaseException) -> bool:
    """Connection drops, locks and timeouts: PEP 249's OperationalError."""
    return isinstance(failure, sa_exc.OperationalError)


def _qualified(sink: SqlSink) -> str:
    return f"{sink.schema}.{sink.table_name}" if sink.schema else sink.table_name


def describe(failure: BaseException) -> str:
    """A database error in one line: the driver's message without the SQL statement."""
    if isinstance(failure, sa_exc.DBAPIError) and failure.orig is not None:
        detail = " ".join(str(failure.orig).split())
        message = f"{type(failure.orig).__name__}: {detail}"
    else:
        message = " ".join(str(failure).split("\n[SQL")[0].split())
    return message if len(message) <= 300 else message[:297] + "..."
