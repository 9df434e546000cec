"""The delivery ledger: one row per batch delivered, in the destination database.

Each batch's rows and its ledger row are written in ONE transaction, so the ledger
holds a batch's idempotency key exactly when the database holds its rows. Before
writing, the key is claimed (`INSERT ... ON CONFLICT DO NOTHING`); a key already
there means the batch was delivered by an earlier run (or by an attempt whose COMMIT
reply was lost), and it is skipped. A rerun of the same snapshot therefore resumes at
the first undelivered batch and never writes a row twice.

The table (default `_floe_deliveries`, `config.ledger_table` to rename it, optionally
`schema.table`) is created when missing. Its primary key is (target_table,
idempotency_key): the same batch sent to two tables is two deliveries.

Pieces. A batch the destination refused is cut into pieces (`runner/rejects.py`), each
delivered under its own key. Each ledger row therefore also names the whole batch it
belongs to (`batch_key`: the name `floe run` gives it, in an incremental sync, else the
whole batch's own key) and where its rows start in that batch (`first_row`). A write
whose rows overlap rows of its batch delivered under another key is refused
(`Overlap`): a rerun that would write the batch whole after some of its pieces went in
(the destination stopped refusing them) is cut the same way instead, and its delivered
pieces are skipped. The same two columns tell an incremental sync which rows of a batch
went in (`delivered_sql`). A ledger from an earlier floe gets them added
(`ensure_sql`); its rows, which have none, never overlap.
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass

from floe_compiler.sinks.sql_names import qualified, quote

DEFAULT_LEDGER_TABLE = "_floe_deliveries"

_TYPES = {
    "postgresql": ("TEXT", "BIGINT", "TIMESTAMPTZ NOT NULL DEFAULT now()"),
    "sqlite": ("TEXT", "INTEGER",
               "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"),
}


@dataclass(frozen=True)
class LedgerRow:
    """What the ledger records for one delivered batch (delivered_at is the server's clock)."""

    idempotency_key: str
    target_table: str  # as configured: `table` or `schema.table`
    destination: str
    snapshot_id: int | None
    batch_ordinal: int
    row_count: int
    checksum: str  # sha256 of the batch's canonical Arrow IPC serialisation
    batch_key: str | None = None  # the whole batch's key (its own, unless a piece)
    first_row: int | None = None  # where this write's rows start in that batch

    def params(self) -> tuple[object, ...]:
        return astuple(self)

    def overlap_params(self) -> tuple[object, ...]:
        """The parameters of `overlap_sql` for this row."""
        assert self.first_row is not None
        return (self.target_table, self.batch_key, self.idempotency_key,
                self.first_row + self.row_count, self.first_row)


class Overlap(Exception):
    """A write's rows overlap rows of its batch that went in under another key."""

    def __init__(self, row: LedgerRow, delivered_first: int, delivered_rows: int) -> None:
        assert row.first_row is not None
        super().__init__(
            f"rows {row.first_row}..{row.first_row + row.row_count - 1} of this batch "
            f"include rows {delivered_first}..{delivered_first + delivered_rows - 1}, "
            "delivered earlier as a piece of it under another key; cut the same way instead")


COLUMNS = tuple(LedgerRow.__dataclass_fields__)
ADDED_COLUMNS = ("batch_key", "first_row")  # newer than the first ledgers: ensure_sql


def create_sql(dialect: str, schema: str | None, table: str) -> str:
    text, integer, stamp = _TYPES[dialect]
    return (f"CREATE TABLE IF NOT EXISTS {qualified(schema, table)} ("
            f"idempotency_key {text} NOT NULL, target_table {text} NOT NULL, "
            f"destination {text} NOT NULL, snapshot_id {integer}, "
            f"batch_ordinal {integer} NOT NULL, row_count {integer} NOT NULL, "
            f"checksum {text} NOT NULL, delivered_at {stamp}, "
            f"batch_key {text}, first_row {integer}, "
            "PRIMARY KEY (target_table, idempotency_key))")


def ensure_sql(dialect: str, schema: str | None, table: str,
               present: set[str] | None) -> list[str]:
    """The statements that make the ledger current, given the columns it has (None: it
    does not exist). Nothing when it is current, so a run takes no DDL lock then."""
    if present is None:
        return [create_sql(dialect, schema, table), index_sql(dialect, schema, table)]
    missing = [c for c in ADDED_COLUMNS if c not in present]
    if not missing:
        return []
    types = dict(zip(ADDED_COLUMNS, _TYPES[dialect][:2], strict=True))
    return [*(f"ALTER TABLE {qualified(schema, table)} ADD COLUMN {c} {types[c]}"
              for c in missing), index_sql(dialect, schema, table)]


def index_sql(dialect: str, schema: str | None, table: str) -> str:
    """An index for `overlap_sql`, named after the ledger, in the ledger's schema."""
    name = f"{table}_by_batch"
    # PostgreSQL puts an index in its table's schema; SQLite names the schema on the index.
    on = (f"{qualified(schema, name)} ON {quote(table)}" if dialect == "sqlite"
          else f"{quote(name)} ON {qualified(schema, table)}")
    return f"CREATE INDEX IF NOT EXISTS {on} (target_table, batch_key)"


def batch_lock(row: LedgerRow) -> int:
    """A PostgreSQL advisory lock key for the batch `row` belongs to. Two writers of one
    batch in different pieces (a run, and a rerun started while it still writes) each
    see only the other's committed rows; taken before the claim, the lock makes the
    second wait for the first to end, so that its overlap check sees what went in."""
    name = f"{row.target_table}\x1f{row.batch_key or row.idempotency_key}"
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def overlap_sql(dialect: str, schema: str | None, table: str) -> str:
    """A delivered row of the same batch, under another key, whose rows overlap (or none)."""
    marks = [f"${i}" if dialect == "postgresql" else "?" for i in range(1, 6)]
    return (f"SELECT first_row, row_count FROM {qualified(schema, table)} "
            f"WHERE target_table = {marks[0]} AND batch_key = {marks[1]} "
            f"AND idempotency_key <> {marks[2]} AND first_row < {marks[3]} "
            f"AND first_row + row_count > {marks[4]} LIMIT 1")


def delivered_sql(dialect: str, schema: str | None, table: str) -> str:
    """(first_row, row_count) of each write of one batch (by its batch_key) delivered."""
    marks = ("$1", "$2") if dialect == "postgresql" else ("?", "?")
    return (f"SELECT first_row, row_count FROM {qualified(schema, table)} "
            f"WHERE target_table = {marks[0]} AND batch_key = {marks[1]} "
            "AND first_row IS NOT NULL ORDER BY first_row")


def claim_sql(dialect: str, schema: str | None, table: str) -> str:
    """Insert the batch's row unless its key is there; returns a row only when inserted."""
    marks = ", ".join(f"${i}" if dialect == "postgresql" else "?"
                      for i in range(1, len(COLUMNS) + 1))
    return (f"INSERT INTO {qualified(schema, table)} ({', '.join(COLUMNS)}) VALUES ({marks}) "
            "ON CONFLICT (target_table, idempotency_key) DO NOTHING RETURNING idempotency_key")
