"""Rows as they travel: field mapping, and the JSON encoding the REST sink sends."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from floe_compiler.sinks.base import SinkConfigurationError

if TYPE_CHECKING:
    import pyarrow as pa

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


def encode_json(data: pa.Table) -> bytes:
    """Compact UTF-8 JSON array of objects, keys in column order (orjson): the bytes sent.

    Dates and times are ISO 8601, decimals and UUIDs strings, binary base64. Floats
    must be finite (`require_finite`): JSON has no NaN.
    """
    import orjson

    return orjson.dumps(data.to_pylist(), default=_json_value)


def require_finite(data: pa.Table) -> None:
    """Raise ValueError naming the first NaN or infinite float, which JSON cannot carry."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for name, column in zip(data.column_names, data.columns, strict=True):
        if not pa.types.is_floating(column.type) or column.null_count == len(column):
            continue
        finite = pc.fill_null(pc.is_finite(column), True)
        if not pc.all(finite).as_py():
            index = pc.index(finite, False).as_py()
            raise ValueError(f"{row_span(index, 1)}, column '{name}': "
                             f"{column[index].as_py()} has no JSON form")


def row_span(start: int, count: int) -> str:
    """Rows in 1-based inclusive form, for messages: `rows 1-200`."""
    return f"row {start + 1}" if count == 1 else f"rows {start + 1}-{start + count}"


def _json_value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    raise TypeError(f"cannot encode a {type(value).__name__} as JSON")

