"""`rest_api`: POST rows as JSON arrays to an HTTP API, one request per batch.

connection_config: `base_url` and optional `token` (sent as `Authorization: Bearer`)
from the secret; `path` (default `/`), `method` (POST, PUT or PATCH; default POST),
`record_ids_field` (where the response lists the new records' ids, as a dotted path
such as `ids` or `results.id`, mapping over lists) and `timeout_seconds` (default 30:
the total time one request may take, connecting, sending and reading included) from
the destination's config.

Every request carries an `Idempotency-Key`: the same on each retry of a batch, and
the same when a rerun sends the same batch of the same snapshot. 408, 429 and 5xx
responses and connection failures are retried with exponential backoff, honouring
`Retry-After`; other 4xx responses fail the batch at once. Only 2xx is delivered: a
307 or 308 to the same origin (scheme, host, port) is followed, keeping the method
and body; any other redirect fails the batch. A batch that was sent but got no
answer (the connection dropped or timed out after the body went out) is `unknown`,
not `failed`: the API may have stored it.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import pyarrow as pa

from floe_compiler import __version__
from floe_compiler.credentials import mask_values
from floe_compiler.sinks import local_ledger
from floe_compiler.sinks.base import EgressResult, SinkConfig, SinkConfigurationError, SinkConnector
from floe_compiler.sinks.delivery import (
    Chunk,
    DeliveryError,
    EgressOutcome,
    Sent,
    WriteContext,
    deliver,
)
from floe_compiler.sinks.ledger import LedgerRow
from floe_compiler.sinks.modes import INSERT, UPDATE, UPSERT
from floe_compiler.sinks.payload import (
    apply_field_mapping,
    encode_json,
    require_finite,
    row_span,
)
from floe_compiler.sinks.retry import Attempts, RetriesExhausted, RetryPolicy, TransientError

# httpx is imported when a sink is created: `floe run` loads every connector to choose
# one, and a run to a database never needs it (~0.1 s of start-up).
if TYPE_CHECKING:
    import httpx

    from floe_compiler.sinks.deadline import DeadlineTransport

SINK_TYPE = "rest_api"
METHODS = ("POST", "PUT", "PATCH")
RETRY_STATUSES = frozenset({408, 429})
KEEPING_REDIRECTS = frozenset({307, 308})  # the method and body are resent as they were
MAX_REDIRECTS = 5
MAX_TIMEOUT_SECONDS = 3600.0
BODY_EXCERPT = 200  # characters of an error response shown to the user


class Unanswered(TransientError):
    """The request went out but no response came back: it may have been applied."""

    PREFIX = "no answer: "


@dataclass
class RestSink:
    client: httpx.Client
    transport: DeadlineTransport
    secrets: list[str] = field(repr=False)  # masked in error messages
    path: str
    method: str
    record_ids_field: str | None
    field_mapping: dict[str, str] | None
    batch_size: int | None
    retry: RetryPolicy
    timeout: float
    ledger_path: Path = field(default_factory=local_ledger.default_path)  # see _noted_piece

    def close(self) -> None:
        self.client.close()


class RestApiConnector(SinkConnector):
    """Sends JSON batches to an HTTP API with retries and idempotency keys."""

    sync_modes = (INSERT, UPSERT, UPDATE)  # no deletes: mode mirror is refused (FLOE-E211)

    def list_available_sinks(self) -> list[str]:
        return [SINK_TYPE]

    def create_sink(self, config: SinkConfig) -> RestSink:
        if config.sink_type != SINK_TYPE:
            raise SinkConfigurationError(f"rest_api cannot serve sink_type '{config.sink_type}'")
        settings = config.connection_config
        base_url = settings.get("base_url")
        if not isinstance(base_url, str) or not _is_http_url(base_url) \
                or _has_control_character(base_url):
            raise SinkConfigurationError(
                "rest_api needs 'base_url' (an http:// or https:// URL, from the connection "
                "secret)")
        method = str(settings.get("method", "POST")).upper()
        if method not in METHODS:
            raise SinkConfigurationError(f"config.method must be one of {', '.join(METHODS)}")
        path = settings.get("path", "/")
        ids_field = settings.get("record_ids_field")
        timeout = settings.get("timeout_seconds", 30.0)
        if not isinstance(path, str) or (ids_field is not None and not isinstance(ids_field, str)):
            raise SinkConfigurationError("config.path and config.record_ids_field must be strings")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) \
                or not 0 < timeout <= MAX_TIMEOUT_SECONDS:
            raise SinkConfigurationError(
                f"config.timeout_seconds must be a number of seconds above 0 and at most "
                f"{MAX_TIMEOUT_SECONDS:.0f}")
        headers = {"Content-Type": "application/json", "User-Agent": f"floe/{__version__}"}
        token = settings.get("token")
        if token is not None and not isinstance(token, str):
            raise SinkConfigurationError("connection secret key 'token' must be text")
        if token and _has_control_character(token):
            # httpx would quote it in "Illegal header value ...": refuse it, unprinted.
            raise SinkConfigurationError(
                "connection secret key 'token' contains a newline, NUL or another control "
                "character, which no HTTP header may carry; fix the secret")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        retry = RetryPolicy.from_config(config.retry_config)
        import httpx

        from floe_compiler.sinks.deadline import DeadlineTransport

        transport = DeadlineTransport()
        client = httpx.Client(base_url=base_url, headers=headers, timeout=float(timeout),
                              transport=transport, follow_redirects=False)
        return RestSink(client, transport, [base_url, *([token] if token else [])], path,
                        method, ids_field, config.field_mapping, config.batch_size, retry,
                        float(timeout))

    def write(self, sink: Any, data: pa.Table, **kwargs: Any) -> EgressResult:
        if not isinstance(sink, RestSink):
            raise TypeError("rest_api.write needs the sink from create_sink()")
        context = WriteContext.from_kwargs(kwargs)
        data = apply_field_mapping(data, sink.field_mapping)
        try:
            require_finite(data)
        except ValueError as exc:  # NaN in a row: JSON cannot carry it
            return EgressOutcome(success=False, status="failed", errors=[
                f"{data.num_rows} rows failed", f"{_all_rows(data.num_rows)}: {exc}"])

        def send(chunk: Chunk) -> Sent:
            piece = _noted_piece(sink, context, chunk)
            attempts = Attempts()
            try:
                response = sink.retry.call(lambda: _request(sink, chunk), retry_on=_transient,
                                           attempts=attempts, stop=context.stop)
            except (DeliveryError, RetriesExhausted) as exc:
                unknown = attempts_unanswered(attempts)
                if piece is not None and not unknown:  # refused: not at the API
                    with local_ledger.opened(sink.ledger_path) as book:
                        local_ledger.forget(book, piece)
                raise DeliveryError(str(exc), unknown=unknown, attempts=attempts.count,
                                    retries=_retries(attempts, failed=True)) from exc
            return Sent(_record_ids(response, sink.record_ids_field), attempts=attempts.count,
                        retries=_retries(attempts, failed=False))

        return deliver(data, context, sink.batch_size, encode_json, send)

    def get_source_config(self, catalog_config: dict[str, Any]) -> dict[str, Any]:
        return dict(catalog_config)

    def predict(self, data: pa.Table, **kwargs: Any) -> EgressResult:
        """The checksum, key and bytes a write of `data` would report, without sending."""
        from floe_compiler.sinks.delivery import predicted

        return predicted(data, kwargs, encode_json)


def attempts_unanswered(attempts: Attempts) -> bool:
    return any(f.startswith(Unanswered.PREFIX) for f in attempts.failures)


def _retries(attempts: Attempts, failed: bool) -> list[str]:
    """Why each retried attempt failed (the last failure of a failed batch is its error)."""
    failures = attempts.failures[:-1] if failed else attempts.failures
    return [f"attempt {number}: {why}" for number, why in enumerate(failures, 1)]


def _request(sink: RestSink, chunk: Chunk) -> httpx.Response:
    """One attempt, following same-origin 307/308. Raises TransientError or DeliveryError."""
    import httpx

    target = sink.path
    sink.transport.start_deadline(sink.timeout)
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            response = sink.client.request(sink.method, target, content=bytes(chunk.body),
                                           headers={"Idempotency-Key": chunk.idempotency_key})
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TransientError(f"{type(exc).__name__}: {_detail(sink, exc)}") from exc
        except (httpx.WriteError, httpx.WriteTimeout) as exc:  # the body did not all go out
            raise TransientError(f"{type(exc).__name__}: {_detail(sink, exc)}") from exc
        except httpx.TimeoutException as exc:  # sent, then no complete answer in time
            raise Unanswered(f"{Unanswered.PREFIX}{type(exc).__name__}: no complete answer "
                             f"within timeout_seconds ({sink.timeout:g} s)") from exc
        except httpx.TransportError as exc:  # sent, then no (complete) answer
            raise Unanswered(f"{Unanswered.PREFIX}{type(exc).__name__}: "
                             f"{_detail(sink, exc)}") from exc
        status = response.status_code
        if 300 <= status < 400:
            where = str(response.request.url)
            location = urljoin(where, response.headers.get("Location", ""))
            if status in KEEPING_REDIRECTS and _same_origin(where, location):
                target = location
                continue
            raise DeliveryError(
                f"HTTP {status} redirect from {sink.method} {sink.path} to "
                f"{_display(sink, where, location)}: not delivered (floe follows only 307 and 308 "
                "redirects to the same origin)")
        if status in RETRY_STATUSES or status >= 500:
            raise TransientError(f"HTTP {status} from {sink.method} {sink.path}",
                                 retry_after=_retry_after(response.headers.get("Retry-After")))
        if status >= 400:
            # A server may echo the request, credentials included.
            excerpt = mask_values(" ".join(response.text.split()), sink.secrets)[:BODY_EXCERPT]
            raise DeliveryError(f"HTTP {status} from {sink.method} {sink.path}: {excerpt}")
        return response
    raise DeliveryError(f"more than {MAX_REDIRECTS} redirects from {sink.method} {sink.path}: "
                        "not delivered")


def _transient(failure: BaseException) -> bool:
    return isinstance(failure, TransientError)


def _detail(sink: RestSink, exc: Exception) -> str:
    return mask_values(" ".join(str(exc).split()), sink.secrets)[:BODY_EXCERPT] or "no detail"


def _same_origin(url: str, other: str) -> bool:
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def _display(sink: RestSink, where: str, url: str) -> str:
    """A redirect target for messages: its path, and its origin if another; no query."""
    parts = urlsplit(url)
    if _same_origin(where, url):
        return parts.path or "/"
    port = f":{parts.port}" if parts.port else ""
    return mask_values(f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}",
                       sink.secrets)


def _has_control_character(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _all_rows(count: int) -> str:
    return row_span(0, count)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _noted_piece(sink: RestSink, context: WriteContext, chunk: Chunk) -> LedgerRow | None:
    """Refuse a chunk that overlaps pieces of its batch sent earlier under other keys, and
    note a piece before it is sent (see `local_ledger`); the piece's row, or None."""
    piece = context.piece
    if not piece and not sink.ledger_path.exists():  # no piece was ever sent from here
        return None
    row = LedgerRow(chunk.idempotency_key, f"{sink.method} {sink.path}", context.destination,
                    context.snapshot_id, context.batch_ordinal, chunk.rows, chunk.checksum,
                    chunk.batch_key, chunk.first_row)
    with local_ledger.opened(sink.ledger_path) as book:
        overlap = local_ledger.overlap(book, row)
        if overlap is not None:
            raise DeliveryError(str(overlap))
        if piece:
            local_ledger.record(book, row)
    return row if piece else None


def _record_ids(response: httpx.Response, ids_field: str | None) -> list[str]:
    """Values at a dotted path in the JSON response; a list along the way maps over items."""
    if not ids_field:
        return []
    try:
        found: list[Any] = [response.json()]
    except ValueError:
        return []
    for part in ids_field.split("."):
        step: list[Any] = []
        for value in found:
            items = value if isinstance(value, list) else [value]
            step += [item[part] for item in items if isinstance(item, dict) and part in item]
        found = step
    flat = [v for value in found for v in (value if isinstance(value, list) else [value])]
    return [str(v) for v in flat if v is not None]


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
