"""`rest_api` against a real local HTTP server: retries, Retry-After, idempotency keys."""

from __future__ import annotations

import hashlib
import json
import socket
import time
from typing import Any

import pyarrow as pa
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from floe_compiler.sinks import EgressResult, SinkConfig, SinkConfigurationError, close_sink
from floe_compiler.sinks.rest_api import RestApiConnector
from tests.conftest import TINY_RETRY

CONTEXT = {"destination": "salesforce-sync", "snapshot_id": 11, "batch_ordinal": 3}
TOKEN = "tok-s3cr3t-value"


def accounts(count: int = 3) -> pa.Table:
    return pa.table({"External_Id__c": [f"C{i:03d}" for i in range(count)],
                     "Lifetime_Value__c": [10.5 * i for i in range(count)]})


def write(server: HTTPServer, data: pa.Table, retry: dict[str, Any] | None = None,
          **settings: Any) -> EgressResult:
    connector = RestApiConnector()
    batch_size = settings.pop("batch_size", None)
    config = {"base_url": server.url_for("/"), "token": TOKEN, "path": "/accounts", **settings}
    sink = connector.create_sink(SinkConfig("rest_api", config, batch_size=batch_size,
                                            retry_config=retry or TINY_RETRY))
    try:
        return connector.write(sink, data, **CONTEXT)
    finally:
        close_sink(sink)


def replies(server: HTTPServer, *responses: Response) -> None:
    """Answer POST /accounts with these responses in turn, then with the last one forever."""
    queue = list(responses)

    def answer(request: Request) -> Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    server.expect_request("/accounts", method="POST").respond_with_handler(answer)


def received(server: HTTPServer) -> list[Request]:
    return [request for request, _ in server.log]


def ok(body: Any = None) -> Response:
    return Response(json.dumps(body or {"ok": True}), 200, content_type="application/json")


def test_rows_arrive_as_json_with_auth_and_an_idempotency_key(httpserver: HTTPServer) -> None:
    replies(httpserver, ok())
    result = write(httpserver, accounts())
    assert result.success and result.rows_delivered == 3
    [request] = received(httpserver)
    assert json.loads(request.data) == [
        {"External_Id__c": "C000", "Lifetime_Value__c": 0.0},
        {"External_Id__c": "C001", "Lifetime_Value__c": 10.5},
        {"External_Id__c": "C002", "Lifetime_Value__c": 21.0}]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == result.idempotency_key
    assert result.bytes_transmitted == len(request.data)
    assert result.checksum == hashlib.sha256(request.data).hexdigest()


def test_429_waits_for_retry_after_and_resends_the_same_key(httpserver: HTTPServer) -> None:
    replies(httpserver, Response("slow down", 429, headers={"Retry-After": "1"}), ok())
    started = time.monotonic()
    result = write(httpserver, accounts())  # backoff alone would wait at most 0.05 s
    elapsed = time.monotonic() - started
    assert result.success, result.errors
    first, second = received(httpserver)
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] \
        == result.idempotency_key
    assert first.data == second.data
    assert elapsed >= 0.95


def test_5xx_is_retried_with_backoff_until_it_succeeds(httpserver: HTTPServer) -> None:
    replies(httpserver, Response("", 503), Response("", 502), ok())
    result = write(httpserver, accounts())
    assert result.success, result.errors
    keys = {r.headers["Idempotency-Key"] for r in received(httpserver)}
    assert len(received(httpserver)) == 3 and keys == {result.idempotency_key}


def test_retries_run_out(httpserver: HTTPServer) -> None:
    replies(httpserver, Response("", 500))
    result = write(httpserver, accounts())
    assert not result.success and result.rows_delivered == 0
    assert result.errors == ["3 rows failed",
                             "rows 1-3: HTTP 500 from POST /accounts (gave up after 3 attempts)"]
    assert len(received(httpserver)) == 3


def test_client_error_is_not_retried(httpserver: HTTPServer) -> None:
    replies(httpserver, Response('{"error": "Lifetime_Value__c:  must be >= 0"}', 400))
    result = write(httpserver, accounts())
    assert len(received(httpserver)) == 1
    assert result.errors[1] == \
        'rows 1-3: HTTP 400 from POST /accounts: {"error": "Lifetime_Value__c: must be >= 0"}'


