"""One measured step of the runner benchmark, in a fresh interpreter (so its peak RSS is its own).

    python sink_child.py seed  WORK ROWS                 # the Iceberg source table
    python sink_child.py floe  WORK ROWS URL TABLE BATCH # run_artifact (what `floe run` runs)
    python sink_child.py adbc  WORK ROWS URL TABLE       # read the same table, adbc_ingest it
    python sink_child.py dlt   WORK ROWS URL TABLE       # read the same table, dlt pipeline.run
    python sink_child.py floe-ingestion-dlt WORK ROWS URL TABLE  # floe's own plugin (e2):
        # read the same table, DltIngestionPlugin.write it (run with the conformance venv's
        # python, which holds floe-core and floe-ingestion-dlt)

Prints one JSON object: seconds (Iceberg read + load, commit included; imports done
before the clock starts), peak_mb, and for adbc ingest_seconds (the ingest alone); for
floe-ingestion-dlt, rows (delivered) and error (why it delivered nothing, if so).
The source: ROWS x 9 columns (2 ints, 3 strings, 2 floats, 2 timestamps) in an embedded
Iceberg catalog (pyiceberg SqlCatalog on SQLite), appended 100k rows per data file.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

TABLE = "gold.bench"
INGEST_ONLY: list[float] = []  # ADBC: the ingest alone, without reading Iceberg


def catalog(work: Path) -> Any:
    from floe_compiler.runner.catalog import catalog_config, open_catalog

    return open_catalog(catalog_config(f"sqlite:///{work}/catalog.db", str(work / "warehouse")),
                        create=True)


def source(start: int, rows: int) -> pa.Table:
    """Deterministic rows: the same range always gives the same table."""
    import math

    ids = range(start, start + rows)
    micros = [(i * 37_000_000) % (365 * 86_400 * 1_000_000) for i in ids]
    segments = ("enterprise", "mid-market", "smb", "startup")
    schema = pa.schema([("id", pa.int64()), ("account", pa.int32()), ("customer", pa.string()),
                        ("segment", pa.string()), ("email", pa.string()),
                        ("lifetime_value", pa.float64()), ("score", pa.float64()),
                        ("created_at", pa.timestamp("us", tz="UTC")),
                        ("updated_at", pa.timestamp("us", tz="UTC"))])
    return pa.table([
        list(ids), [i % 50_000 for i in ids], [f"C{i:09d}" for i in ids],
        [segments[i % 4] for i in ids], [f"user{i}@example.com" for i in ids],
        [i * 1.25 % 10_000 for i in ids], [math.sin(i) for i in ids],
        micros, [m + 86_400_000_000 for m in micros]], schema=schema)


def seed(work: Path, rows: int) -> None:
    work.mkdir(parents=True, exist_ok=True)
    store = catalog(work)
    store.create_namespace_if_not_exists("gold")
    first = source(0, min(rows, 100_000))
    table = store.create_table(TABLE, schema=first.schema)
    table.append(first)
    for start in range(100_000, rows, 100_000):
        table.append(source(start, min(100_000, rows - start)))


def read_all(work: Path) -> pa.Table:
    return catalog(work).load_table(TABLE).scan().to_arrow()


def write_artifact(work: Path, url: str, table: str, batch: int) -> tuple[Path, Path]:
    """A compiled artifact with one sql_database destination `out` into `table`, and the
    secrets directory holding its `url`."""
    secrets = work / f"secrets-{table}"
    (secrets / "db").mkdir(parents=True, exist_ok=True)
    (secrets / "db" / "url").write_text(url)
    artifact = work / f"artifact-{table}.json"
    artifact.write_text(json.dumps({
        "schema_version": "1.0.0", "compiler_version": "bench",
        "product": {"name": "bench", "version": "1.0.0"},
        "destinations": [{"name": "out", "sink_type": "sql_database",
                          "connection_secret_ref": "db", "source_table": TABLE,
                          "batch_size": batch, "config": {"table": table}}]}))
    return artifact, secrets


def run_floe(work: Path, rows: int, url: str, table: str, batch: int) -> None:
    from floe_compiler.runner.artifact import read_artifact
    from floe_compiler.runner.catalog import catalog_config
    from floe_compiler.runner.run import RunOptions, run_artifact

    artifact, secrets = write_artifact(work, url, table, batch)
    config = catalog_config(f"sqlite:///{work}/catalog.db", str(work / "warehouse"))
    report = run_artifact(read_artifact(artifact), ["out"],
                          RunOptions(catalog=config, secrets_root=secrets))
    result = report.destinations[0].result
    assert result.success and result.rows_delivered == rows, result.errors


def run_adbc(work: Path, rows: int, url: str, table: str) -> None:
    import sqlalchemy as sa

    data = read_all(work)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        import adbc_driver_sqlite.dbapi as driver

        connection = driver.connect(parsed.database)
    else:
        import adbc_driver_postgresql.dbapi as driver  # type: ignore[no-redef]

        connection = driver.connect(parsed.set(drivername="postgresql").render_as_string(
            hide_password=False))
    started = time.perf_counter()
    with connection, connection.cursor() as cursor:
        assert cursor.adbc_ingest(table, data, mode="create") in (rows, -1)
        connection.commit()
    INGEST_ONLY.append(time.perf_counter() - started)


def run_dlt(work: Path, rows: int, url: str, table: str) -> None:
    import os

    import dlt
    import sqlalchemy as sa

    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    data = read_all(work)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        destination = dlt.destinations.sqlalchemy(credentials=url)
        dataset = "main"
    else:
        destination = dlt.destinations.postgres(credentials=parsed.set(
            drivername="postgresql").render_as_string(hide_password=False))
        dataset = table
    pipeline = dlt.pipeline(pipeline_name=table, destination=destination, dataset_name=dataset,
                            pipelines_dir=str(work / "dlt"))
    info = pipeline.run(data, table_name=table, write_disposition="append")
    assert not info.has_failed_jobs


def run_floe_ingestion_dlt(work: Path, rows: int, url: str, table: str) -> tuple[int, str]:
    """floe's own SinkConnector, as a platform team would call it; (rows, error)."""
    from floe_core.plugins.sink import SinkConfig
    from floe_ingestion_dlt import DltIngestionPlugin

    data = read_all(work)
    plugin = DltIngestionPlugin()
    plugin.startup()
    try:
        sink = plugin.create_sink(SinkConfig("sql_database", {"url": url}, batch_size=100_000))
        result = plugin.write(sink, data, table_name=table)
        return int(result.rows_delivered), "" if result.success else "; ".join(result.errors)
    except Exception as exc:
        return 0, f"{type(exc).__name__}: {exc}"[:300]
    finally:
        plugin.shutdown()


