"""What keeps `floe run` at the driver's speed without loosening its guarantees.

It reads the next batch from Iceberg while it writes the current one: one background
thread, a fixed number of batches ahead, gone when the run is; a read that fails
mid-run is reported as before, and the rerun duplicates nothing (a real Iceberg
catalog, a real SQLite destination). A run to a database does not import the HTTP
client.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from floe_compiler.runner.read_ahead import read_ahead
from tests.conftest import Lakehouse, Run, Secrets, destination, write_artifact
from tests.test_sinks_contract import read_table


class Source:
    """Numbers 0..count-1 (endless with count=None), counting what was read."""

    def __init__(self, count: int | None = None, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at
        self.pulled = 0
        self.closed = False
        self.error = OSError("data file 2 of 3 is gone")

    def __iter__(self) -> Iterator[int]:
        try:
            while self.count is None or self.pulled < self.count:
                if self.pulled == self.fail_at:
                    raise self.error
                self.pulled += 1
                yield self.pulled - 1
        finally:
            self.closed = True


def readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "floe-read"]


def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def test_the_next_item_is_read_while_the_current_one_is_used_and_no_further() -> None:
    source = Source(count=6)
    items = read_ahead(source, depth=1)
    seen = []
    for item in items:
        seen.append(item)
        # While this item is being written, the next one is read (if there is one) ...
        assert eventually(lambda: source.pulled >= min(len(seen) + 1, 6))
        time.sleep(0.02)
        # ... and never more than one waiting plus the one being read.
        assert source.pulled <= len(seen) + 2
    assert seen == list(range(6))
    assert source.closed and not readers()


def test_a_read_error_is_raised_where_its_item_would_have_come() -> None:
    source = Source(count=5, fail_at=2)
    seen = []
    with pytest.raises(OSError) as raised:
        for item in read_ahead(source):
            seen.append(item)
    assert raised.value is source.error  # the very exception, as a plain read raises it
    assert seen == [0, 1]  # every item before it first
    assert not readers()


def test_leaving_early_stops_the_reader_even_on_a_full_queue() -> None:
    source = Source()  # endless: the reader would never stop by itself
    items = read_ahead(source, depth=2)
    assert next(items) == 0
    assert eventually(lambda: source.pulled == 4)  # 2 waiting, 1 blocked on the full queue
    items.close()
    assert not readers()  # joined before close() returned
    assert source.closed
    assert source.pulled == 4


def test_nothing_is_read_before_the_first_item_is_asked_for() -> None:
    source = Source(count=3)
    items = read_ahead(source)
    assert (source.pulled, readers()) == (0, [])
    items.close()
    assert (source.pulled, readers()) == (0, [])
    with pytest.raises(ValueError, match="at least 1"):
        next(read_ahead(source, depth=0))


# --- a real run ------------------------------------------------------------------------


def numbers(lakehouse: Lakehouse, rows: int) -> Path:
    """gold.numbers: `files` data files of `rows` rows each; returns the middle one (the
    second read, whichever way the scan orders them)."""
    table = lakehouse.create("gold.numbers", pa.schema([("n", pa.int64())]).empty_table(),
                             append=False)
    for start in range(0, 3 * rows, rows):
        table.append(pa.table({"n": pa.array(range(start, start + rows), pa.int64())}))
    [second] = [path for path in (lakehouse.root / "warehouse").rglob("*.parquet")
                if pq.read_table(path).column("n")[0].as_py() == rows]
    return second


def test_a_data_file_that_fails_mid_run_is_reported_and_the_rerun_duplicates_nothing(
        run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets) -> None:
    second = numbers(lakehouse, rows=50)
    url = f"sqlite:///{tmp_path / 'dest.db'}"
    secrets("numbers-secret", {"url": url})
    artifact = write_artifact(tmp_path / "a.json", destination(
        "numbers", source_table="gold.numbers", batch_size=25,
        config={"table": "numbers", "mode": "insert"}))
    aside = second.rename(second.with_suffix(".aside"))  # read ahead while batch 1 is written

    failed = run("run", "--artifact", artifact, *lakehouse.options)
    assert failed.exit_code == 1
    assert "Traceback" not in failed.output
    [sent] = json.loads(failed.stdout)["destinations"]
    assert [(b["ordinal"], b["status"]) for b in sent["batches"]] == [(0, "delivered"),
                                                                      (1, "delivered")]
    assert sent["rows_delivered"] == 50
    [error] = sent["errors"]
    assert error.startswith(("FileNotFoundError: ", "OSError: ")), error
    assert second.name in error  # names the data file that could not be read
    delivered = sorted(r["n"] for r in read_table(url, "numbers"))
    assert delivered in (list(range(50)), list(range(100, 150)))  # the file read first

    aside.rename(second)
    rerun = run("run", "--artifact", artifact, *lakehouse.options)
    assert rerun.exit_code == 0, rerun.output
    [resent] = json.loads(rerun.stdout)["destinations"]
    assert (resent["rows_skipped"], resent["rows_delivered"]) == (50, 100)
    assert sorted(r["n"] for r in read_table(url, "numbers")) == list(range(150))
    assert not readers()


def test_a_run_to_a_database_never_imports_the_http_client(
        tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets) -> None:
    # `floe run` loads every connector to choose one; rest_api imports httpx (~0.1 s)
    # only when it creates a sink.
    import subprocess
    import sys

    lakehouse.seed(rows=10)
    secrets("warehouse-export-secret", {"url": f"sqlite:///{tmp_path / 'dest.db'}"})
    artifact = write_artifact(tmp_path / "a.json", destination())
    probe = ("import sys\nfrom floe_compiler.cli import cli\n"
             "try:\n    cli(sys.argv[1:])\nexcept SystemExit as exit:\n"
             "    print('exit', exit.code, 'httpx' in sys.modules, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", probe, "run", "--artifact", str(artifact),
                           *lakehouse.options], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, check=False)
    assert proc.stderr.splitlines()[-1] == "exit 0 False", proc.stderr
