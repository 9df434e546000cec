"""`sql_database`: real SQLite files and a real PostgreSQL cluster, through the connector."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

from floe_compiler.sinks import SinkConfig, SinkConfigurationError, close_sink
from floe_compiler.sinks.assurance import arrow_ipc
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


def write(config: dict[str, Any], data: pa.Table, **overrides: Any) -> Any:
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


# --- errors: classified, and described without row values -----------------------------


def test_a_duplicate_key_is_permanent_and_its_row_value_never_shown(
        database: tuple[str, str]) -> None:
    url, table = database
    config = {"url": url, "table": table, "primary_key": ["customer_id"]}
    write(config, customers(count=1).slice(0, 0))
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"INSERT INTO {table} VALUES ('C150500', 0, 0)"))
    engine.dispose()
    clash = pa.table({"customer_id": ["C150500"], "ltv_usd": [1.0], "orders": pa.array([1],
                                                                                  pa.int32())})
    result = write(config, clash)
    assert (result.success, result.status, result.attempts) == (False, "failed", 1)
    assert "C150500" not in " ".join(result.errors)


def test_postgres_detail_and_failing_row_are_stripped(postgres_server: str,
                                                      postgres_table: str) -> None:
    engine = sa.create_engine(postgres_server)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE TABLE "{postgres_table}" (customer_id TEXT '
                                   'PRIMARY KEY, ltv_usd DOUBLE PRECISION NOT NULL, '
                                   'orders INTEGER)'))
    engine.dispose()
    data = pa.table({"customer_id": ["C150500"], "ltv_usd": pa.array([None], pa.float64()),
                     "orders": pa.array([7], pa.int32())})
    result = write({"url": postgres_server, "table": postgres_table, "mode": "upsert",
                    "primary_key": ["customer_id"]}, data)
    assert not result.success
    message = result.errors[1]
    assert 'null value in column "ltv_usd"' in message, message
    assert "C150500" not in message and "DETAIL" not in message and "(SQLSTATE 23502)" in message


def test_an_on_conflict_mismatch_is_not_retried(database: tuple[str, str]) -> None:
    url, table = database
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # no unique constraint on customer_id
        connection.execute(sa.text(f'CREATE TABLE "{table}" (customer_id TEXT, '
                                   'ltv_usd FLOAT, orders INTEGER)'))
    engine.dispose()
    result = write({"url": url, "table": table, "mode": "upsert",
                    "primary_key": ["customer_id"]}, customers())
    assert (result.success, result.attempts, result.retries) == (False, 1, [])
    assert "ON CONFLICT" in result.errors[1] or "no unique or exclusion constraint" in \
        result.errors[1]


# --- identifiers a database would mangle -----------------------------------------------


@pytest.mark.parametrize(("table", "message"), [
    (".", "config.table '.': table name is empty"),
    ("", "config.table '': table name is empty"),
    ("sales.", "config.table 'sales.': table name is empty"),
])
def test_an_empty_table_name_is_refused(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(SinkConfigurationError, match=message.replace(".", "\\.")
                       .replace("(", "\\(").replace(")", "\\)")):
        SqlDatabaseConnector().create_sink(SinkConfig("sql_database", {
            "url": f"sqlite:///{tmp_path / 'd.db'}", "table": table}))


def test_postgres_refuses_names_it_would_truncate(postgres_server: str,
                                                  postgres_table: str) -> None:
    long_name = "lifetime_value_in_us_dollars_including_every_refund_and_credit_note"
    assert len(long_name) > 63
    with pytest.raises(SinkConfigurationError, match="is 67 bytes long; postgresql keeps "
                                                     "only 63"):
        SqlDatabaseConnector().create_sink(SinkConfig("sql_database", {
            "url": postgres_server, "table": long_name}))
    result = write({"url": postgres_server, "table": postgres_table},
                   customers().rename_columns(["customer_id", long_name, "orders"]))
    assert not result.success
    assert f"column name '{long_name}' is 67 bytes long" in result.errors[1]
    assert read_table(postgres_server, postgres_table) == []  # nothing created


# --- checksums an auditor can recompute ------------------------------------------------


def test_checksum_is_sha256_of_the_canonical_arrow_ipc_of_the_batch(tmp_path: Path) -> None:
    data = customers(count=50)
    result = write({"url": f"sqlite:///{tmp_path / 'd.db'}", "table": "t"}, data)
    assert result.checksum == hashlib.sha256(arrow_ipc(data)).hexdigest()
    # However the batch is chunked or sliced, the same rows give the same bytes.
    pieces = pa.concat_tables([data.slice(0, 7), data.slice(7, 30), data.slice(37)])
    assert arrow_ipc(pieces) == arrow_ipc(data)
    assert arrow_ipc(customers(count=60).slice(10)) == arrow_ipc(pa.table(
        customers(count=60).slice(10).to_pydict(), schema=data.schema))
    tagged = data.replace_schema_metadata({"origin": "iceberg"})
    assert arrow_ipc(tagged) == arrow_ipc(data)  # metadata is not part of it


def test_the_sqlalchemy_path_is_exactly_once_too(tmp_path: Path) -> None:
    # URLs ADBC has no driver for go through SQLAlchemy Core; SQLite stands in for them.
    import dataclasses

    from floe_compiler.sinks.sql_alchemy import AlchemyWriter

    url = f"sqlite:///{tmp_path / 'd.db'}"
    connector = SqlDatabaseConnector()
    adbc = connector.create_sink(SinkConfig("sql_database", {"url": url, "table": "t"},
                                            retry_config=TINY_RETRY))
    adbc.close()
    sink = dataclasses.replace(adbc, writer=AlchemyWriter(
        sa.create_engine(url), None, "t", None, "_floe_deliveries", []))
    try:
        first = connector.write(sink, customers(), **CONTEXT)
        again = connector.write(sink, customers(), **CONTEXT)
    finally:
        close_sink(sink)
    assert (first.status, first.rows_delivered) == ("delivered", 5)
    assert (again.status, again.rows_skipped) == ("skipped", 5)
    assert rows(url, "t") == [(f"C{i:03d}", 100.0 + i, i) for i in range(5)]
    [entry] = read_table(url, "_floe_deliveries")
    assert (entry["idempotency_key"], entry["row_count"]) == (first.idempotency_key, 5)



# --- pieces of a refused batch ---------------------------------------------------------


def alchemy_sink(url: str, table: str) -> Any:
    """A sink on the SQLAlchemy path (URLs ADBC has no driver for); SQLite stands in."""
    import dataclasses

    from floe_compiler.sinks.sql_alchemy import AlchemyWriter

    adbc = SqlDatabaseConnector().create_sink(SinkConfig(
        "sql_database", {"url": url, "table": table}, retry_config=TINY_RETRY))
    adbc.close()
    return dataclasses.replace(adbc, writer=AlchemyWriter(
        sa.create_engine(url), None, table, None, "_floe_deliveries", []))


@pytest.mark.parametrize("path,dialect", [("adbc", "sqlite"), ("adbc", "postgresql"),
                                          ("sqlalchemy", "sqlite")])
def test_a_write_overlapping_a_piece_delivered_under_another_key_is_refused(
        path: str, dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url, table = ((f"sqlite:///{tmp_path / 'dest.db'}", "customers") if dialect == "sqlite"
                  else (request.getfixturevalue("postgres_server"),
                        request.getfixturevalue("postgres_table")))
    connector = SqlDatabaseConnector()
    sink = (alchemy_sink(url, table) if path == "sqlalchemy" else connector.create_sink(
        SinkConfig("sql_database", {"url": url, "table": table}, retry_config=TINY_RETRY)))
    data = customers(count=6)
    whole = connector.predict(data, **CONTEXT).idempotency_key
    try:
        piece = connector.write(sink, data.slice(2, 2), **CONTEXT, batch_key=whole,
                                batch_offset=2)
        assert (piece.status, piece.rows_delivered) == ("delivered", 2)
        refused = connector.write(sink, data, **CONTEXT)  # the batch whole: rows 2..3 again
        assert (refused.status, refused.rows_delivered) == ("failed", 0)
        assert "rows 0..5 of this batch include rows 2..3, delivered earlier as a piece" \
            in refused.errors[1]
        larger = connector.write(sink, data.slice(0, 3), **CONTEXT, batch_key=whole,
                                 batch_offset=0)
        assert larger.status == "failed"
        rest = [connector.write(sink, data.slice(start, rows), **CONTEXT, batch_key=whole,
                                batch_offset=start) for start, rows in ((0, 2), (4, 2))]
        assert [r.status for r in rest] == ["delivered", "delivered"]
        again = connector.write(sink, data.slice(2, 2), **CONTEXT, batch_key=whole,
                                batch_offset=2)
        assert again.status == "skipped"
        elsewhere = connector.write(sink, data, **{**CONTEXT, "batch_ordinal": 1})
        assert elsewhere.status == "delivered"  # another batch: its own rows
    finally:
        close_sink(sink)
    assert rows(url, table) == sorted(2 * [(f"C{i:03d}", 100.0 + i, i) for i in range(6)])


def test_a_whole_write_waits_for_a_piece_of_its_batch_being_written_then_is_refused(
        postgres_server: str, postgres_table: str) -> None:
    """Two writers of one batch at once, in different pieces (a rerun started while a
    run still cuts the batch): the second waits for the first's transaction, then sees
    its rows. Without the wait each would see only the other's committed rows, and
    both would commit."""
    import threading

    from floe_compiler.sinks import ledger

    connector = SqlDatabaseConnector()
    config = SinkConfig("sql_database", {"url": postgres_server, "table": postgres_table},
                        retry_config=TINY_RETRY)
    data = customers(count=6)
    whole = connector.predict(data, **CONTEXT)
    first = write(config.connection_config, data, batch_ordinal=9)  # table and ledger made
    assert first.status == "delivered"
    piece = connector.predict(data.slice(2, 2), **CONTEXT, batch_key=whole.idempotency_key,
                              batch_offset=2)
    row = ledger.LedgerRow(piece.idempotency_key, postgres_table, CONTEXT["destination"], 7, 0,
                           2, piece.checksum, whole.idempotency_key, 2)
    engine = sa.create_engine(postgres_server)
    outcome: list[Any] = []
    try:
        with engine.connect() as other:  # the other writer, mid-transaction
            other.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                          {"key": ledger.batch_lock(row)})
            other.execute(sa.text(
                "INSERT INTO _floe_deliveries (idempotency_key, target_table, destination, "
                "snapshot_id, batch_ordinal, row_count, checksum, batch_key, first_row) VALUES "
                "(:k, :t, :d, 7, 0, 2, :c, :b, 2)"), {
                    "k": row.idempotency_key, "t": row.target_table, "d": row.destination,
                    "c": row.checksum, "b": row.batch_key})
            other.execute(sa.text(f'INSERT INTO "{postgres_table}" VALUES '
                                  "('C002', 102.0, 2), ('C003', 103.0, 3)"))
            sink = connector.create_sink(config)
            writer = threading.Thread(target=lambda: outcome.append(
                connector.write(sink, data, **CONTEXT)))
            writer.start()
            deadline = time.monotonic() + 30
            with engine.connect() as watch:  # until floe waits for the other writer (or ends)
                while writer.is_alive() and not watch.execute(sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'"
                )).scalar_one():
                    watch.rollback()
                    assert time.monotonic() < deadline, "floe neither waited nor ended"
                    time.sleep(0.02)
            other.commit()
            writer.join(timeout=30)
            close_sink(sink)
    finally:
        engine.dispose()
    [result] = outcome
    assert (result.status, result.rows_delivered) == ("failed", 0)
    assert "delivered earlier as a piece" in result.errors[1]
    assert len(rows(postgres_server, postgres_table)) == 6 + 2  # batch 9, and the piece


@pytest.mark.parametrize("path", ["adbc", "sqlalchemy"])
def test_a_ledger_from_an_earlier_floe_gets_the_new_columns_and_keeps_its_rows(
        path: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # the ledger as floe 0.2 created it, one batch in
        connection.execute(sa.text(
            "CREATE TABLE _floe_deliveries (idempotency_key TEXT NOT NULL, target_table TEXT "
            "NOT NULL, destination TEXT NOT NULL, snapshot_id INTEGER, batch_ordinal INTEGER "
            "NOT NULL, row_count INTEGER NOT NULL, checksum TEXT NOT NULL, delivered_at TEXT, "
            "PRIMARY KEY (target_table, idempotency_key))"))
        first = SqlDatabaseConnector().predict(customers(), **CONTEXT)
        connection.execute(sa.text(
            "INSERT INTO _floe_deliveries VALUES (:key, 't', 'warehouse-export', 7, 0, 5, "
            ":checksum, '2026-01-01')"), {"key": first.idempotency_key,
                                         "checksum": first.checksum})
    engine.dispose()
    connector = SqlDatabaseConnector()
    sink = (alchemy_sink(url, "t") if path == "sqlalchemy" else connector.create_sink(
        SinkConfig("sql_database", {"url": url, "table": "t"}, retry_config=TINY_RETRY)))
    try:
        assert connector.write(sink, customers(), **CONTEXT).status == "skipped"
        other = connector.write(sink, customers(), **{**CONTEXT, "batch_ordinal": 1})
        assert other.status == "delivered", other.errors
    finally:
        close_sink(sink)
    book = read_table(url, "_floe_deliveries")
    assert [(r["batch_ordinal"], r["first_row"], r["batch_key"]) for r in book] == [
        (0, None, None), (1, 0, other.idempotency_key)]
    index = sa.inspect(sa.create_engine(url)).get_indexes("_floe_deliveries")
    assert [i["column_names"] for i in index] == [["target_table", "batch_key"]]

# --- PostgreSQL parses COPY data while the driver encodes the next record batch ---------


@pytest.mark.parametrize("mode", ["insert", "upsert"])
def test_a_batch_larger_than_one_ingest_record_batch_arrives_whole_and_once(
        mode: str, database: tuple[str, str]) -> None:
    from floe_compiler.sinks.sql_adbc import STREAM_BATCH_BYTES, streamed

    url, table = database
    data = customers(count=60_000)  # ~1.6 MB of Arrow: two or more record batches
    pieces = streamed(data).to_batches()
    assert len(pieces) >= 2
    assert all(piece.nbytes <= STREAM_BATCH_BYTES * 1.1 for piece in pieces)
    assert pa.Table.from_batches(pieces).equals(data)
    config = {"url": url, "table": table, "mode": mode, "primary_key": ["customer_id"]}
    first = write(config, data)
    again = write(config, data)
    assert (first.status, first.rows_delivered) == ("delivered", 60_000), first.errors
    assert (again.status, again.rows_skipped) == ("skipped", 60_000)
    assert first.checksum == hashlib.sha256(arrow_ipc(data)).hexdigest()
    assert rows(url, table) == sorted(zip(data.column("customer_id").to_pylist(),
                                          data.column("ltv_usd").to_pylist(),
                                          data.column("orders").to_pylist(), strict=True))