def preload(tool: str) -> None:
    """Import what the tool needs before the clock starts: measure loading, not importing."""
    import adbc_driver_postgresql.dbapi  # noqa: F401
    import adbc_driver_sqlite.dbapi  # noqa: F401
    import pyiceberg.io.pyarrow  # noqa: F401
    import sqlalchemy  # noqa: F401

    if tool == "floe":
        import floe_compiler.runner.run
        import floe_compiler.sinks.sql_adbc
        import floe_compiler.sinks.sql_database  # noqa: F401
    if tool in ("dlt", "floe-ingestion-dlt"):
        import dlt  # noqa: F401
    if tool == "floe-ingestion-dlt":
        import floe_ingestion_dlt  # noqa: F401


def main() -> None:
    tool, work, rows = sys.argv[1], Path(sys.argv[2]).resolve(), int(sys.argv[3])
    if tool == "seed":
        seed(work, rows)
        return
    url, table = sys.argv[4], sys.argv[5]
    preload(tool)
    started = time.perf_counter()
    extra: dict[str, Any] = {}
    if tool == "floe-ingestion-dlt":
        import contextlib

        with contextlib.redirect_stdout(sys.stderr):  # its structlog lines
            delivered, error = run_floe_ingestion_dlt(work, rows, url, table)
        extra = {"rows": delivered, "error": error}
    elif tool == "floe":
        run_floe(work, rows, url, table, int(sys.argv[6]))
    elif tool == "adbc":
        run_adbc(work, rows, url, table)
    elif tool == "dlt":
        run_dlt(work, rows, url, table)
    else:
        raise SystemExit(f"unknown tool {tool}")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak,
                      "ingest_seconds": INGEST_ONLY[0] if INGEST_ONLY else seconds, **extra}))


if __name__ == "__main__":
    main()