def test_partial_failure_counts_every_row(httpserver: HTTPServer) -> None:
    replies(httpserver, ok(), ok(), Response("bad batch", 422))
    result = write(httpserver, accounts(25), batch_size=10)
    assert not result.success
    assert result.rows_delivered == 20
    assert result.errors == ["partial: 5 rows failed",
                             "rows 21-25: HTTP 422 from POST /accounts: bad batch"]
    keys = [r.headers["Idempotency-Key"] for r in received(httpserver)]
    assert len(set(keys)) == 3  # one key per request


def test_failure_before_the_end_says_which_rows_were_not_sent(httpserver: HTTPServer) -> None:
    replies(httpserver, ok(), Response("no", 403))
    result = write(httpserver, accounts(25), batch_size=10)
    assert result.errors == ["partial: 15 rows failed",
                             "rows 11-20: HTTP 403 from POST /accounts: no",
                             "rows 21-25: not sent after the failure"]
    assert len(received(httpserver)) == 2


def test_record_ids_come_from_the_response(httpserver: HTTPServer) -> None:
    replies(httpserver, ok({"results": [{"id": "001A"}, {"id": "001B"}, {"id": 3}]}))
    result = write(httpserver, accounts(), record_ids_field="results.id")
    assert result.destination_record_ids == ["001A", "001B", "3"]


def test_nan_is_refused_before_sending(httpserver: HTTPServer) -> None:
    replies(httpserver, ok())
    result = write(httpserver, pa.table({"x": [1.0, float("nan")]}))
    assert result.errors == ["2 rows failed", "rows 1-2: row 2, column 'x': nan has no JSON form"]
    assert received(httpserver) == []


def test_unreachable_server_is_retried_then_reported() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    connector = RestApiConnector()
    sink = connector.create_sink(SinkConfig("rest_api", {"base_url": f"http://127.0.0.1:{port}"},
                                            retry_config=TINY_RETRY))
    result = connector.write(sink, accounts(), **CONTEXT)
    assert not result.success
    assert result.errors[1].startswith("rows 1-3: ConnectError")
    assert result.errors[1].endswith("(gave up after 3 attempts)")


def test_token_never_appears_in_errors(httpserver: HTTPServer) -> None:
    def echo(request: Request) -> Response:
        return Response(f"bad credentials {request.headers['Authorization']}", 401)

    httpserver.expect_request("/accounts").respond_with_handler(echo)
    result = write(httpserver, accounts())
    assert not result.success
    assert result.errors[1] == "rows 1-3: HTTP 401 from POST /accounts: bad credentials Bearer ****"


@pytest.mark.parametrize(("config", "message"), [
    ({}, "needs 'base_url'"),
    ({"base_url": "ftp://example.com"}, "needs 'base_url'"),
    ({"base_url": "http://x", "method": "DELETE"}, "config.method must be one of"),
    ({"base_url": "http://x", "timeout_seconds": 0}, "timeout_seconds"),
])
def test_unusable_config_is_refused(config: dict[str, Any], message: str) -> None:
    with pytest.raises(SinkConfigurationError, match=message):
        RestApiConnector().create_sink(SinkConfig("rest_api", config))


@pytest.mark.parametrize(("retry", "message"), [
    ({"max_attempt": 3}, "unknown key 'max_attempt' \\(did you mean 'max_attempts'\\?\\)"),
    ({"max_attempts": 0}, "max_attempts: expected an integer from 1 to 100"),
    ({"max_attempts": 1100}, "max_attempts: expected an integer from 1 to 100"),
    ({"initial_backoff_seconds": "fast"},
     "initial_backoff_seconds: expected a number of seconds from 0 to 3600"),
    ({"max_backoff_seconds": 1e308}, "max_backoff_seconds: expected a number of seconds"),
])
def test_bad_retry_config_is_refused(retry: dict[str, Any], message: str) -> None:
    with pytest.raises(SinkConfigurationError, match=message):
        RestApiConnector().create_sink(SinkConfig("rest_api", {"base_url": "http://x"},
                                                  retry_config=retry))

