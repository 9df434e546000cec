"""`floe run`: for each destination, read its gold table from the Iceberg catalog in
batches and write them through the destination's sink connector.

Per destination: resolve the connector (entry points) and the secret, open the
catalog the connector asks for, pin the current snapshot, stream batches of
`batch_size` rows, rename columns by `field_mapping`, write each batch. The next batch
is read and decoded in a background thread while the current one is written
(`runner/read_ahead.py`); batches are still written one at a time, in order. The first
batch that fails stops that destination; the report then counts every row that was
not delivered. Idempotency keys derive from the snapshot, so rerunning after a
failure resends the same batches under the same keys (and a SQL sink skips those its
ledger already holds).

When `RunOptions.stop` is set (SIGINT or SIGTERM), the batch in flight finishes or
rolls back, no further batch or destination starts, and the report says so.

A `Slice` runs part of one destination (an orchestrator's partition): a pinned snapshot
and a range of batch ordinals. Its batches are the very batches a whole run sends for
those rows, with the same ordinals and so the same idempotency keys.

A destination with `config.primary_key` syncs by difference (`runner/sync.py`): only
the rows its mode sends, plus deletes in mirror mode. Each of its batches is written
ahead in the sync state before it is sent, and a run first settles the batch a previous
run left in flight (`_settle_pending`), asking the destination what of it went in.
A batch the destination refuses for some of its rows is bisected (`runner/rejects.py`):
the good rows are delivered, the rejected ones written to `.floe/rejects/`, and the
destination fails.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import threading
import time
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from floe_compiler.runner import sync
from floe_compiler.runner.artifact import Artifact, ArtifactError, Destination
from floe_compiler.runner.catalog import (
    CatalogError,
    display_uri,
    open_catalog,
    read_batches,
    stream_rows,
)
from floe_compiler.runner.diff import DiffError
from floe_compiler.runner.read_ahead import read_ahead
from floe_compiler.runner.rejects import DEFAULT_REJECTS_DIR, Isolation, isolate, write_rejects
from floe_compiler.runner.secrets import Secret, SecretError, read_secret
from floe_compiler.runner.sync_state import (
    DEFAULT_STATE_URL,
    Ahead,
    StateError,
    StateStore,
    taken,
)
from floe_compiler.sinks.assurance import idempotency_key, sha256_hex
from floe_compiler.sinks.base import (
    EgressResult,
    SinkConfig,
    SinkConfigurationError,
    SinkConnector,
    close_sink,
)
from floe_compiler.sinks.delivery import (
    DELIVERED,
    FAILED,
    SKIPPED,
    UNKNOWN,
    EgressOutcome,
    WriteContext,
)
from floe_compiler.sinks.modes import INSERT, MIRROR, modes_of_connector
from floe_compiler.sinks.payload import apply_field_mapping, row_span
from floe_compiler.sinks.registry import UnknownSinkTypeError, close_connector, serving

DEFAULT_BATCH_SIZE = 1000


class RunError(Exception):
    """A destination cannot run; the message says why and never holds a secret."""


# Failures whose message alone says what is wrong; others also name their type.
EXPECTED = (RunError, CatalogError, SecretError, SinkConfigurationError, UnknownSinkTypeError,
            StateError, DiffError)


class Progress(Protocol):
    def start(self, destination: str, total_rows: int | None) -> None: ...
    def advance(self, rows: int) -> None: ...
    def finish(self) -> None: ...


class NoProgress:
    def start(self, destination: str, total_rows: int | None) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True)
class RunOptions:
    catalog: dict[str, str]  # pyiceberg catalog properties
    secrets_root: Path
    dry_run: bool = False
    stop: threading.Event | None = None  # set by SIGINT/SIGTERM: stop after the batch in flight
    full_refresh: bool = False  # send every row and rebuild the sync state
    # Where the sync state lives (SQLite or PostgreSQL): $FLOE_STATE_URL, or .floe/.
    state_url: str = field(default_factory=lambda: os.environ.get("FLOE_STATE_URL")
                           or DEFAULT_STATE_URL)
    rejects_dir: Path = field(default_factory=lambda: Path(
        os.environ.get("FLOE_REJECTS_DIR") or DEFAULT_REJECTS_DIR))


@dataclass(frozen=True)
class Slice:
    """Batches `ordinals` (of `batch_size` rows each, the last maybe shorter) of
    snapshot `snapshot_id`: rows [start * batch_size, stop * batch_size)."""

    snapshot_id: int | None
    ordinals: range

    def rows(self, batch_size: int) -> tuple[int, int]:
        return self.ordinals.start * batch_size, self.ordinals.stop * batch_size


@dataclass(frozen=True)
class BatchReport:
    ordinal: int
    first_row: int  # 0-based index in the source snapshot
    rows: int
    bytes: int  # sent; in a dry run, that would be sent
    result: EgressResult
    rows_rejected: int = 0

    @property
    def status(self) -> str:
        """delivered, skipped (already delivered), failed, unknown (sent, no answer), planned."""
        default = DELIVERED if self.result.success else FAILED
        return str(getattr(self.result, "status", default) or default)

    @property
    def rows_skipped(self) -> int:
        return int(getattr(self.result, "rows_skipped", 0))

    def as_dict(self) -> dict[str, Any]:
        return {"ordinal": self.ordinal, "first_row": self.first_row, "rows": self.rows,
                "status": self.status, "rows_delivered": self.result.rows_delivered,
                "rows_skipped": self.rows_skipped, "rows_rejected": self.rows_rejected,
                "bytes": self.bytes,
                "attempts": int(getattr(self.result, "attempts", 1)),
                "retries": list(getattr(self.result, "retries", [])),
                "checksum": self.result.checksum,
                "idempotency_key": self.result.idempotency_key,
                "success": self.result.success}


@dataclass
class DestinationReport:
    name: str
    sink_type: str
    source_table: str | None
    dry_run: bool
    result: EgressResult
    snapshot_id: int | None = None
    rows_read: int = 0
    batches: list[BatchReport] = field(default_factory=list)
    interrupted: bool = False
    connector: dict[str, Any] = field(default_factory=dict)  # which plugin served it, and why
    first_row: int = 0  # of a slice; rows_read counts from here
    sync: dict[str, Any] | None = None  # diff-based sync: counts, sample keys, notes
    rows_planned: int | None = None  # rows this run sends, when fewer than those read
    rows_deleted: int = 0
    rejects_file: str | None = None
    delete_errors: list[str] = field(default_factory=list)

    @property
    def rows_to_send(self) -> int:
        return self.rows_read if self.rows_planned is None else self.rows_planned

    @property
    def rows_rejected(self) -> int:
        return sum(b.rows_rejected for b in self.batches)

    @property
    def rows_skipped(self) -> int:
        return sum(b.rows_skipped for b in self.batches)

    def as_dict(self) -> dict[str, Any]:
        result = {k: v for k, v in asdict(self.result).items()
                  if k in EgressResult.__dataclass_fields__}
        return {"name": self.name, "sink_type": self.sink_type, "connector": self.connector,
                **result,
                "rows_skipped": self.rows_skipped,
                "skipped_batches": [b.ordinal for b in self.batches if b.status == SKIPPED],
                "source_table": self.source_table, "snapshot_id": self.snapshot_id,
                "rows_read": self.rows_read, "dry_run": self.dry_run,
                "interrupted": self.interrupted, "sync": self.sync,
                "rows_to_send": self.rows_to_send, "rows_deleted": self.rows_deleted,
                "rows_rejected": self.rows_rejected, "rejects_file": self.rejects_file,
                "batches": [b.as_dict() for b in self.batches]}


@dataclass
class RunReport:
    artifact: str
    product: dict[str, Any]
    dry_run: bool
    destinations: list[DestinationReport]
    interrupted_by: str | None = None  # "SIGINT" or "SIGTERM"

    @property
    def success(self) -> bool:
        return self.interrupted_by is None and all(d.result.success for d in self.destinations)

    def as_dict(self) -> dict[str, Any]:
        return {"artifact": self.artifact,
                "product": {k: self.product.get(k) for k in ("name", "version")},
                "dry_run": self.dry_run, "success": self.success,
                "interrupted_by": self.interrupted_by,
                "destinations": [d.as_dict() for d in self.destinations]}


def run_artifact(artifact: Artifact, names: Iterable[str], options: RunOptions,
                 progress: Progress | None = None) -> RunReport:
    """Run the named destinations (all when `names` is empty), in artifact order."""
    wanted = list(dict.fromkeys(names))
    known = [d.name for d in artifact.destinations]
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ArtifactError(f"{artifact.path}: no destination named {', '.join(unknown)} "
                            f"(destinations: {', '.join(known) or 'none'})")
    chosen = [d for d in artifact.destinations if not wanted or d.name in wanted]
    catalogs: dict[tuple[tuple[str, Any], ...], Any] = {}
    reports = []
    for chosen_destination in chosen:
        if options.stop is not None and options.stop.is_set():
            break  # interrupted: no further destination starts
        reports.append(run_destination(chosen_destination, options, progress or NoProgress(),
                                       catalogs))
    return RunReport(str(artifact.path), artifact.product, options.dry_run, reports)


def run_destination(destination: Destination, options: RunOptions, progress: Progress,
                    catalogs: dict[tuple[tuple[str, Any], ...], Any],
                    part: Slice | None = None) -> DestinationReport:
    """Run one destination: all of its current snapshot, or only `part` of a pinned one."""
    started = time.perf_counter()
    report = DestinationReport(destination.name, destination.sink_type,
                               destination.source_table, options.dry_run,
                               EgressResult(success=False))
    secret: Secret | None = None
    sink: Any = None  # None in a dry run
    connector: SinkConnector | None = None
    store: StateStore | None = None
    try:
        if not destination.source_table:
            raise RunError("no source_table: nothing to read")
        preferred = destination.config.get("connector")
        served = serving(destination.sink_type, str(preferred) if preferred else None)
        connector = served.connector
        report.connector = served.as_dict()
        catalog_config = connector.get_source_config(dict(options.catalog))
        key = tuple(sorted(catalog_config.items()))
        if key not in catalogs:
            catalogs[key] = open_catalog(catalog_config)
        table = _load_table(catalogs[key], destination.source_table, catalog_config)
        batch_size = destination.batch_size or DEFAULT_BATCH_SIZE
        # A diff needs the whole snapshot: a slice (an orchestrator's partition) sends its
        # rows in full, under the keys a whole run would use.
        if part is None and sync.key_columns(destination.config or {}):
            if destination.config.get("mode") == MIRROR \
                    and MIRROR not in modes_of_connector(connector):
                raise RunError(f"sink type '{destination.sink_type}' cannot delete, so it "
                               "cannot sync in mode mirror (FLOE-E211)")
            store = StateStore(options.state_url, create=not options.dry_run)
        if not options.dry_run:
            secret = read_secret(destination.connection_secret_ref, options.secrets_root)
            sink = connector.create_sink(SinkConfig(
                sink_type=destination.sink_type,
                connection_config={**destination.config, **secret.values},
                field_mapping=None,  # applied here, so connectors receive destination names
                retry_config=destination.retry_config,
                batch_size=batch_size))
        _stream(destination, connector, table, sink, batch_size, progress, report,
                options, store, part)
        report.result = _combine(report)
    except Exception as exc:  # one destination's failure must not stop the others
        if os.environ.get("FLOE_DEBUG"):
            raise
        report.result = _combine(report)  # what was delivered before the failure still counts
        report.result.success = False
        report.result.errors.append(
            str(exc) if isinstance(exc, EXPECTED) else f"{type(exc).__name__}: {exc}")
    finally:
        close_sink(sink)
        if connector is not None:
            close_connector(connector)  # a floe-core plugin's shutdown()
        if store is not None:
            store.close()
    if secret is not None:
        report.result.errors = [secret.scrub(e) for e in report.result.errors]
    report.result.duration_seconds = time.perf_counter() - started
    return report


def _load_table(catalog: Any, name: str, config: dict[str, Any]) -> Any:
    from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

    try:
        return catalog.load_table(name)
    except (NoSuchTableError, NoSuchNamespaceError, ValueError):
        raise RunError(f"table '{name}' not found in catalog "
                       f"{display_uri(str(config.get('uri', '')))}") from None


def _stream(destination: Destination, connector: SinkConnector, table: Any, sink: Any,
            batch_size: int, progress: Progress, report: DestinationReport,
            options: RunOptions, store: StateStore | None = None,
            part: Slice | None = None) -> None:
    """Read the current snapshot (or `part` of a pinned one) in batches and write each
    one (plan it, with no sink).

    With a sync state (`store`), read it whole, diff it and write only what the mode
    sends, then the deletes. Stops at the first batch that fails, then counts the rows
    it did not send.
    """
    stop = options.stop
    if part is None:
        snapshot = table.current_snapshot()
    else:
        snapshot = (table.snapshot_by_id(part.snapshot_id) if part.snapshot_id is not None
                    else None)
        if part.snapshot_id is not None and snapshot is None:
            raise RunError(f"snapshot {part.snapshot_id} of {destination.source_table} "
                           "no longer exists (expired?)")
    report.snapshot_id = snapshot.snapshot_id if snapshot else None
    mapping = destination.field_mapping
    columns = [f.name for f in table.schema().fields]
    missing = [c for c in mapping or {} if c not in columns]
    if missing:
        raise RunError(f"field_mapping names column(s) {', '.join(missing)} that "
                       f"{destination.source_table} does not have (it has: {', '.join(columns)})")
    rows = part.rows(batch_size) if part is not None else None
    reader = read_batches(table, tuple(mapping) if mapping else ("*",), report.snapshot_id,
                          rows)
    report.first_row = rows[0] if rows else 0
    first_ordinal = part.ordinals.start if part is not None else 0
    plan: sync.SyncPlan | None = None
    ahead: Generator[pa.Table, None, None] | None = None
    if store is not None:  # never with `part`: a diff needs the whole snapshot
        recovered = _settle_pending(connector, sink, store, destination.name)
        read = pa.Table.from_batches(list(reader), schema=getattr(reader, "schema", None))
        plan = sync.plan(destination, read, str(table.schema()), store, options.full_refresh)
        if recovered:
            plan.notes.append(f"{recovered} rows the previous run delivered but did not "
                              "record were found in the destination's ledger")
        report.sync, report.rows_read = plan.summary(), read.num_rows
        report.rows_planned = plan.to_send.num_rows
        # An empty first sync still writes once, so a SQL sink creates its table.
        starts = range(0, plan.to_send.num_rows or int(plan.first_sync), batch_size)
        batches: Iterator[pa.Table] = (plan.to_send.slice(start, batch_size) for start in starts)
        mapping = None  # the plan's rows are mapped already
    else:
        batches = ahead = read_ahead(rebatch(reader, batch_size))
    progress.start(destination.name, report.rows_planned if plan is not None
                   else _total_rows(snapshot) if part is None else None)
    # Batches are read one ahead in their own thread (`read_ahead`) and written from one
    # worker thread: signal handlers run only in the main thread, which then just waits;
    # a driver (ADBC) that traps SIGINT during its calls in the main thread never sees
    # it, and the batch in flight finishes or rolls back.
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="floe-write")
    position = 0  # rows of this run's batches before the current one
    failed = False
    keyed = plan is not None and store is not None and sink is not None
    upcoming: Ahead | None = None  # the batch written ahead in the state, sent next
    try:
        for ordinal, batch in enumerate(batches, start=first_ordinal):
            if stop is not None and stop.is_set():
                report.interrupted = True
                if plan is None:  # `batch` was read, not written
                    report.rows_read = _rows_in_stream(table, report, rows,
                                                       itertools.chain([batch], batches))
                break
            data = apply_field_mapping(batch, mapping)
            # Incremental: the batch's first row's index in the snapshot, so a batch
            # replanned after a crash (the state not yet advanced) gets the same key and
            # its ledger skips it.
            stable = (int(plan.source_rows[position].as_py())
                      if plan is not None and position < len(plan.source_rows) else ordinal)
            context = WriteContext(destination.name, report.snapshot_id, stable, stop)
            if keyed and plan is not None and store is not None and upcoming is None:
                upcoming = _ahead(destination.name, report.snapshot_id, stable, plan,
                                  position, data.num_rows)
                store.intend(destination.name, upcoming)  # the first batch
            isolation, size = writer.submit(
                _write, connector, sink, data, context, batch_size,
                upcoming.batch_key if upcoming is not None else None).result()
            result = _batch_result(isolation, data.num_rows)
            report.batches.append(BatchReport(ordinal, report.first_row + position,
                                              data.num_rows, size, result,
                                              len(isolation.rejected)))
            if isolation.rejected:
                at = [row for row, _ in isolation.rejected]
                report.rejects_file = str(write_rejects(
                    options.rejects_dir, destination.name, data.take(at),
                    [reason for _, reason in isolation.rejected]))
            if keyed and plan is not None and store is not None:
                # The state follows the ledger; in the same transaction, the next batch
                # is written ahead (none after a failure: this one stays, for the next run).
                following = position + data.num_rows
                upcoming = None
                if result.success and following < plan.to_send.num_rows \
                        and not (stop is not None and stop.is_set()):
                    upcoming = _ahead(destination.name, report.snapshot_id,
                                      int(plan.source_rows[following].as_py()), plan,
                                      following, min(batch_size,
                                                     plan.to_send.num_rows - following))
                spans = [(position + start, count) for start, count in isolation.delivered]
                store.advance(destination.name, taken(plan.keys, spans),
                              taken(plan.fingerprints, spans), upcoming)
            position += data.num_rows
            if plan is None:
                report.rows_read += data.num_rows
            progress.advance(data.num_rows)
            if not result.success:
                failed = True
                if plan is None:
                    report.rows_read = _rows_in_stream(table, report, rows, batches)
                break
        if plan is not None and store is not None and sink is not None and not failed:
            # Each batch's write-ahead replaced the one before; the last is accounted for.
            # After a failed batch it stays: the next run asks the destination.
            store.settle(destination.name)
        if plan is not None and store is not None and sink is not None and not failed \
                and not report.interrupted:
            if plan.mode == MIRROR:
                _delete(connector, sink, plan, store, report, batch_size, writer, options)
            elif plan.mode != INSERT:  # keys that left: sent again should they come back
                store.forget(destination.name, plan.left)
            if not report.delete_errors:
                store.set_meta(destination.name, plan.meta)
    finally:
        if ahead is not None:
            ahead.close()  # stops and joins the reading thread
        writer.shutdown()
        progress.finish()


def _delete(connector: SinkConnector, sink: Any, plan: sync.SyncPlan, store: StateStore,
            report: DestinationReport, batch_size: int, writer: ThreadPoolExecutor,
            options: RunOptions) -> None:
    """Mirror mode: delete the keys that left the source, in batches, after the rows."""
    delete = getattr(connector, "delete", None)
    if not plan.deletes.num_rows or not callable(delete):
        return
    for number, start in enumerate(range(0, plan.deletes.num_rows, batch_size)):
        if options.stop is not None and options.stop.is_set():
            report.interrupted = True
            return
        keys = plan.deletes.slice(start, batch_size)
        ordinal = len(report.batches) + number
        result: EgressResult = writer.submit(
            delete, sink, keys, destination=report.name, snapshot_id=report.snapshot_id,
            batch_ordinal=ordinal, stop=options.stop).result()
        if not result.success:
            report.delete_errors += [f"deleting keys {start}..{start + keys.num_rows - 1}: {e}"
                                     for e in result.errors[-1:]] or ["delete failed"]
            return
        store.forget(report.name, plan.delete_keys.slice(start, keys.num_rows))
        report.rows_deleted += keys.num_rows


def rebatch(reader: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.Table]:
    """Tables of exactly `size` rows (the last may be shorter); at least one, maybe empty.

    Holds at most one incoming record batch and one outgoing table at a time.
    """
    pending: list[pa.RecordBatch] = []
    count = 0
    sent = False
    schema = getattr(reader, "schema", None)
    for batch in reader:
        schema = batch.schema
        while batch.num_rows:
            take = min(size - count, batch.num_rows)
            pending.append(batch.slice(0, take))
            count += take
            batch = batch.slice(take)
            if count == size:
                yield pa.Table.from_batches(pending)
                pending, count, sent = [], 0, True
    if count or not sent:
        # An empty source still gets one (empty) write, so a SQL sink creates its table.
        yield pa.Table.from_batches(pending, schema=schema)


def _settle_pending(connector: SinkConnector, sink: Any, store: StateStore,
                    name: str) -> int:
    """Account for the batch a previous run wrote ahead and did not settle (it stopped
    between a batch's COMMIT and the state's update, say): the rows of it the
    destination holds go into the state, so that they are not sent again, under a new
    key, from a newer snapshot. A connector that cannot tell (no `delivered_rows`) gets
    them again, as before. Returns the rows recorded."""
    if sink is None:  # a dry run reads the state, never writes it
        return 0
    ask = getattr(connector, "delivered_rows", None)

    def delivered(batch_key: str) -> list[tuple[int, int]] | None:
        found: list[tuple[int, int]] | None = ask(sink, batch_key) if callable(ask) else None
        return found

    return store.settle_pending(name, delivered)


def _ahead(name: str, snapshot_id: int | None, ordinal: int, plan: sync.SyncPlan,
           position: int, rows: int) -> Ahead:
    """The batch of `plan` at `position`, as written ahead in the state, under a key naming
    it: from the destination, the snapshot, the batch's first row and its rows'
    fingerprints, so that the same rows sent again from the same snapshot get the same
    name (and the ledger's overlap check sees them as the same batch)."""
    fingerprints = plan.fingerprints.slice(position, rows)
    content = sha256_hex("\n".join(fingerprints.to_pylist()).encode())
    return Ahead(idempotency_key(name, snapshot_id, f"sync {ordinal}", content),
                 plan.keys.slice(position, rows), fingerprints)


def _write(connector: SinkConnector, sink: Any, data: pa.Table, context: WriteContext,
           batch_size: int, named: str | None = None) -> tuple[Isolation, int]:
    """Write one batch, isolating rejected rows; with no sink (a dry run) only plan it.

    Returns (what became of it, bytes). A dry run computes the checksum and idempotency
    key the built-in connectors would report, from the same encoding, without
    connecting to anything.
    """
    if sink is None:
        predict = getattr(connector, "predict", None)
        if not callable(predict):  # a connector that cannot predict: rows only
            return Isolation([EgressResult(success=True)]), 0
        planned: EgressResult = predict(data, destination=context.destination,
                                        snapshot_id=context.snapshot_id,
                                        batch_ordinal=context.batch_ordinal,
                                        batch_size=batch_size)
        return (Isolation([dataclasses.replace(planned, bytes_transmitted=0)]),
                planned.bytes_transmitted)

    def write(rows: pa.Table, offset: int, batch_key: str | None, piece: bool) -> EgressResult:
        extra: dict[str, Any] = {} if batch_key is None else {"batch_key": batch_key}
        if piece:
            extra.update(batch_offset=offset, piece=True)
        try:
            result: EgressResult = connector.write(
                sink, rows, destination=context.destination, snapshot_id=context.snapshot_id,
                batch_ordinal=context.batch_ordinal, stop=context.stop, **extra)
            return result
        except Exception as exc:  # a connector bug fails its batch; earlier ones still count
            if os.environ.get("FLOE_DEBUG"):
                raise
            return EgressResult(success=False, errors=[f"{type(exc).__name__}: {exc}"])

    isolation = isolate(write, data, named)
    return isolation, sum(r.bytes_transmitted for r in isolation.results)


def _batch_result(isolation: Isolation, rows: int) -> EgressResult:
    """One result for a batch, however many writes isolating its rejects took."""
    results = isolation.results
    if len(results) == 1 and not isolation.rejected:
        return results[0]
    first = results[0]
    if isolation.failure is not None:
        failure = isolation.failure
        return EgressOutcome(
            success=False, rows_delivered=isolation.rows_delivered,
            bytes_transmitted=sum(r.bytes_transmitted for r in results),
            checksum=first.checksum, idempotency_key=first.idempotency_key,
            errors=failure.errors, status=str(getattr(failure, "status", FAILED) or FAILED),
            attempts=sum(int(getattr(r, "attempts", 1)) for r in results))
    delivered = [r for r in results if r.success]
    return EgressOutcome(
        success=True, rows_delivered=sum(r.rows_delivered for r in delivered),
        bytes_transmitted=sum(r.bytes_transmitted for r in results),
        checksum=sha256_hex("\n".join(r.checksum for r in delivered).encode()),
        delivery_timestamp=next((r.delivery_timestamp for r in reversed(delivered)
                                 if r.delivery_timestamp), ""),
        idempotency_key=first.idempotency_key,
        destination_record_ids=[i for r in delivered for i in r.destination_record_ids],
        errors=[f"{len(isolation.rejected)} of {rows} rows rejected"] if isolation.rejected
        else [], status=DELIVERED,
        attempts=sum(int(getattr(r, "attempts", 1)) for r in results),
        rows_skipped=sum(int(getattr(r, "rows_skipped", 0)) for r in delivered))


def join_slices(parts: Iterable[DestinationReport]) -> DestinationReport:
    """The report of a whole destination from the reports of its slices (of one snapshot):
    the same report, checksum and key included, as one run of all its batches."""
    ordered = sorted(parts, key=lambda p: p.first_row)
    if not ordered:
        raise ValueError("no slices to join")
    first = ordered[0]
    report = DestinationReport(first.name, first.sink_type, first.source_table, first.dry_run,
                               EgressResult(success=False), first.snapshot_id,
                               sum(p.rows_read for p in ordered),
                               [b for p in ordered for b in p.batches],
                               any(p.interrupted for p in ordered))
    report.result = _combine(report)
    report.result.success = all(p.result.success for p in ordered)
    report.result.errors = [e for p in ordered for e in p.result.errors]
    report.result.duration_seconds = max(p.result.duration_seconds for p in ordered)
    return report


def _combine(report: DestinationReport) -> EgressResult:
    """One EgressResult for the destination, from those of its batches.

    `checksum` is the sha256 of the batches' checksums, one per line, in order.
    """
    batches = report.batches
    if not batches:
        if report.rows_planned is not None and not report.interrupted:  # nothing changed
            return EgressResult(success=not report.delete_errors,
                                errors=list(report.delete_errors))
        return EgressResult(success=False, errors=[
            "interrupted before the first batch"] if report.interrupted else [])
    results = [b.result for b in batches]
    delivered = sum(r.rows_delivered for r in results)
    done = delivered + report.rows_skipped
    errors: list[str] = []
    failed = next((b for b in batches if not b.result.success), None)
    if failed is None and report.interrupted:
        rest = sum(b.rows for b in batches)
        unsent = row_span(report.first_row + rest, report.rows_to_send - rest)
        errors.append(f"interrupted: {unsent} not sent "
                      "(rerun to resume)")
    if failed is not None:
        undelivered = report.rows_to_send - done - report.rows_rejected
        errors.append(f"{'partial: ' if done else ''}{undelivered} rows failed"
                      + (f" ({failed.rows} of them unknown: sent, no answer)"
                         if failed.status == UNKNOWN else ""))
        where = f"batch {failed.ordinal} ({row_span(failed.first_row, failed.rows)})"
        errors += [f"{where}: {e}" for e in failed.result.errors] or [f"{where}: failed"]
        rest = failed.first_row + failed.rows
        end = report.first_row + report.rows_to_send
        if rest < end:
            errors.append(f"{row_span(rest, end - rest)}: not sent after the "
                          "failure")
    if report.rows_rejected:
        errors.append(f"{report.rows_rejected} rows rejected by the destination (rows and "
                      f"reasons in {report.rejects_file}); they are sent again next run")
    errors += report.delete_errors
    keys = sha256_hex("\n".join(r.idempotency_key for r in results).encode())
    return EgressResult(
        success=(failed is None and not report.interrupted and not report.rows_rejected
                 and not report.delete_errors),
        rows_delivered=delivered,
        bytes_transmitted=sum(r.bytes_transmitted for r in results),
        checksum=sha256_hex("\n".join(r.checksum for r in results).encode()),
        delivery_timestamp=next((r.delivery_timestamp for r in reversed(results)
                                 if r.delivery_timestamp), ""),
        idempotency_key=idempotency_key(report.name, report.snapshot_id, "all", keys),
        destination_record_ids=[i for r in results for i in r.destination_record_ids],
        errors=errors)


def _rows_in_stream(table: Any, report: DestinationReport, rows: tuple[int, int] | None,
                    unread: Iterator[pa.Table]) -> int:
    """All the rows a run stopped early would have read: counted from the snapshot's
    metadata, or, where a delete file applies, by reading the rest (`unread`). Reading a
    large table to the end only to count it held an interrupted run for as long."""
    counted = stream_rows(table, report.snapshot_id, rows)
    if counted is not None:
        return counted
    return report.rows_read + sum(int(b.num_rows) for b in unread)


def _total_rows(snapshot: Any) -> int | None:
    if snapshot is None:
        return 0
    summary = getattr(snapshot, "summary", None)
    try:
        return int(summary["total-records"]) if summary is not None else None
    except (KeyError, TypeError, ValueError):
        return None
