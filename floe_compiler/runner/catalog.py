"""The Iceberg catalog `floe run` reads from.

By default an embedded one: pyiceberg's SqlCatalog on SQLite at `.floe/catalog.db`,
with its warehouse under `.floe/warehouse`. `--catalog-uri` names another: an
SQLAlchemy URL (another SqlCatalog) or an http(s) URL (an Iceberg REST catalog).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from floe_compiler.credentials import mask_url, mask_values
from floe_compiler.display import printable

if TYPE_CHECKING:
    import pyarrow as pa

DEFAULT_CATALOG_URI = "sqlite:///.floe/catalog.db"
DEFAULT_WAREHOUSE = ".floe/warehouse"
CATALOG_NAME = "floe"


class CatalogError(Exception):
    pass


def catalog_config(uri: str, warehouse: str) -> dict[str, str]:
    """pyiceberg catalog properties for a catalog URI and warehouse location."""
    if urlsplit(uri).scheme in ("http", "https"):
        config = {"type": "rest", "uri": uri}
        if warehouse != DEFAULT_WAREHOUSE:
            config["warehouse"] = warehouse
        return config
    if "://" not in warehouse:
        warehouse = Path(warehouse).resolve().as_uri()
    return {"type": "sql", "uri": uri, "warehouse": warehouse}


def open_catalog(config: dict[str, Any], *, create: bool = False) -> Any:
    """A pyiceberg Catalog. A missing SQLite catalog is an error unless `create`."""
    from pyiceberg.catalog import load_catalog

    uri = str(config.get("uri", ""))
    if config.get("type") == "sql" and uri.startswith("sqlite:///"):
        database = Path(uri.removeprefix("sqlite:///").partition("?")[0])
        if create:
            database.parent.mkdir(parents=True, exist_ok=True)
        elif not database.is_file():
            raise CatalogError(f"catalog database {printable(str(database))} does not exist "
                               "(create the demo one with `floe seed-demo`, or pass --catalog-uri)")
    try:
        return load_catalog(CATALOG_NAME, **config)
    except Exception as exc:  # pyiceberg raises many unrelated types for a bad catalog
        raise CatalogError(f"cannot open catalog {display_uri(uri)}: "
                           f"{type(exc).__name__}: {mask_values(str(exc), [uri])}") from None


def display_uri(uri: str) -> str:
    """The URI fit to print: credentials masked (`credentials.mask_url`)."""
    return mask_url(uri)


def data_file_rows(table: Any, snapshot_id: int | None) -> list[int] | None:
    """Each data file's row count, from the snapshot's metadata, in the order
    `read_batches` streams the files; None when a delete file applies to some data file
    (only reading tells then)."""
    counts = []
    for task in table.scan(snapshot_id=snapshot_id).plan_files():
        if task.delete_files:
            return None
        counts.append(int(task.file.record_count))
    return counts


def stream_rows(table: Any, snapshot_id: int | None,
                rows: tuple[int, int] | None = None) -> int | None:
    """How many rows `read_batches` streams, from the metadata alone (`data_file_rows`),
    so that a run stopped early need not read the rest to say what it did not send."""
    counts = data_file_rows(table, snapshot_id)
    if counts is None:
        return None
    total = sum(counts)
    if rows is None:
        return total
    start, stop = rows
    return max(0, min(stop, total) - start)


def read_batches(table: Any, columns: tuple[str, ...], snapshot_id: int | None,
                 rows: tuple[int, int] | None = None) -> pa.RecordBatchReader:
    """Stream a snapshot of an Iceberg table, one data file at a time; with `rows`
    (start, stop), only those rows of it (in the same order as the whole stream).

    `scan().to_arrow_batch_reader()` (pyiceberg 0.12) submits every data file to a
    thread pool at once and keeps each file's batches until they are consumed, so
    behind a slow sink the whole table piles up in memory. Reading file by file
    bounds memory by the largest data file (plus the batch being sent and the one read
    ahead, `runner/read_ahead.py`). A data file
    wholly outside `rows` is not read when its record count is its row count (no
    delete files apply to it).
    """
    import pyarrow as pa
    from pyiceberg.io.pyarrow import ArrowScan, schema_to_pyarrow

    scan = table.scan(selected_fields=columns, snapshot_id=snapshot_id)
    projection = scan.projection()
    schema = schema_to_pyarrow(projection)
    arrow_scan = ArrowScan(scan.table_metadata, scan.io, projection, scan.row_filter,
                           scan.case_sensitive)

    def batches() -> Any:
        for task in scan.plan_files():
            yield from arrow_scan.to_record_batches([task])

    def some_rows(start: int, stop: int) -> Any:
        position = 0  # of the next row read, in the whole stream
        for task in scan.plan_files():
            if position >= stop:
                return
            count = task.file.record_count
            if not task.delete_files and position + count <= start:
                position += count  # wholly before the slice: skipped unread
                continue
            for batch in arrow_scan.to_record_batches([task]):
                first, last = max(start - position, 0), min(stop - position, batch.num_rows)
                if last > first:
                    yield batch.slice(first, last - first)
                position += batch.num_rows
                if position >= stop:
                    return

    if rows is not None:
        return pa.RecordBatchReader.from_batches(schema, some_rows(*rows)).cast(schema)

    return pa.RecordBatchReader.from_batches(schema, batches()).cast(schema)
