"""The SinkConnector contract: push rows from an Iceberg gold table to an outside system.

Matches upstream floe-core's `floe_core.plugins.sink` seed data model field for
field (SinkConfig, EgressResult, SinkConnector's methods), and the error types of
floe's plugins (floe-ingestion-dlt's SinkConfigurationError, SinkWriteError,
SinkConnectionError) constructor for constructor, so a connector written for one works
with the other; `interop/test_same_surface.py` checks it against the real packages.
This module imports nothing heavy (pyarrow is named for type checkers only): `floe validate` and
`floe sinks` may import it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass
class SinkConfig:
    """How to reach one destination. Validated by the connector, not here (as upstream)."""

    sink_type: str
    # Holds secret values at run time (`url`, `token`, ...), so it is kept out of repr().
    connection_config: dict[str, Any] = field(default_factory=dict, repr=False)
    field_mapping: dict[str, str] | None = None  # source column -> destination field
    retry_config: dict[str, Any] | None = None
    batch_size: int | None = None  # rows per request or transaction; None = all at once


@dataclass
class EgressResult:
    """What one `write` delivered, with enough detail to audit and safely retry it."""

    success: bool
    rows_delivered: int = 0
    bytes_transmitted: int = 0
    duration_seconds: float = 0.0
    checksum: str = ""  # sha256 hex of the delivered payload
    delivery_timestamp: str = ""  # ISO-8601, UTC
    idempotency_key: str = ""  # the same for an identical rerun
    destination_record_ids: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class ErrorCategory(Enum):
    """How a sink error should be retried (the categories of floe's own plugins)."""

    TRANSIENT = "transient"  # retry: timeouts, 429/503, connection resets
    PERMANENT = "permanent"  # do not retry: bad credentials, missing resource
    PARTIAL = "partial"  # some rows arrived, some did not
    CONFIGURATION = "configuration"  # fix the configuration first


class SinkError(Exception):
    """Base of the sink errors; the constructor is floe's plugins' (`IngestionError`).

    The message never contains a secret value. `str(error)` is the message followed by
    the context given, e.g. "refused [source_type=rest_api]".
    """

    def __init__(self, message: str, *, source_type: str | None = None,
                 destination_table: str | None = None, pipeline_name: str | None = None,
                 category: ErrorCategory = ErrorCategory.PERMANENT) -> None:
        self.message = message
        self.source_type = source_type
        self.destination_table = destination_table
        self.pipeline_name = pipeline_name
        self.category = category
        context = [f"{name}={value}" for name, value in (
            ("source_type", source_type), ("destination_table", destination_table),
            ("pipeline", pipeline_name)) if value is not None]
        super().__init__(f"{message} [{', '.join(context)}]" if context else message)


class SinkConnectionError(SinkError):
    """The destination cannot be reached (while creating the sink or writing)."""

    def __init__(self, message: str, *, source_type: str | None = None,
                 destination_table: str | None = None, pipeline_name: str | None = None,
                 category: ErrorCategory = ErrorCategory.TRANSIENT) -> None:
        super().__init__(message, source_type=source_type, destination_table=destination_table,
                         pipeline_name=pipeline_name, category=category)


class SinkWriteError(SinkError):
    """A write failed (rate limit, timeout, partial failure)."""

    def __init__(self, message: str, *, source_type: str | None = None,
                 destination_table: str | None = None, pipeline_name: str | None = None,
                 category: ErrorCategory = ErrorCategory.TRANSIENT) -> None:
        super().__init__(message, source_type=source_type, destination_table=destination_table,
                         pipeline_name=pipeline_name, category=category)


class SinkConfigurationError(SinkError, ValueError):
    """A SinkConfig a connector cannot use. The message never contains a secret value.

    Also a ValueError, as a bad configuration value is (and as our connectors raised it).
    """

    def __init__(self, message: str, *, source_type: str | None = None,
                 destination_table: str | None = None, pipeline_name: str | None = None,
                 category: ErrorCategory = ErrorCategory.CONFIGURATION) -> None:
        super().__init__(message, source_type=source_type, destination_table=destination_table,
                         pipeline_name=pipeline_name, category=category)


class SinkConnector(ABC):
    """Opt-in mixin: any class (a plugin, or a plain class) implementing these four methods.

    Inherits only `ABC`, so it combines with any plugin base class; the runner finds
    connectors with `isinstance(obj, SinkConnector)`.

    `write` receives these keyword arguments from `floe run`, and must ignore ones it
    does not know (new ones may be added):

    - `destination` (str): the destination's name in floe.yaml;
    - `snapshot_id` (int | None): the Iceberg snapshot the rows were read from;
    - `batch_ordinal` (int): 0, 1, 2, ... for each batch of one run; in incremental
      sync (a destination with `config.primary_key`), the index in the snapshot of the
      batch's first row, so that a batch replanned after a crash keeps its key;
    - `stop` (threading.Event): set when the run is interrupted (SIGINT/SIGTERM); a
      connector should end waits (retry backoff) early and let the batch in flight
      finish or roll back.
    - `batch_key` (str): the name of the batch `data` is, or is a piece of. `floe run`
      names every batch of an incremental sync; for a piece of a batch it does not
      name, it passes the `idempotency_key` the connector reported for the batch;
    - `batch_offset` (int) and `piece` (True), when `data` is a piece of a batch the
      connector refused (`floe run` cuts such a batch to find the refused rows): the
      index of the piece's first row in the batch.

    A connector that records deliveries should record `batch_key` and the rows' place in
    the batch, and refuse a write whose rows overlap rows of the same batch delivered
    under another key, so that a rerun cuts the batch as before instead of writing rows
    twice (`floe_compiler.sinks.ledger`). It may also answer
    `delivered_rows(sink, batch_key)`: the (first row, rows) spans of that batch it
    holds, or None if it cannot tell; after a run stopped between delivering a batch and
    recording it in the sync state, the next run records those rows instead of sending
    them again.

    Derive `EgressResult.idempotency_key` from them and the payload hash
    (`floe_compiler.sinks.assurance.idempotency_key`), so that a rerun sends the same keys.
    A write delivers a prefix of its rows: on failure, `rows_delivered` says how many
    arrived and `errors` starts with "partial: N rows failed". A sink that holds
    connections should have a `close()` method; `floe run` calls it when done.
    """

    @abstractmethod
    def list_available_sinks(self) -> list[str]:
        """The `sink_type` values this connector serves, e.g. ["rest_api"]."""

    @abstractmethod
    def create_sink(self, config: SinkConfig) -> Any:
        """A configured destination handle; raise SinkConfigurationError if unusable."""

    @abstractmethod
    def write(self, sink: Any, data: pa.Table, **kwargs: Any) -> EgressResult:
        """Deliver `data` (already named as the destination expects) to `sink`."""

    @abstractmethod
    def get_source_config(self, catalog_config: dict[str, Any]) -> dict[str, Any]:
        """The Iceberg catalog properties to read the gold table with.

        `floe run` passes the catalog it was given (`type`, `uri`, `warehouse`, ...) and
        opens the catalog with what this returns; return it unchanged unless the
        connector needs different read settings.
        """


def close_sink(sink: Any) -> None:
    """Release what `create_sink` opened, for sinks that have a `close()` method."""
    closer = getattr(sink, "close", None)
    if callable(closer):
        closer()
