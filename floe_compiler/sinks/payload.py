"""Rows as they travel: field mapping, chunking, and the canonical JSON encoding.

Both built-in connectors encode rows the same way (the REST sink sends these bytes;
the SQL sink checksums them), so `floe run --dry-run` can predict the checksum and
idempotency key of every batch without connecting anywhere.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import uuid
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from floe_compiler.sinks.base import SinkConfigurationError

if TYPE_CHECKING:
    import pyarrow as pa

Record = dict[str, Any]


def apply_field_mapping(data: pa.Table, mapping: Mapping[str, str] | None) -> pa.Table:
    """Rename source columns to destination fields; columns not in the mapping are dropped."""
    if not mapping:
        return data
    missing = [column for column in mapping if column not in data.column_names]
    if missing:
        raise SinkConfigurationError(
            f"field_mapping names column(s) {', '.join(missing)} that the source does not have "
            f"(it has: {', '.join(data.column_names)})")
    targets = list(mapping.values())
    doubled = sorted({t for t in targets if targets.count(t) > 1})
    if doubled:
        raise SinkConfigurationError(
            f"field_mapping maps several columns to {', '.join(doubled)}")
    return data.select(list(mapping)).rename_columns(targets)


def chunks(records: list[Record], size: int | None) -> Iterator[tuple[int, list[Record]]]:
    """(index of the first row, rows) for each chunk of at most `size` rows."""
    step = size or max(len(records), 1)
    for start in range(0, len(records), step):
        yield start, records[start:start + step]


def encode(records: list[Record]) -> bytes:
    """Compact UTF-8 JSON array, keys in column order: the same rows give the same bytes.

    NaN and infinities are written as JavaScript does (`NaN`), which strict JSON
    parsers refuse: a connector that sends the bytes checks `require_finite` first.
    """
    return json.dumps(records, separators=(",", ":"), ensure_ascii=False,
                      default=_json_value).encode("utf-8")


def require_finite(records: list[Record]) -> None:
    """Raise ValueError naming the first NaN or infinite float, which JSON cannot carry."""
    for index, record in enumerate(records):
        for column, value in record.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{row_span(index, 1)}, column '{column}': {value} has no "
                                 "JSON form")


def row_span(start: int, count: int) -> str:
    """Rows in 1-based inclusive form, for messages: `rows 1-200`."""
    return f"row {start + 1}" if count == 1 else f"rows {start + 1}-{start + count}"


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    raise TypeError(f"cannot encode a {type(value).__name__} as JSON")

