"""Row-level rejects: isolate the rows a destination refuses, deliver the others.

When a batch fails for good (`failed`: the destination answered no, such as a REST
400/422 or a SQL constraint), it is cut in halves and each half written again, down
to single rows: a row that fails alone is rejected, with the destination's reason.
A failure that is not about rows stops the isolation: `unknown` (sent, no answer),
or every piece of a level of four or more failing while none has succeeded yet (a
destination-wide refusal, such as a 401, must not cost 2N requests).

The cut is deterministic, so a rerun of the same rows sends the same pieces under
the same idempotency keys. Each piece is written with the whole batch's key and where
its rows start in the batch (`batch_key`, `batch_offset`), which the ledger records: a
later write of the batch, or of a larger piece of it, whose rows overlap a piece
delivered under another key is refused (`ledger.Overlap`) and so cut the same way, and
the delivered pieces are skipped. That holds when the destination stops refusing (a
constraint dropped) and after a crash in the middle of the cut. A refusal that is not
the rows' doing (a lock held past the statement timeout, a table another writer was
creating at that moment) should not cost a cut either: a refused batch is first
written once more whole, under its own key, and cut only if refused again. Rejected
rows are written, with their reasons, as JSON lines under `.floe/rejects/`; their
values are the user's data and never printed.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from floe_compiler.sinks.base import EgressResult
from floe_compiler.sinks.delivery import FAILED, UNKNOWN

DEFAULT_REJECTS_DIR = Path(".floe/rejects")


@dataclass
class Isolation:
    """What became of one batch: the pieces delivered, the rows rejected."""

    results: list[EgressResult] = field(default_factory=list)  # every write, in order
    delivered: list[tuple[int, int]] = field(default_factory=list)  # (start, rows)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)
    failure: EgressResult | None = None  # a failure that is not about rows

    @property
    def rows_delivered(self) -> int:
        return sum(rows for _, rows in self.delivered)


def _status(result: EgressResult) -> str:
    return str(getattr(result, "status", "") or ("delivered" if result.success else FAILED))


# Writes `rows`, which start at row `offset` of their batch, named `batch_key` (None: a
# whole batch the runner does not name, whose key the connector makes); the last
# argument says whether the rows are a piece of it.
Write = Callable[[pa.Table, int, "str | None", bool], EgressResult]


def isolate(write: Write, data: pa.Table, named: str | None = None) -> Isolation:
    """Write `data`; if it fails for some rows, find them by bisection. `named`: the
    batch's key when the runner names it (incremental sync), for the whole batch and
    its pieces; else the pieces take the key the connector reported for the batch."""
    outcome = Isolation()
    first = write(data, 0, named, False)
    outcome.results.append(first)
    done = first.rows_delivered + int(getattr(first, "rows_skipped", 0))
    if first.success:
        outcome.delivered.append((0, data.num_rows))
        return outcome
    if done:
        outcome.delivered.append((0, done))
    if _status(first) == UNKNOWN or data.num_rows - done <= 0:
        outcome.failure = first
        return outcome
    batch_key = named or first.idempotency_key or None
    if not done:  # written once more whole: see the module's docstring
        again = write(data, 0, named, False)
        batch_key = batch_key or again.idempotency_key or None
        if again.success or _status(again) == UNKNOWN:
            outcome.results = [_attempted(again, first)]
            if again.success:
                outcome.delivered.append((0, data.num_rows))
            else:
                outcome.failure = outcome.results[0]
            return outcome
        outcome.results.append(again)
    if data.num_rows - done == 1:
        outcome.rejected.append((done, _reason(first)))
        return outcome
    level = _halves(done, data.num_rows - done)
    succeeded = bool(done)
    while level:
        failing: list[tuple[int, int]] = []
        for start, rows in level:
            result = write(data.slice(start, rows), start, batch_key, True)
            outcome.results.append(result)
            if result.success:
                outcome.delivered.append((start, rows))
                succeeded = True
                continue
            if _status(result) == UNKNOWN:
                outcome.failure = result
                return outcome
            if rows == 1:
                outcome.rejected.append((start, _reason(result)))
            else:
                failing.append((start, rows))
        if not succeeded and len(level) >= 4 and len(failing) == len(level):
            outcome.failure = first  # every piece refused: not about rows
            outcome.rejected.clear()
            return outcome
        level = [half for start, rows in failing for half in _halves(start, rows)]
    outcome.delivered.sort()
    outcome.rejected.sort()
    return outcome


def _attempted(result: EgressResult, earlier: EgressResult) -> EgressResult:
    """`result`, counting the refused write before it too: one attempt at least, and why
    it failed among the retries."""
    if not hasattr(result, "attempts"):
        return result
    return dataclasses.replace(  # type: ignore[call-arg]
        result, attempts=int(getattr(result, "attempts", 1))
        + max(1, int(getattr(earlier, "attempts", 1))),
        retries=["; ".join(earlier.errors) or "refused",
                 *getattr(result, "retries", [])])


def _halves(start: int, rows: int) -> list[tuple[int, int]]:
    middle = rows // 2
    return [(start, middle), (start + middle, rows - middle)]


def _reason(result: EgressResult) -> str:
    # The first error counts the rows; the reason follows (after "rows N..M: ").
    reasons = [e.partition(": ")[2] or e for e in result.errors[1:]] or result.errors
    return "; ".join(reasons) or "refused"


def write_rejects(directory: Path, destination: str, rows: pa.Table,
                  reasons: list[str]) -> Path:
    """Append the rejected rows with their reasons as JSON lines; return the file."""
    directory.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in destination)
    path = directory / f"{safe}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.jsonl"
    with path.open("a", encoding="utf-8") as out:
        for row, reason in zip(rows.to_pylist(), reasons, strict=True):
            out.write(json.dumps({"destination": destination, "reason": reason, "row": row},
                                 default=str, ensure_ascii=False) + "\n")
    return path
