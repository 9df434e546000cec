"""The write loop both built-in connectors share: plan the chunks, send them in order,
stop at the first chunk that fails, and account for every row in the EgressResult.

A connector supplies `encode` (a chunk's canonical bytes: what is sent, or what is
checksummed) and `send`, which delivers one chunk (retrying as it sees fit) and
raises `DeliveryError` when that chunk cannot be delivered.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from floe_compiler.sinks.assurance import idempotency_key, sha256_hex, utc_now
from floe_compiler.sinks.base import EgressResult
from floe_compiler.sinks.payload import row_span

if TYPE_CHECKING:
    import pyarrow as pa

Body = bytes | memoryview  # a chunk's canonical bytes (memoryview: an Arrow buffer, uncopied)

# A batch's fate, as the report shows it.
DELIVERED = "delivered"  # written by this run
SKIPPED = "skipped"  # already delivered by an earlier run (found in the ledger): not resent
FAILED = "failed"  # not delivered: the destination refused it, or it never left
UNKNOWN = "unknown"  # sent, but no answer came: it may or may not have been applied


class DeliveryError(Exception):
    """One chunk could not be delivered. The message is shown to users: no secrets.

    `unknown`: the chunk was sent at least once without an answer, so the destination
    may hold it. `attempts` and `retries` say what was tried.
    """

    def __init__(self, message: str, *, unknown: bool = False, attempts: int = 1,
                 retries: list[str] | None = None) -> None:
        super().__init__(message)
        self.unknown = unknown
        self.attempts = attempts
        self.retries = retries or []


@dataclass
class Sent:
    """What `send` reports for a chunk it delivered (or found already delivered)."""

    record_ids: list[str] = field(default_factory=list)
    skipped: bool = False  # the destination's ledger already held this chunk's key
    attempts: int = 1
    retries: list[str] = field(default_factory=list)


@dataclass
class EgressOutcome(EgressResult):
    """An EgressResult with what floe's runner reports per batch (upstream's fields first).

    `rows_delivered` counts rows this write delivered; `rows_skipped` rows an earlier
    run had delivered (found in the ledger, not resent).
    """

    status: str = DELIVERED
    attempts: int = 0  # requests or transactions tried, retries included
    rows_skipped: int = 0
    retries: list[str] = field(default_factory=list)  # why each retried attempt failed


@dataclass(frozen=True)
class WriteContext:
    """Who is writing what: the keyword arguments `floe run` passes to `write`."""

    destination: str = ""
    snapshot_id: int | None = None
    batch_ordinal: int = 0
    stop: threading.Event | None = None  # set when the run is interrupted
    batch_key: str | None = None  # the batch's name, when the runner gives one
    batch_offset: int = 0  # where the rows start in the batch
    piece: bool = False  # the rows are a piece of a refused batch (runner/rejects.py)

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> WriteContext:
        destination = kwargs.get("destination", "")
        snapshot_id = kwargs.get("snapshot_id")
        batch_ordinal = kwargs.get("batch_ordinal", 0)
        stop = kwargs.get("stop")
        batch_key = kwargs.get("batch_key")
        batch_offset = kwargs.get("batch_offset", 0)
        piece = kwargs.get("piece", False)
        if not isinstance(destination, str):
            raise TypeError("write(destination=...) must be a str")
        if snapshot_id is not None and not isinstance(snapshot_id, int):
            raise TypeError("write(snapshot_id=...) must be an int or None")
        if not isinstance(batch_ordinal, int):
            raise TypeError("write(batch_ordinal=...) must be an int")
        if stop is not None and not isinstance(stop, threading.Event):
            raise TypeError("write(stop=...) must be a threading.Event")
        if batch_key is not None and not isinstance(batch_key, str):
            raise TypeError("write(batch_key=...) must be a str or None")
        if not isinstance(batch_offset, int) or batch_offset < 0:
            raise TypeError("write(batch_offset=...) must be an int >= 0")
        if not isinstance(piece, bool):
            raise TypeError("write(piece=...) must be a bool")
        return cls(destination, snapshot_id, batch_ordinal, stop, batch_key, batch_offset,
                   piece)

    def key(self, payload_sha256: str, part: int | None = None) -> str:
        ordinal = self.batch_ordinal if part is None else f"{self.batch_ordinal}.{part}"
        return idempotency_key(self.destination, self.snapshot_id, ordinal, payload_sha256)


@dataclass(frozen=True)
class Chunk:
    start: int  # index of its first row within the write
    data: pa.Table
    body: Body  # the canonical encoding: what is sent, or checksummed
    checksum: str  # sha256 hex of `body`
    idempotency_key: str
    batch_key: str  # the key of the whole batch it belongs to (its write's, or given)
    first_row: int  # index of its first row within that batch

    @property
    def rows(self) -> int:
        return int(self.data.num_rows)


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


def plan(data: pa.Table, context: WriteContext, chunk_rows: int | None,
         encode: Callable[[pa.Table], Body]) -> Plan:
    """Cut `data` into chunks and encode each. With one chunk, its key is the write's key."""
    step = chunk_rows or max(data.num_rows, 1)
    slices = [(start, data.slice(start, step)) for start in range(0, data.num_rows, step)]
    several = len(slices) > 1
    digest = hashlib.sha256()
    encoded = []
    for start, rows in slices:
        body = encode(rows)
        digest.update(body)
        encoded.append((start, rows, body, sha256_hex(body)))
    key = context.key(digest.hexdigest())
    batch_key = context.batch_key or key
    planned = [Chunk(start, rows, body, checksum,
                     context.key(checksum, index if several else None), batch_key,
                     context.batch_offset + start)
               for index, (start, rows, body, checksum) in enumerate(encoded)]
    return Plan(planned, digest.hexdigest(), key, data.num_rows)


