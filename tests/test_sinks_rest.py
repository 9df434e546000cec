"""`rest_api` against a real local HTTP server: retries, Retry-After, idempotency keys."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from typing import Any

import pyarrow as pa
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from floe_compiler.sinks import EgressResult, SinkConfig, SinkConfigurationError, close_sink
from floe_compiler.sinks.rest_api import RestApiConnector
from floe_compiler.sinks.retry import RetriesExhausted, RetryPolicy, TransientError
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



# --- outcomes: what counts as delivered, what is unknown ------------------------------


def test_302_is_not_delivered_and_not_followed(httpserver: HTTPServer) -> None:
    replies(httpserver, Response("", 302, headers={"Location": "/login"}))
    result = write(httpserver, accounts())
    assert (result.success, result.rows_delivered, result.status) == (False, 0, "failed")
    assert result.errors[1] == ("rows 1-3: HTTP 302 redirect from POST /accounts to /login: "
                                "not delivered (floe follows only 307 and 308 redirects to the "
                                "same origin)")
    assert len(received(httpserver)) == 1  # neither followed nor retried


def test_307_to_the_same_origin_is_followed_with_the_same_body_and_key(
        httpserver: HTTPServer) -> None:
    replies(httpserver, Response("", 307, headers={"Location": "/v2/accounts"}))
    httpserver.expect_request("/v2/accounts", method="POST").respond_with_json({"ok": True})
    result = write(httpserver, accounts())
    assert result.success and result.rows_delivered == 3, result.errors
    first, second = received(httpserver)
    assert (first.path, second.path) == ("/accounts", "/v2/accounts")
    assert first.data == second.data
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert result.attempts == 1  # a redirect is not a retry


def test_308_to_another_origin_is_not_followed(httpserver: HTTPServer) -> None:
    mine = httpserver.url_for("/accounts")
    elsewhere = mine.replace("localhost", "127.0.0.1") if "localhost" in mine else \
        mine.replace("127.0.0.1", "localhost")
    replies(httpserver, Response("", 308, headers={"Location": elsewhere}))
    result = write(httpserver, accounts())
    assert not result.success and result.rows_delivered == 0
    assert "HTTP 308 redirect" in result.errors[1] and "not delivered" in result.errors[1]
    assert len(received(httpserver)) == 1


class RawServer:
    """A bare HTTP/1.1 server on 127.0.0.1: reads each request whole, then `answer`s it."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.bodies: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(30)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for _ in range(20):  # bounded: no test sends more requests
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(10)
                head = b""
                while b"\r\n\r\n" not in head:
                    head += connection.recv(65536)
                head, _, body = head.partition(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                while len(body) < length:
                    body += connection.recv(65536)
                self.bodies.append(body)
                self.answer(connection, len(self.bodies))

    def close(self) -> None:
        self.listener.close()


def raw_write(server: RawServer, retry: dict[str, Any] | None = None,
              **settings: Any) -> EgressResult:
    connector = RestApiConnector()
    sink = connector.create_sink(SinkConfig("rest_api", {"base_url": server.url, **settings},
                                            retry_config=retry or TINY_RETRY))
    try:
        return connector.write(sink, accounts(), **CONTEXT)
    finally:
        close_sink(sink)
        server.close()


def hang_up(connection: socket.socket, _number: int) -> None:
    """Read the whole request, then close without a word: the API may have stored it."""


def test_connection_dropped_after_the_body_is_read_is_unknown_not_failed() -> None:
    server = RawServer(hang_up)
    result = raw_write(server)
    assert (result.success, result.status, result.rows_delivered) == (False, "unknown", 0)
    assert len(server.bodies) == 3 and len(set(server.bodies)) == 1  # sent whole, 3 times
    assert result.attempts == 3
    assert result.errors[0] == "3 rows failed (3 of them unknown: sent, no answer)"
    assert result.errors[1].startswith("rows 1-3: no answer: RemoteProtocolError")
    assert result.errors[1].endswith("(gave up after 3 attempts)")
    assert result.retries == [f"attempt {n}: no answer: RemoteProtocolError: Server "
                              "disconnected without sending a response." for n in (1, 2)]


def test_a_retry_that_succeeds_after_no_answer_is_in_the_report() -> None:
    def answer(connection: socket.socket, number: int) -> None:
        if number > 1:
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    result = raw_write(RawServer(answer))
    assert (result.success, result.status, result.attempts) == (True, "delivered", 2)
    assert result.retries[0].startswith("attempt 1: no answer: RemoteProtocolError")


def test_timeout_seconds_bounds_the_whole_request_against_trickled_headers() -> None:
    def trickle(connection: socket.socket, _number: int) -> None:
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(60):  # one header byte every 0.1 s: each read is quick, the whole is not
            try:
                connection.sendall(b"X")
            except OSError:
                return
            time.sleep(0.1)

    started = time.monotonic()
    result = raw_write(RawServer(trickle), retry={"max_attempts": 1}, timeout_seconds=1)
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"a 1 s request took {elapsed:.1f} s"
    assert (result.success, result.status) == (False, "unknown")
    assert result.errors[1] == ("rows 1-3: no answer: ReadTimeout: no complete answer within "
                                "timeout_seconds (1 s) (gave up after 1 attempt)")


@pytest.mark.parametrize("token", ["tok-abc\nX-Injected: 1", "tok-abc\x00def"])
def test_a_token_with_a_newline_or_nul_is_refused_unprinted(token: str) -> None:
    with pytest.raises(SinkConfigurationError, match="secret key 'token' contains a newline, "
                                                     "NUL or another control character") as e:
        RestApiConnector().create_sink(SinkConfig("rest_api", {"base_url": "http://x",
                                                               "token": token}))
    assert "tok-abc" not in str(e.value)


def test_backoff_never_overflows() -> None:
    policy = RetryPolicy(max_attempts=100, initial_backoff_seconds=0.5, max_backoff_seconds=30)
    assert policy.delay(1025, None) == 30
    assert policy.delay(5000, None) == 30


def test_an_interrupt_ends_the_wait_between_retries() -> None:
    stop = threading.Event()
    calls = []

    def fails() -> None:
        calls.append(time.monotonic())
        stop.set()  # as SIGINT would, during the first attempt
        raise TransientError("HTTP 503")

    policy = RetryPolicy(max_attempts=5, initial_backoff_seconds=30)
    started = time.monotonic()
    with pytest.raises(RetriesExhausted, match=r"HTTP 503 \(interrupted after 1 attempt\)"):
        policy.call(fails, retry_on=lambda _: True, stop=stop)
    assert len(calls) == 1 and time.monotonic() - started < 5
