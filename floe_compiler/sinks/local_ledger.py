"""A delivery ledger in a local SQLite file, for writes no destination transaction covers.

The SQL connector keeps its ledger in the destination database, in the batch's own
transaction. A REST API or a floe-core plugin offers no such transaction, so what they
were sent is recorded here (`.floe/deliveries.sqlite` in the working directory, or
`$FLOE_LEDGER_PATH`), in the same table layout (`ledger.py`):

- floe-core plugins (`upstream.py`): a batch is recorded once the plugin reports it
  delivered; a rerun skips what the file holds, and an incremental sync stopped before
  its state recorded a batch learns here which of its rows went in (`delivered`).
- `rest_api`: the API deduplicates on the `Idempotency-Key`, so whole batches need no
  record. Only pieces of a refused batch are recorded, *before* each is sent and
  dropped again when the API refuses it: a rerun that would send the batch whole after
  some pieces went in is refused (`ledger.Overlap`) and cut the same way, and the
  pieces already sent go again under their own keys, which the API recognises.

A file lost with its machine loses that protection; the report of the run that cut
the batch says which rows went in as pieces.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from floe_compiler.sinks import ledger
from floe_compiler.sinks.sql_names import quote

DEFAULT_LEDGER_PATH = Path(".floe") / "deliveries.sqlite"
_TABLE = ledger.DEFAULT_LEDGER_TABLE


def default_path() -> Path:
    return Path(os.environ.get("FLOE_LEDGER_PATH") or DEFAULT_LEDGER_PATH)


@contextlib.contextmanager
def opened(path: Path) -> Iterator[sqlite3.Connection]:
    """The ledger file at `path`, created (or brought up to date) when needed."""
    if path.parent != Path(""):
        os.makedirs(path.parent, exist_ok=True)
    book = sqlite3.connect(path, timeout=30)
    try:
        present = {r[1] for r in book.execute(f"PRAGMA table_info({quote(_TABLE)})")}
        with book:
            for statement in ledger.ensure_sql("sqlite", None, _TABLE, present or None):
                book.execute(statement)
        yield book
    finally:
        book.close()


def holds(book: sqlite3.Connection, row: ledger.LedgerRow) -> bool:
    found = book.execute(f"SELECT 1 FROM {quote(_TABLE)} "
                         "WHERE target_table = ? AND idempotency_key = ?",
                         (row.target_table, row.idempotency_key)).fetchone()
    return found is not None


def overlap(book: sqlite3.Connection, row: ledger.LedgerRow) -> ledger.Overlap | None:
    """Why `row`'s write must be cut instead (see `ledger.Overlap`), or None."""
    if not row.row_count or row.first_row is None:
        return None
    found = book.execute(ledger.overlap_sql("sqlite", None, _TABLE),
                         row.overlap_params()).fetchone()
    return None if found is None else ledger.Overlap(row, *found)


def delivered(book: sqlite3.Connection, target: str, batch_key: str) -> list[tuple[int, int]]:
    """(first row, rows) of each write of the batch `batch_key` recorded for `target`."""
    found = book.execute(ledger.delivered_sql("sqlite", None, _TABLE), (target, batch_key))
    return [(int(first), int(rows)) for first, rows in found.fetchall()]


def record(book: sqlite3.Connection, row: ledger.LedgerRow) -> None:
    with book:  # commits
        book.execute(ledger.claim_sql("sqlite", None, _TABLE), row.params()).fetchall()


def forget(book: sqlite3.Connection, row: ledger.LedgerRow) -> None:
    with book:
        book.execute(f"DELETE FROM {quote(_TABLE)} WHERE target_table = ? AND "
                     "idempotency_key = ?", (row.target_table, row.idempotency_key))
