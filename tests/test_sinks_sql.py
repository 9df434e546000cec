"""`sql_database`: real SQLite files and a real PostgreSQL cluster, through the connector."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

from floe_compiler.sinks import EgressResult, SinkConfig, SinkConfigurationError, close_sink
from floe_compiler.sinks.sql_database import SqlDatabaseConnector
from tests.conftest import TINY_RETRY
from tests.test_sinks_contract import read_table

CONTEXT = {"destination": "warehouse-export", "snapshot_id": 7, "batch_ordinal": 0}


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL, a table name no one uses yet) on each database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dest.db'}", "customers"
    else:
        yield request.getfixturevalue("postgres_server"), request.getfixturevalue("postgres_table")


def customers(ltv: float = 100.0, count: int = 5) -> pa.Table:
    return pa.table({
        "customer_id": pa.array([f"C{i:03d}" for i in range(count)], pa.string()),
        "ltv_usd": pa.array([ltv + i for i in range(count)], pa.float64()),
        "orders": pa.array(list(range(count)), pa.int32()),
    })


def write(config: dict[str, Any], data: pa.Table, **overrides: Any) -> EgressResult:
    connector = SqlDatabaseConnector()
    settings = {key: overrides.pop(key) for key in ("field_mapping", "batch_size")
                if key in overrides}
    sink = connector.create_sink(SinkConfig("sql_database", config, retry_config=TINY_RETRY,
                                            **settings))
    try:
        return connector.write(sink, data, **{**CONTEXT, **overrides})
    finally:
        close_sink(sink)


def rows(url: str, table: str) -> list[tuple[Any, ...]]:
    return sorted(tuple(r.values()) for r in read_table(url, table))


def test_upsert_twice_leaves_the_same_rows_and_sends_the_same_key(database: tuple[str, str]) -> None:
    url, table = database
    config = {"url": url, "table": table, "mode": "upsert", "primary_key": ["customer_id"]}
    first = write(config, customers())
    rerun = write(config, customers())
    assert first.success and rerun.success, first.errors + rerun.errors
    assert (first.rows_delivered, first.status) == (5, "delivered")
    assert (rerun.rows_delivered, rerun.rows_skipped, rerun.status) == (0, 5, "skipped")
    assert rerun.idempotency_key == first.idempotency_key
    assert rerun.checksum == first.checksum
    assert rows(url, table) == [(f"C{i:03d}", 100.0 + i, i) for i in range(5)]


def test_upsert_updates_changed_rows_in_place(database: tuple[str, str]) -> None:
    url, table = database
    config = {"url": url, "table": table, "mode": "upsert", "primary_key": ["customer_id"]}
    write(config, customers(ltv=100.0))
    changed = write(config, customers(ltv=500.0, count=7))
    assert changed.success, changed.errors
    assert rows(url, table) == [(f"C{i:03d}", 500.0 + i, i) for i in range(7)]


def test_created_table_has_arrow_types_and_the_primary_key(database: tuple[str, str]) -> None:
    url, table = database
    write({"url": url, "table": table, "mode": "upsert", "primary_key": ["customer_id"]},
          customers())
    engine = sa.create_engine(url)
    inspector = sa.inspect(engine)
    columns = {c["name"]: c for c in inspector.get_columns(table)}
    assert inspector.get_pk_constraint(table)["constrained_columns"] == ["customer_id"]
    assert isinstance(columns["ltv_usd"]["type"], sa.Float | sa.Double)
    assert isinstance(columns["orders"]["type"], sa.Integer)
    assert columns["customer_id"]["nullable"] is False
    engine.dispose()


def test_insert_writes_a_batch_once_and_new_batches_after_it(database: tuple[str, str]) -> None:
    url, table = database
    config = {"url": url, "table": table}
    write(config, customers())
    again = write(config, customers())
    assert (again.success, again.status, again.rows_skipped) == (True, "skipped", 5)
    assert len(rows(url, table)) == 5  # the ledger held the batch's key: not inserted twice
    following = write(config, customers(), batch_ordinal=1)  # the next batch of the snapshot
    assert (following.status, following.rows_delivered) == ("delivered", 5)
    assert len(rows(url, table)) == 10
    ledger = [r for r in read_table(url, "_floe_deliveries") if r["target_table"] == table]
    assert sorted((r["batch_ordinal"], r["row_count"], r["target_table"]) for r in ledger) == \
        [(0, 5, table), (1, 5, table)]
    assert {r["idempotency_key"] for r in ledger} == {again.idempotency_key,
                                                      following.idempotency_key}


def test_failure_mid_write_reports_what_arrived_and_what_did_not(database: tuple[str, str]) -> None:
    url, table = database
    config = {"url": url, "table": table, "mode": "insert", "primary_key": ["customer_id"]}
    write(config, customers(count=1).slice(0, 0))  # create the table with its key
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # a row that the third chunk will collide with
        connection.execute(sa.text(f"INSERT INTO {table} VALUES ('C004', 0, 0)"))
    engine.dispose()
    result = write(config, customers(count=6), batch_size=2)
    assert not result.success
    assert result.rows_delivered == 4
    assert result.errors[0] == "partial: 2 rows failed"
    assert result.errors[1].startswith("rows 5-6: "), result.errors
    assert "UNIQUE constraint failed: " in result.errors[1] or \
        'duplicate key value violates unique constraint' in result.errors[1], result.errors
    assert "C004" not in result.errors[1]  # no row value
    assert result.attempts == 3  # chunks 1 and 2, then chunk 3 once: not a transient error
    assert len(rows(url, table)) == 5  # 4 delivered + the colliding one; the failed chunk rolled back


def test_field_mapping_renames_and_drops_columns(database: tuple[str, str]) -> None:
    url, table = database
    result = write({"url": url, "table": table}, customers(count=2),
                   field_mapping={"customer_id": "id", "ltv_usd": "lifetime_value"})
    assert result.success, result.errors
    assert rows(url, table) == [("C000", 100.0), ("C001", 101.0)]


def test_existing_table_without_a_column_is_a_clear_failure(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dest.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE customers (customer_id TEXT)"))
    engine.dispose()
    result = write({"url": url, "table": "customers"}, customers())
    assert not result.success
    assert result.errors == ["5 rows failed", "table customers: has no column(s) ltv_usd, orders"]


@pytest.mark.parametrize(("config", "message"), [
    ({"table": "t"}, "sql_database needs 'url'"),
    ({"url": "sqlite://", "table": "t", "mode": "merge"}, "config.mode must be one of"),
    ({"url": "sqlite://", "table": "t", "mode": "upsert"}, "config.primary_key is required"),
    ({"url": "sqlite://"}, "sql_database needs 'table'"),
    ({"url": "not a url hunter2-secret", "table": "t"}, "'url' is not a valid SQLAlchemy URL"),
    ({"url": "nosuchdb://u:hunter2-secret@h/d", "table": "t"}, "driver that is not installed"),
])
def test_unusable_config_is_refused_without_echoing_the_url(config: dict[str, Any],
                                                           message: str) -> None:
    with pytest.raises(SinkConfigurationError, match=message) as refused:
        SqlDatabaseConnector().create_sink(SinkConfig("sql_database", config))
    assert "hunter2" not in str(refused.value)


def test_unreachable_database_is_retried_then_reported(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'dest.db'}"  # sqlite cannot create the file
    result = write({"url": url, "table": "t"}, customers())
    assert not result.success
    assert result.errors[0] == "5 rows failed"
    assert result.errors[1].startswith("table t: OperationalError: IO: failed to open ")
    assert result.errors[1].endswith(" (gave up after 3 attempts)")