def predicted(data: pa.Table, kwargs: Mapping[str, Any],
              encode: Callable[[pa.Table], Body]) -> EgressOutcome:
    """What a write of `data` with these `write` keyword arguments would report as checksum,
    key and bytes, sending nothing (a connector's `predict`, for `floe run --dry-run`)."""
    planned = plan(data, WriteContext.from_kwargs(kwargs), kwargs.get("batch_size"), encode)
    return EgressOutcome(success=True, checksum=planned.checksum,
                         idempotency_key=planned.idempotency_key,
                         bytes_transmitted=planned.bytes, status="planned")


def deliver(data: pa.Table, context: WriteContext, chunk_rows: int | None,
            encode: Callable[[pa.Table], Body], send: Callable[[Chunk], Sent]) -> EgressOutcome:
    """Send each chunk in order through `send`; stop at the first that fails."""
    started = time.perf_counter()
    planned = plan(data, context, chunk_rows, encode)
    delivered = skipped = sent_bytes = attempts = 0
    digest = hashlib.sha256()
    record_ids: list[str] = []
    retries: list[str] = []
    errors: list[str] = []
    status = DELIVERED
    stamp = ""
    for chunk in planned.chunks:
        try:
            sent = send(chunk)
        except DeliveryError as exc:
            attempts += exc.attempts
            retries += exc.retries
            status = UNKNOWN if exc.unknown else FAILED
            errors = failure_errors(planned.rows, delivered + skipped, chunk.start, chunk.rows,
                                    str(exc))
            if exc.unknown:  # say so up front: these rows may well be at the destination
                errors[0] += f" ({chunk.rows} of them unknown: sent, no answer)"
            break
        attempts += sent.attempts
        retries += sent.retries
        record_ids += sent.record_ids
        digest.update(chunk.body)
        if sent.skipped:
            skipped += chunk.rows
        else:
            delivered += chunk.rows
            sent_bytes += len(chunk.body)
            stamp = utc_now()
    if status == DELIVERED and skipped and not delivered:
        status = SKIPPED
    return EgressOutcome(
        success=not errors, rows_delivered=delivered, bytes_transmitted=sent_bytes,
        duration_seconds=time.perf_counter() - started, checksum=digest.hexdigest(),
        delivery_timestamp=stamp or ("" if errors else utc_now()),
        idempotency_key=planned.idempotency_key, destination_record_ids=record_ids,
        errors=errors, status=status, attempts=attempts, rows_skipped=skipped,
        retries=retries)


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
