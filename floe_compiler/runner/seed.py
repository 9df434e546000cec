"""A sample gold table for the demo: `floe seed-demo` (used by `make demo`).

Creates `gold.customer_lifetime_value` in the catalog with deterministic rows, so
that every demo run reads the same data and sends the same idempotency keys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

SAMPLE_TABLE = "gold.customer_lifetime_value"
SAMPLE_ROWS = 300
SEGMENTS = ("enterprise", "mid-market", "smb")

SCHEMA = pa.schema([
    pa.field("customer_id", pa.string(), nullable=False),
    pa.field("segment", pa.string()),
    pa.field("order_count", pa.int32()),
    pa.field("lifetime_value", pa.float64()),
    pa.field("first_order_date", pa.date32()),
    pa.field("last_order_date", pa.date32()),
    pa.field("updated_at", pa.timestamp("us", tz="UTC")),
])


@dataclass(frozen=True)
class Seeded:
    table: str
    rows: int
    snapshot_id: int | None
    created: bool  # False: the table already existed and was left alone


def sample_customers(rows: int = SAMPLE_ROWS) -> pa.Table:
    """Deterministic customers: the same `rows` always give the same table."""
    first_day = dt.date(2021, 1, 4)
    updated_at = dt.datetime(2024, 6, 1, 6, 0, tzinfo=dt.UTC)
    records = []
    for i in range(rows):
        orders = 1 + (i * 7) % 23
        first_order = first_day + dt.timedelta(days=(i * 11) % 700)
        records.append({
            "customer_id": f"C{i + 1:05d}",
            "segment": SEGMENTS[i % len(SEGMENTS)],
            "order_count": orders,
            "lifetime_value": round(orders * (37.5 + (i * 13) % 250), 2),
            "first_order_date": first_order,
            "last_order_date": first_order + dt.timedelta(days=(i * 17) % 400),
            "updated_at": updated_at,
        })
    return pa.Table.from_pylist(records, schema=SCHEMA)


def seed_demo(catalog: Any, rows: int = SAMPLE_ROWS, *, replace: bool = False) -> Seeded:
    """Create and fill the sample table; an existing one is kept unless `replace`."""
    namespace = SAMPLE_TABLE.split(".")[0]
    catalog.create_namespace_if_not_exists(namespace)
    if catalog.table_exists(SAMPLE_TABLE) and not replace:
        table = catalog.load_table(SAMPLE_TABLE)
        snapshot = table.current_snapshot()
        total = int(snapshot.summary["total-records"]) if snapshot else 0
        return Seeded(SAMPLE_TABLE, total, snapshot.snapshot_id if snapshot else None, False)
    if catalog.table_exists(SAMPLE_TABLE):
        catalog.drop_table(SAMPLE_TABLE)
    table = catalog.create_table(SAMPLE_TABLE, schema=SCHEMA)
    table.append(sample_customers(rows))
    snapshot = table.current_snapshot()
    return Seeded(SAMPLE_TABLE, rows, snapshot.snapshot_id if snapshot else None, True)
