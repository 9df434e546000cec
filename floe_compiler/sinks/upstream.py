"""Connectors written against floe-core (`floe_core.plugins.sink.SinkConnector`), run by us.

floe's own plugins (floe-ingestion-dlt's `DltIngestionPlugin`, ...) register under the
entry-point groups `floe.ingestion` and `floe.sinks`. When floe-core is installed,
`registry` wraps each such class in `UpstreamConnector`, which:

- honours the plugin's lifecycle: `startup()` before the first call, `shutdown()` when
  the run is done (`close()`);
- maps our `SinkConfig` to floe-core's field for field (floe-core validates it: a value
  it refuses, e.g. `batch_size` over 100,000, is a `SinkConfigurationError`);
- wraps every write in our delivery ledger and per-batch keys (below).

What the wrapping guarantees. Our built-in SQL connectors write a batch's rows and its
ledger row in ONE transaction, so each batch is delivered exactly once. A plugin's write
is not part of our transaction, so for it the ledger is a local SQLite file
(`local_ledger.py`: `.floe/deliveries.sqlite`, `$FLOE_LEDGER_PATH` or
`config.ledger_path` to move it) that records a batch's deterministic key after the
plugin reported it delivered. Hence:

- a batch the ledger holds is never sent again by a rerun of the same snapshot (the
  rerun reports it `skipped`), whatever the plugin;
- the batch in flight is delivered at least once: if the run dies after the plugin
  delivered it but before the ledger recorded it, or the plugin raised after a partial
  write (reported `unknown`), a rerun sends it again. A plugin whose destination
  deduplicates on our key (`write(..., idempotency_key=...)`) turns that into exactly once;
- the report's checksum and idempotency key are ours (sha256 of the batch's canonical
  Arrow IPC stream, and a key stable across reruns), not the plugin's.

A plugin's log lines (floe-ingestion-dlt prints structlog lines on stdout) are sent to
stderr, so `floe run`'s stdout stays one JSON report.

`get_source_config` is not delegated: floe-core's returns the plugin's own read settings
(`catalog_uri`, ...), not the pyiceberg catalog properties our runner opens; we read
the gold table ourselves.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_compiler.sinks import ledger, local_ledger
from floe_compiler.sinks.base import (
    EgressResult,
    SinkConfig,
    SinkConfigurationError,
    SinkConnector,
    close_sink,
)

if TYPE_CHECKING:
    import pyarrow as pa

UPSTREAM_GROUPS = ("floe.sinks", "floe.ingestion")
# Keys of a destination's `config` that are ours, never passed to the plugin.
OUR_KEYS = frozenset({"connector", "ledger_path"})


def upstream_base() -> type | None:
    """floe-core's SinkConnector, or None when floe-core is not installed."""
    try:
        from floe_core.plugins.sink import SinkConnector as UpstreamSinkConnector
    except Exception:  # not installed, or broken: no upstream connectors then
        return None
    return UpstreamSinkConnector if isinstance(UpstreamSinkConnector, type) else None


def is_upstream(target: Any) -> bool:
    """Whether an entry point's target is a floe-core SinkConnector (class or instance)."""
    base = upstream_base()
    if base is None:
        return False
    return isinstance(target, base) or (isinstance(target, type) and issubclass(target, base))


@dataclasses.dataclass
class UpstreamSink:
    """The plugin's sink handle, and where its deliveries are ledgered."""

    handle: Any
    sink_type: str
    target: str  # what the ledger's target_table column records
    ledger_path: Path

    def close(self) -> None:
        close_sink(self.handle)


