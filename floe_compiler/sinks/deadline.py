"""A total deadline per HTTP request, which httpx's per-operation timeouts do not give.

httpx's `timeout` bounds each socket operation: a server trickling its headers one
byte a second holds a 1 s request indefinitely. `DeadlineTransport` hands httpcore a
network backend whose every connect, read and write may last only until the
request's deadline, so the whole request (connect, send, headers, body) ends by then.
"""

from __future__ import annotations

import ssl
import time
import typing
from typing import Any

import httpcore
import httpx


class _Clock:
    def __init__(self) -> None:
        self.deadline: float | None = None
        self.total = 0.0

    def bound(self, timeout: float | None, expired: type[Exception]) -> float | None:
        """`timeout` cut to what is left before the deadline; `expired` once none is."""
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise expired(f"the request took longer than timeout_seconds ({self.total:g} s)")
        return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, clock: _Clock) -> None:
        self._stream = stream
        self._clock = clock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._clock.bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._clock.bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        bounded = self._clock.bound(timeout, httpcore.ConnectTimeout)
        return _Stream(self._stream.start_tls(ssl_context, server_hostname, bounded),
                       self._clock)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, clock: _Clock) -> None:
        self._backend = httpcore.SyncBackend()
        self._clock = clock

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: typing.Iterable[Any] | None = None
                    ) -> httpcore.NetworkStream:
        bounded = self._clock.bound(timeout, httpcore.ConnectTimeout)
        return _Stream(self._backend.connect_tcp(host, port, bounded, local_address,
                                                 socket_options), self._clock)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        bounded = self._clock.bound(timeout, httpcore.ConnectTimeout)
        return _Stream(self._backend.connect_unix_socket(path, bounded, socket_options),
                       self._clock)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, over a backend that enforces `start_deadline`."""

    def __init__(self) -> None:
        super().__init__()
        self._clock = _Clock()
        # httpx builds its pool without a backend parameter: rebuild it with ours.
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(),
                                             network_backend=_Backend(self._clock))

    def start_deadline(self, seconds: float) -> None:
        """Every request from now on must end within `seconds` of now."""
        self._clock.total = seconds
        self._clock.deadline = time.monotonic() + seconds
