"""Retries with exponential backoff, shared by the built-in connectors.

`retry_config` keys (all optional): `max_attempts` (5, at most 100),
`initial_backoff_seconds` (0.5), `max_backoff_seconds` (30), and
`max_retry_after_seconds` (60): a server's `Retry-After` is honoured even beyond
`max_backoff_seconds`, up to this ceiling. Every wait is at most one hour.

A wait between attempts ends early when the run is interrupted (SIGINT/SIGTERM):
the failure in hand is then final.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from floe_compiler.diagnostics import did_you_mean
from floe_compiler.sinks.base import SinkConfigurationError

T = TypeVar("T")

MAX_ATTEMPTS = 100  # beyond this a destination is down, not flaky
MAX_WAIT_SECONDS = 3600.0


class TransientError(Exception):
    """A failure worth retrying; `retry_after` is the server's requested delay, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RetriesExhausted(Exception):
    """The last transient failure, after every attempt was used (or the run was stopped)."""

    def __init__(self, last: BaseException, attempts: int, interrupted: bool = False) -> None:
        why = "interrupted" if interrupted else "gave up"
        super().__init__(f"{last} ({why} after {attempts} attempt{'s' * (attempts != 1)})")
        self.last = last
        self.attempts = attempts


@dataclass
class Attempts:
    """What the retries of one action went through, for the report."""

    count: int = 0
    failures: list[str] = field(default_factory=list)  # why each failed attempt failed


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    initial_backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    max_retry_after_seconds: float = 60.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> RetryPolicy:
        defaults = cls()
        known = [f.name for f in fields(cls)]
        values: dict[str, Any] = {}
        for key, value in (config or {}).items():
            if key not in known:
                guess = did_you_mean(key, known)
                raise SinkConfigurationError(
                    f"retry_config: unknown key '{key}'"
                    + (f" (did you mean '{guess}'?)" if guess else ""))
            if isinstance(getattr(defaults, key), int):
                ok = isinstance(value, int) and not isinstance(value, bool) \
                    and 1 <= value <= MAX_ATTEMPTS
                expected = f"an integer from 1 to {MAX_ATTEMPTS}"
            else:
                ok = isinstance(value, int | float) and not isinstance(value, bool) \
                    and 0 <= value <= MAX_WAIT_SECONDS
                expected = f"a number of seconds from 0 to {MAX_WAIT_SECONDS:.0f}"
            if not ok:
                raise SinkConfigurationError(f"retry_config.{key}: expected {expected}")
            values[key] = value
        return cls(**values)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after_seconds)
        # 2 ** 60 already exceeds any ceiling: cap the exponent so it never overflows.
        growth = 2.0 ** min(attempt - 1, 60)
        return min(self.initial_backoff_seconds * growth, self.max_backoff_seconds)

    def call(self, action: Callable[[], T], retry_on: Callable[[BaseException], bool],
             attempts: Attempts | None = None, stop: threading.Event | None = None,
             describe: Callable[[BaseException], str] = str) -> T:
        """Run `action`, retrying failures `retry_on` accepts; raise RetriesExhausted at the end.

        Other exceptions propagate at once. `attempts`, when given, counts every try and
        records each failure as `describe` words it.
        """
        record = attempts if attempts is not None else Attempts()
        for number in range(1, self.max_attempts + 1):
            record.count += 1
            try:
                return action()
            except Exception as failure:
                if not retry_on(failure):
                    raise
                record.failures.append(describe(failure))
                if number == self.max_attempts:
                    raise RetriesExhausted(failure, number) from failure
                wait = self.delay(number, getattr(failure, "retry_after", None))
                if stop is None:
                    time.sleep(wait)
                elif stop.wait(wait):
                    raise RetriesExhausted(failure, number, interrupted=True) from failure
        raise AssertionError("unreachable: max_attempts >= 1")  # pragma: no cover
