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
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

from floe_compiler.sinks.sql_names import qualified

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

    def params(self) -> tuple[object, ...]:
        return astuple(self)


COLUMNS = tuple(LedgerRow.__dataclass_fields__)


def create_sql(dialect: str, schema: str | None, table: str) -> str:
    text, integer, stamp = _TYPES[dialect]
    return (f"CREATE TABLE IF NOT EXISTS {qualified(schema, table)} ("
            f"idempotency_key {text} NOT NULL, target_table {text} NOT NULL, "
            f"destination {text} NOT NULL, snapshot_id {integer}, "
            f"batch_ordinal {integer} NOT NULL, row_count {integer} NOT NULL, "
            f"checksum {text} NOT NULL, delivered_at {stamp}, "
            "PRIMARY KEY (target_table, idempotency_key))")


def claim_sql(dialect: str, schema: str | None, table: str) -> str:
    """Insert the batch's row unless its key is there; returns a row only when inserted."""
    marks = ", ".join(f"${i}" if dialect == "postgresql" else "?"
                      for i in range(1, len(COLUMNS) + 1))
    return (f"INSERT INTO {qualified(schema, table)} ({', '.join(COLUMNS)}) VALUES ({marks}) "
            "ON CONFLICT (target_table, idempotency_key) DO NOTHING RETURNING idempotency_key")
