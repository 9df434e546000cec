"""`rest_api`: POST rows as JSON arrays to an HTTP API, one request per batch.

connection_config: `base_url` and optional `token` (sent as `Authorization: Bearer`)
from the secret; `path` (default `/`), `method` (POST, PUT or PATCH; default POST),
`record_ids_field` (where the response lists the new records' ids, as a dotted path
such as `ids` or `results.id`, mapping over lists) and `timeout_seconds` (default 30)
from the destination's config.

Every request carries an `Idempotency-Key`: the same on each retry of a batch, and
the same when a rerun sends the same batch of the same snapshot. 408, 429 and 5xx
responses and connection failures are retried with exponential backoff, honouring
`Retry-After`; other 4xx responses fail the batch at once.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pyarrow as pa

from floe_compiler import __version__
from floe_compiler.credentials import mask_values
from floe_compiler.sinks.base import EgressResult, SinkConfig, SinkConfigurationError, SinkConnector
from floe_compiler.sinks.delivery import Chunk, DeliveryError, WriteContext, deliver
from floe_compiler.sinks.payload import apply_field_mapping, require_finite
from floe_compiler.sinks.retry import RetriesExhausted, RetryPolicy, TransientError

SINK_TYPE = "rest_api"
METHODS = ("POST", "PUT", "PATCH")
RETRY_STATUSES = frozenset({408, 429})
BODY_EXCERPT = 200  # characters of an error response shown to the user


@dataclass
class RestSink:
    client: httpx.Client
    secrets: list[str] = field(repr=False)  # masked in error messages
    path: str
    method: str
    record_ids_field: str | None
    field_mapping: dict[str, str] | None
    batch_size: int | None
    retry: RetryPolicy

    def close(self) -> None:
        self.client.close()


class RestApiConnector(SinkConnector):
    """Sends JSON batches to an HTTP API with retries and idempotency keys."""

    def list_available_sinks(self) -> list[str]:
        return [SINK_TYPE]

    def create_sink(self, config: SinkConfig) -> RestSink:
        if config.sink_type != SINK_TYPE:
            raise SinkConfigurationError(f"rest_api cannot serve sink_type '{config.sink_type}'")
        settings = config.connection_config
        base_url = settings.get("base_url")
        if not isinstance(base_url, str) or not _is_http_url(base_url):
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
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise SinkConfigurationError("config.timeout_seconds must be a positive number")
        headers = {"Content-Type": "application/json", "User-Agent": f"floe/{__version__}"}
        token = settings.get("token")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        client = httpx.Client(base_url=base_url, headers=headers, timeout=float(timeout))
        return RestSink(client, [base_url, *([token] if token else [])], path, method, ids_field,
                        config.field_mapping,
                        config.batch_size, RetryPolicy.from_config(config.retry_config))

    def write(self, sink: Any, data: pa.Table, **kwargs: Any) -> EgressResult:
        if not isinstance(sink, RestSink):
            raise TypeError("rest_api.write needs the sink from create_sink()")
        context = WriteContext.from_kwargs(kwargs)
        data = apply_field_mapping(data, sink.field_mapping)

        def send(chunk: Chunk) -> list[str]:
            try:
                require_finite(chunk.records)
                response = sink.retry.call(lambda: _request(sink, chunk), retry_on=_transient)
            except (ValueError, RetriesExhausted) as exc:  # NaN in a row; or out of attempts
                raise DeliveryError(str(exc)) from exc
            return _record_ids(response, sink.record_ids_field)

        return deliver(data.to_pylist(), context, sink.batch_size, send)

    def get_source_config(self, catalog_config: dict[str, Any]) -> dict[str, Any]:
        return dict(catalog_config)


def _request(sink: RestSink, chunk: Chunk) -> httpx.Response:
    """One attempt. Raises TransientError (retry) or DeliveryError (give up)."""
    try:
        response = sink.client.request(sink.method, sink.path, content=chunk.body,
                                       headers={"Idempotency-Key": chunk.idempotency_key})
    except httpx.TransportError as exc:
        raise TransientError(f"{type(exc).__name__}: {str(exc) or 'no detail'}") from exc
    status = response.status_code
    if status in RETRY_STATUSES or status >= 500:
        raise TransientError(f"HTTP {status} from {sink.method} {sink.path}",
                             retry_after=_retry_after(response.headers.get("Retry-After")))
    if status >= 400:
        # A server may echo the request, credentials included.
        excerpt = mask_values(" ".join(response.text.split()), sink.secrets)[:BODY_EXCERPT]
        raise DeliveryError(f"HTTP {status} from {sink.method} {sink.path}: {excerpt}")
    return response


def _transient(failure: BaseException) -> bool:
    return isinstance(failure, TransientError)


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
