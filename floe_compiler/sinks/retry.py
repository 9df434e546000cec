"""Retries with exponential backoff, shared by the built-in connectors.

`retry_config` keys (all optional): `max_attempts` (5), `initial_backoff_seconds` (0.5),
`max_backoff_seconds` (30), and `max_retry_after_seconds` (60): a server's
`Retry-After` is honoured even beyond `max_backoff_seconds`, up to this ceiling.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from floe_compiler.diagnostics import did_you_mean
from floe_compiler.sinks.base import SinkConfigurationError

T = TypeVar("T")


class TransientError(Exception):
    """A failure worth retrying; `retry_after` is the server's requested delay, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RetriesExhausted(Exception):
    """The last transient failure, after every attempt was used."""

    def __init__(self, last: BaseException, attempts: int) -> None:
        super().__init__(f"{last} (gave up after {attempts} attempts)")
        self.last = last
        self.attempts = attempts


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
                ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
                expected = "an integer >= 1"
            else:
                ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
                expected = "a number >= 0"
            if not ok:
                raise SinkConfigurationError(f"retry_config.{key}: expected {expected}")
            values[key] = value
        return cls(**values)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after_seconds)
        return min(self.initial_backoff_seconds * 2.0 ** (attempt - 1), self.max_backoff_seconds)

    def call(self, action: Callable[[], T], retry_on: Callable[[BaseException], bool]) -> T:
        """Run `action`, retrying failures `retry_on` accepts; raise RetriesExhausted at the end.

        Other exceptions propagate at once.
        """
        from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

        def wait(state: RetryCallState) -> float:
            failure = state.outcome.exception() if state.outcome else None
            retry_after = failure.retry_after if isinstance(failure, TransientError) else None
            return self.delay(state.attempt_number, retry_after)

        def give_up(state: RetryCallState) -> T:
            failure = state.outcome.exception() if state.outcome else None
            assert failure is not None  # only called after a failed attempt
            raise RetriesExhausted(failure, state.attempt_number) from failure

        retrying = Retrying(stop=stop_after_attempt(self.max_attempts), wait=wait,
                            retry=retry_if_exception(retry_on), retry_error_callback=give_up)
        return retrying(action)
