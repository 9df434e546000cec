"""Database errors: transient or permanent, and described without row values.

Only transient failures are retried: a lost connection, a lock, a deadlock, a
serialization failure, a server shutting down or out of resources. A missing table,
a constraint violation or bad data fails at once: retrying cannot fix it.

Messages never carry row values: PostgreSQL's `DETAIL:` (`Key (customer_id)=(C150500)
already exists`, `Failing row contains (...)`), the SQL text and its context lines are
cut, and values quoted in the primary message are masked.
"""

from __future__ import annotations

import re

from floe_compiler.credentials import MASK

# SQLSTATE classes (or codes) worth retrying: connection exceptions, transaction
# rollbacks (serialization failure, deadlock), insufficient resources, operator
# intervention (shutdown, cannot connect now, statement cancelled), lock not available.
TRANSIENT_SQLSTATES = ("08", "40", "53", "57", "55P03", "HV000")
PERMANENT_SQLSTATES = ("08P01", "57014")  # protocol violation (bad data in COPY); cancelled
# SQLite primary result codes worth retrying: BUSY, LOCKED, IOERR, FULL, CANTOPEN, PROTOCOL.
TRANSIENT_SQLITE_CODES = frozenset({5, 6, 10, 13, 14, 15})
# ADBC status codes with no SQLSTATE: IO (connection lost or refused), CANCELLED, TIMEOUT.
TRANSIENT_ADBC_STATUSES = frozenset({10, 11, 12})

_CONTEXT_LINE = re.compile(r"^\s*(DETAIL|HINT|CONTEXT|LINE \d+|Query was|query|WHERE)\b",
                           re.IGNORECASE)
_QUERY_TEXT = re.compile(r"Failed to (?:execute|prepare) query '.*?'(?=: )", re.DOTALL)
_QUOTED_VALUE = re.compile(
    r"((?:invalid input syntax for type [\w ]+|invalid input value for enum [\w.\"]+|"
    r"value too long for type [\w ()]+|invalid byte sequence for encoding \"[\w-]+\")"
    r"(?::)?)\s*(\"(?:[^\"]|\"\")*\"|0x[0-9a-f ]+)", re.IGNORECASE)
_KEY_VALUES = re.compile(r"(Key \([^)]*\))=\((.*?)\)")
_FAILING_ROW = re.compile(r"Failing row contains \(.*\)", re.DOTALL)
MAX_MESSAGE = 300


def sqlstate(failure: BaseException) -> str | None:
    """The SQLSTATE of a driver error (ADBC, psycopg, or one SQLAlchemy wraps)."""
    for error in (failure, getattr(failure, "orig", None)):
        state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if isinstance(state, str) and state:
            return state
    return None


def is_transient(failure: BaseException) -> bool:
    """Whether retrying the same transaction may succeed."""
    state = sqlstate(failure)
    if state is not None:
        if state.startswith(PERMANENT_SQLSTATES):
            return False
        return state.startswith(TRANSIENT_SQLSTATES)
    orig = getattr(failure, "orig", None) or failure
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return (code & 0xFF) in TRANSIENT_SQLITE_CODES
    status = getattr(orig, "status_code", None)
    if status is not None:
        return int(status) in TRANSIENT_ADBC_STATUSES
    from sqlalchemy import exc as sa_exc

    if isinstance(failure, sa_exc.DBAPIError) and failure.connection_invalidated:
        return True
    # Without a code: PEP 249's OperationalError is the class of connection problems.
    return type(orig).__name__ == "OperationalError" or isinstance(
        failure, sa_exc.OperationalError | sa_exc.DisconnectionError)


def describe(failure: BaseException) -> str:
    """A database error in one line: the driver's message, no SQL, no row values."""
    orig = getattr(failure, "orig", None) or failure
    text = _QUERY_TEXT.sub("Failed to execute query", str(orig))
    lines = []
    for line in text.split("\n"):
        if _CONTEXT_LINE.match(line) or line.strip().startswith("[SQL"):
            break
        lines.append(line)
    message = " ".join(" ".join(lines).split())
    message = _FAILING_ROW.sub(f"Failing row contains ({MASK})", message)
    message = _KEY_VALUES.sub(rf"\1=({MASK})", message)
    message = _QUOTED_VALUE.sub(rf"\1 {MASK}", message)
    message = message.removesuffix(".").strip()
    state = sqlstate(failure)
    if state and f"SQLSTATE: {state}" not in message:
        message += f" (SQLSTATE {state})"
    message = f"{type(orig).__name__}: {message}"
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 3] + "..."
