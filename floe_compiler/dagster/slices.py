"""How one destination's pinned snapshot splits into slices that run in parallel.

Every slice is a range of batch ordinals on the grid a whole `floe run` uses (batch k
holds rows [k * batch_size, (k + 1) * batch_size) of the snapshot, in the order the
runner reads it). So each slice sends exactly the batches, and idempotency keys, that
`floe run` would send for those rows, and the ledger cannot tell a slice from a run:
a rerun, a retried slice or a re-executed one skips what was delivered, whichever of
them delivered it.

- `rows`: the batches split into `parts` ranges of (almost) equal size.
- `files`: cuts only where a data file starts (rounded down to the batch grid), so a
  slice reads mostly its own files; with fewer files than `parts`, fewer slices.

A snapshot with delete files has no row count per data file to cut by: it is one slice.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Literal

from floe_compiler.runner.catalog import data_file_rows
from floe_compiler.runner.run import Slice

SliceBy = Literal["rows", "files"]
WHOLE = range(0, 2**62)  # every batch: a slice as large as any table


def plan_slices(table: Any, snapshot_id: int | None, batch_size: int, parts: int,
                by: SliceBy = "rows") -> list[Slice]:
    if snapshot_id is None:  # an empty table: one (empty) batch creates the SQL table
        return [Slice(None, range(0, 1))]
    counts = data_file_rows(table, snapshot_id)
    if counts is None:
        return [Slice(snapshot_id, WHOLE)]
    batches = max(1, math.ceil(sum(counts) / batch_size))
    parts = max(1, min(parts, batches))
    if by == "rows":
        cuts = {batches * i // parts for i in range(parts)}
    else:
        starts = [sum(counts[:i]) for i in range(len(counts))]
        total = sum(counts)
        cuts = {0} | {_nearest(starts, total * i / parts) // batch_size
                      for i in range(1, parts)}
    bounds = sorted(cuts | {batches})
    return [Slice(snapshot_id, range(a, b)) for a, b in itertools.pairwise(bounds)
            if b > a]


def _nearest(starts: list[int], target: float) -> int:
    return min(starts, key=lambda start: abs(start - target))