class UpstreamConnector(SinkConnector):
    """One floe-core connector, as `floe run` and the contract kit use ours."""

    def __init__(self, plugin: Any) -> None:
        self.plugin = plugin
        self.started = False

    def start(self) -> None:
        if not self.started:
            startup = getattr(self.plugin, "startup", None)
            if callable(startup):
                with _logs_to_stderr():
                    startup()
            self.started = True

    def close(self) -> None:
        """Shut the plugin down (the runner calls this when it is done with it)."""
        if self.started:
            self.started = False
            shutdown = getattr(self.plugin, "shutdown", None)
            if callable(shutdown):
                with _logs_to_stderr():
                    shutdown()

    def list_available_sinks(self) -> list[str]:
        self.start()
        with _logs_to_stderr():
            return [str(t) for t in self.plugin.list_available_sinks()]

    def create_sink(self, config: SinkConfig) -> UpstreamSink:
        self.start()
        ours = {k: v for k, v in config.connection_config.items() if k in OUR_KEYS}
        theirs = to_upstream_config(dataclasses.replace(config, connection_config={
            k: v for k, v in config.connection_config.items() if k not in OUR_KEYS}))
        with _logs_to_stderr():
            handle = self.plugin.create_sink(theirs)
        target = str(config.connection_config.get("table") or config.sink_type)
        return UpstreamSink(handle, config.sink_type, target,
                            Path(str(ours.get("ledger_path") or local_ledger.default_path())))

    def write(self, sink: Any, data: pa.Table, **kwargs: Any) -> EgressResult:
        from floe_compiler.sinks.assurance import arrow_ipc, sha256_hex
        from floe_compiler.sinks.delivery import (
            DELIVERED,
            FAILED,
            SKIPPED,
            UNKNOWN,
            EgressOutcome,
            WriteContext,
        )

        if not isinstance(sink, UpstreamSink):
            raise TypeError("write() needs the sink create_sink() returned")
        context = WriteContext.from_kwargs(kwargs)
        checksum = sha256_hex(arrow_ipc(data))
        key = context.key(checksum)
        rows = int(data.num_rows)
        row = ledger.LedgerRow(key, sink.target, context.destination, context.snapshot_id,
                               context.batch_ordinal, rows, checksum,
                               context.batch_key or key, context.batch_offset)
        with local_ledger.opened(sink.ledger_path) as book:
            if local_ledger.holds(book, row):
                return EgressOutcome(success=True, checksum=checksum, idempotency_key=key,
                                     status=SKIPPED, attempts=0, rows_skipped=rows)
            overlap = local_ledger.overlap(book, row)
            if overlap is not None:
                return EgressOutcome(success=False, checksum=checksum, idempotency_key=key,
                                     status=FAILED, attempts=0,
                                     errors=[f"{rows} rows failed", str(overlap)])
            try:
                with _logs_to_stderr():
                    theirs = self.plugin.write(sink.handle, data,
                                               **{**kwargs, "idempotency_key": key})
            except Exception as exc:  # a non-transactional write may have half happened
                return EgressOutcome(success=False, checksum=checksum, idempotency_key=key,
                                     status=UNKNOWN if rows else FAILED, attempts=1,
                                     errors=[f"{type(exc).__name__}: {exc}"])
            result = from_upstream_result(theirs)
            if not result.success:
                return EgressOutcome(**{**_fields(result), "checksum": checksum,
                                        "idempotency_key": key}, status=FAILED, attempts=1)
            local_ledger.record(book, row)
        return EgressOutcome(**{**_fields(result), "checksum": checksum,
                                "idempotency_key": key}, status=DELIVERED, attempts=1)

    def delivered_rows(self, sink: Any, batch_key: str) -> list[tuple[int, int]] | None:
        """(first row, rows) of each write of the batch `batch_key` the plugin reported
        delivered (as our local ledger recorded them); None without a ledger file."""
        if not isinstance(sink, UpstreamSink):
            raise TypeError("delivered_rows() needs the sink create_sink() returned")
        if not sink.ledger_path.exists():
            return None
        with local_ledger.opened(sink.ledger_path) as book:
            return local_ledger.delivered(book, sink.target, batch_key)

    def predict(self, data: pa.Table, **kwargs: Any) -> EgressResult:
        """What `write` would report as checksum and key (for `floe run --dry-run`)."""
        from floe_compiler.sinks.assurance import arrow_ipc, sha256_hex
        from floe_compiler.sinks.delivery import WriteContext

        context = WriteContext.from_kwargs(
            {k: v for k, v in kwargs.items() if k in ("destination", "snapshot_id",
                                                      "batch_ordinal")})
        body = arrow_ipc(data)
        checksum = sha256_hex(body)
        return EgressResult(success=True, bytes_transmitted=len(body), checksum=checksum,
                            idempotency_key=context.key(checksum))

    def get_source_config(self, catalog_config: dict[str, Any]) -> dict[str, Any]:
        return catalog_config


def to_upstream_config(config: SinkConfig) -> Any:
    """floe-core's SinkConfig with the same fields; its validation errors are ours."""
    from floe_core.plugins.sink import SinkConfig as UpstreamSinkConfig

    values = {f.name: getattr(config, f.name) for f in dataclasses.fields(UpstreamSinkConfig)}
    try:
        return UpstreamSinkConfig(**values)
    except ValueError as exc:
        raise SinkConfigurationError(f"floe-core refuses the sink configuration: {exc}",
                                     source_type=config.sink_type) from None


def from_upstream_result(result: Any) -> EgressResult:
    """Our EgressResult with the fields of floe-core's (the same names, in the same order)."""
    if not dataclasses.is_dataclass(result) or isinstance(result, type):
        raise TypeError(f"write() returned {type(result).__name__}, not an EgressResult")
    names = {f.name for f in dataclasses.fields(EgressResult)}
    return EgressResult(**{k: v for k, v in dataclasses.asdict(result).items() if k in names})


def _fields(result: EgressResult) -> dict[str, Any]:
    return {f.name: getattr(result, f.name) for f in dataclasses.fields(EgressResult)}


@contextlib.contextmanager
def _logs_to_stderr() -> Iterator[None]:
    with contextlib.redirect_stdout(sys.stderr):
        yield
