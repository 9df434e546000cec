"""Load assurance: checksums, deterministic idempotency keys, delivery timestamps."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

# Fixed forever: changing it would change every key and defeat deduplication of reruns.
_KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://floe.dev/idempotency-key")

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def sha256_hex(payload: bytes | memoryview) -> str:
    return hashlib.sha256(payload).hexdigest()


def idempotency_key(destination: str, snapshot_id: int | None, batch_ordinal: int | str,
                    payload_sha256: str) -> str:
    """A UUID naming one batch of one snapshot for one destination.

    A rerun of the same snapshot sends the same batches with the same keys, so a
    destination that deduplicates on the key (an `Idempotency-Key` header) applies
    each batch once.
    """
    name = "\x1f".join((destination, str(snapshot_id), str(batch_ordinal), payload_sha256))
    return str(uuid.uuid5(_KEY_NAMESPACE, name))


def utc_now() -> str:
    """ISO-8601 in UTC with milliseconds: 2024-05-01T06:00:00.123+00:00."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def arrow_ipc(data: pa.Table) -> memoryview:
    """The canonical Arrow IPC serialisation of a batch, which its checksum covers.

    An Arrow IPC *stream* (`pyarrow.ipc.new_stream`, default options: metadata V5, no
    compression, buffers padded to 8 bytes with zeros) holding the schema with every
    schema and field metadata removed, then all rows as ONE record batch (an empty
    batch for no rows), then the end-of-stream marker. Column names are those sent
    to the destination, types the Arrow types read from Iceberg. An auditor recomputes
    a batch's checksum as `sha256(arrow_ipc(table))` over the same rows in the same
    order with the same schema, however the table is chunked or sliced.
    """
    import pyarrow as pa

    schema = pa.schema([f.remove_metadata() for f in data.schema])
    table = data.replace_schema_metadata(None).cast(schema).combine_chunks()
    batches = table.to_batches()
    batch = batches[0] if len(batches) == 1 else pa.RecordBatch.from_arrays(
        [pa.array([], type=f.type) for f in schema], schema=schema)
    if len(batches) > 1:  # combine_chunks leaves one chunk per column: unreachable
        raise AssertionError("combine_chunks gave several batches")
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        writer.write_batch(batch)
    return memoryview(sink.getvalue())  # no copy: hashlib reads the Arrow buffer itself
