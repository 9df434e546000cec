"""The write loop both built-in connectors share: plan the chunks, send them in order,
stop at the first chunk that fails, and account for every row in the EgressResult.

A connector supplies only `send`, which delivers one chunk (retrying as it sees fit)
and raises `DeliveryError` when that chunk cannot be delivered.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from floe_compiler.sinks.assurance import idempotency_key, sha256_hex, utc_now
from floe_compiler.sinks.base import EgressResult
from floe_compiler.sinks.payload import Record, chunks, encode, row_span


class DeliveryError(Exception):
    """One chunk could not be delivered. The message is shown to users: no secrets."""


@dataclass(frozen=True)
class WriteContext:
    """Who is writing what: the keyword arguments `floe run` passes to `write`."""

    destination: str = ""
    snapshot_id: int | None = None
    batch_ordinal: int = 0

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> WriteContext:
        destination = kwargs.get("destination", "")
        snapshot_id = kwargs.get("snapshot_id")
        batch_ordinal = kwargs.get("batch_ordinal", 0)
        if not isinstance(destination, str):
            raise TypeError("write(destination=...) must be a str")
        if snapshot_id is not None and not isinstance(snapshot_id, int):
            raise TypeError("write(snapshot_id=...) must be an int or None")
        if not isinstance(batch_ordinal, int):
            raise TypeError("write(batch_ordinal=...) must be an int")
        return cls(destination, snapshot_id, batch_ordinal)

    def key(self, payload_sha256: str, part: int | None = None) -> str:
        ordinal = self.batch_ordinal if part is None else f"{self.batch_ordinal}.{part}"
        return idempotency_key(self.destination, self.snapshot_id, ordinal, payload_sha256)


@dataclass(frozen=True)
class Chunk:
    start: int  # index of its first row within the write
    records: list[Record]
    body: bytes  # the canonical encoding: what is sent, or checksummed
    idempotency_key: str


@dataclass(frozen=True)
class Plan:
    """Everything a write would send, computed before anything is sent."""

    chunks: list[Chunk]
    checksum: str  # sha256 of all chunk bodies, in order
    idempotency_key: str
    rows: int

    @property
    def bytes(self) -> int:
        return sum(len(c.body) for c in self.chunks)


def plan(records: list[Record], context: WriteContext, chunk_rows: int | None) -> Plan:
    """Chunk and encode `records`. With one chunk, its key is the write's key."""
    parts = [(start, rows, encode(rows))
             for start, rows in chunks(records, chunk_rows)]
    digest = hashlib.sha256()
    for _, _, body in parts:
        digest.update(body)
    several = len(parts) > 1
    planned = [Chunk(start, rows, body,
                     context.key(sha256_hex(body), index if several else None))
               for index, (start, rows, body) in enumerate(parts)]
    return Plan(planned, digest.hexdigest(), context.key(digest.hexdigest()), len(records))


def deliver(records: list[Record], context: WriteContext, chunk_rows: int | None,
            send: Callable[[Chunk], list[str]]) -> EgressResult:
    """Send each chunk in order through `send`, which returns destination record ids."""
    started = time.perf_counter()
    planned = plan(records, context, chunk_rows)
    delivered = sent_bytes = 0
    digest = hashlib.sha256()
    record_ids: list[str] = []
    errors: list[str] = []
    stamp = ""
    for chunk in planned.chunks:
        try:
            record_ids += send(chunk)
        except DeliveryError as exc:
            errors = failure_errors(planned.rows, delivered, chunk.start, len(chunk.records),
                                    str(exc))
            break
        delivered += len(chunk.records)
        sent_bytes += len(chunk.body)
        digest.update(chunk.body)
        stamp = utc_now()
    return EgressResult(
        success=not errors, rows_delivered=delivered, bytes_transmitted=sent_bytes,
        duration_seconds=time.perf_counter() - started, checksum=digest.hexdigest(),
        delivery_timestamp=stamp or ("" if errors else utc_now()),
        idempotency_key=planned.idempotency_key, destination_record_ids=record_ids,
        errors=errors)


def failure_errors(total: int, delivered: int, failed_start: int, failed_rows: int,
                   reason: str) -> list[str]:
    """The errors of a write that delivered `delivered` rows, then failed: every row counted."""
    failed = total - delivered
    errors = [f"{'partial: ' if delivered else ''}{failed} rows failed",
              f"{row_span(failed_start, failed_rows)}: {reason}"]
    rest = failed_start + failed_rows
    if rest < total:
        errors.append(f"{row_span(rest, total - rest)}: not sent after the failure")
    return errors
