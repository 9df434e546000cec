"""Exactly-once delivery, tried as an operator would: kill -9 a real `floe run` mid-run
and rerun it, lose the reply to COMMIT on the wire, interrupt with SIGINT/SIGTERM.
Real SQLite files, a real PostgreSQL cluster, a real TCP proxy on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Lakehouse, Secrets, destination, write_artifact

ROWS = 30_000
BATCH = 100  # 300 batches: a run lasts long enough to be interrupted mid-way
FLOE = Path(sys.executable).parent / "floe"


@dataclass
class Target:
    url: str  # SQLAlchemy URL, as the secret holds it
    table: str

    def count(self, sql: str) -> int:
        engine = sa.create_engine(self.url, connect_args=(
            {"timeout": 10} if self.url.startswith("sqlite") else {}))
        try:
            with engine.connect() as connection:
                return int(connection.execute(sa.text(sql)).scalar_one())
        except sa.exc.SQLAlchemyError:
            return 0  # not created yet, or locked by the writer for a moment
        finally:
            engine.dispose()

    def rows(self) -> tuple[int, int]:
        """(rows, distinct customer ids) in the destination table."""
        return (self.count(f'SELECT count(*) FROM "{self.table}"'),
                self.count(f'SELECT count(DISTINCT customer_id) FROM "{self.table}"'))

    def delivered_batches(self) -> int:
        return self.count("SELECT count(*) FROM _floe_deliveries "
                          f"WHERE target_table = '{self.table}'")


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "sqlite":
        yield Target(f"sqlite:///{tmp_path / 'dest.db'}", "customers")
    else:
        yield Target(request.getfixturevalue("postgres_server"),
                     request.getfixturevalue("postgres_table"))


def start_run(tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets, target: Target,
              mode: str, url: str | None = None) -> Callable[[], subprocess.Popen[str]]:
    """Seed the source, write the artifact and secret; return a function starting `floe run`."""
    lakehouse.seed(rows=ROWS)
    secrets("warehouse-export-secret", {"url": url or target.url})
    config: dict[str, Any] = {"table": target.table, "mode": mode}
    if mode == "upsert":
        config["primary_key"] = ["customer_id"]
    artifact = write_artifact(tmp_path / "a.json", destination(config=config, batch_size=BATCH))

    def popen() -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(FLOE), "run", "--artifact", str(artifact), *lakehouse.options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
            env={**os.environ, "FLOE_SECRETS_DIR": str(tmp_path / "secrets")})

    return popen


def wait_for_batches(process: subprocess.Popen[str], target: Target, batches: int) -> int:
    """Poll the ledger (bounded: 60 s) until `batches` are delivered; fail if the run ended."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before it could be interrupted"
        delivered = target.delivered_batches()
        if delivered >= batches:
            return delivered
        time.sleep(0.02)
    raise AssertionError(f"fewer than {batches} batches delivered in 60 s")


def finish(process: subprocess.Popen[str]) -> tuple[int, dict[str, Any], str]:
    stdout, stderr = process.communicate(timeout=120)
    assert "Traceback" not in stderr
    return process.returncode, (json.loads(stdout) if stdout.strip() else {}), stderr


@pytest.mark.parametrize("mode", ["insert", "upsert"])
def test_kill_9_mid_run_then_rerun_delivers_every_row_once(
        mode: str, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
        target: Target) -> None:
    popen = start_run(tmp_path, lakehouse, secrets, target, mode)
    crashed = popen()
    wait_for_batches(crashed, target, 20)
    crashed.send_signal(signal.SIGKILL)
    crashed.wait(timeout=30)
    committed = target.delivered_batches()
    assert 20 <= committed < ROWS // BATCH, "the kill must land mid-run"
    assert target.rows() == (committed * BATCH, committed * BATCH)  # no half batch

    code, report, stderr = finish(popen())
    assert code == 0, stderr
    [sent] = report["destinations"]
    if mode == "upsert":  # incremental: the sync state advanced with every delivered batch
        in_doubt = sent["rows_skipped"]  # killed between its COMMIT and the state's
        assert in_doubt in (0, BATCH)
        assert sent["rows_to_send"] == ROWS - committed * BATCH + in_doubt
        assert sent["skipped_batches"] == ([0] if in_doubt else [])
    else:
        assert sent["rows_skipped"] == committed * BATCH
        assert sent["skipped_batches"] == list(range(committed))
        assert f"skipped as already delivered in {ROWS // BATCH} batch(es)" in stderr
    assert sent["rows_delivered"] == ROWS - committed * BATCH
    assert target.rows() == (ROWS, ROWS)  # source rows == destination rows, no duplicate
    assert target.delivered_batches() == ROWS // BATCH


@pytest.mark.parametrize(("signal_number", "exit_code"),
                         [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_prints_what_was_delivered_and_exits_128_plus_the_signal(
        signal_number: signal.Signals, exit_code: int, tmp_path: Path, lakehouse: Lakehouse,
        secrets: Secrets) -> None:
    target = Target(f"sqlite:///{tmp_path / 'dest.db'}", "customers")
    popen = start_run(tmp_path, lakehouse, secrets, target, "insert")
    process = popen()
    wait_for_batches(process, target, 5)
    process.send_signal(signal_number)
    code, report, stderr = finish(process)
    assert code == exit_code, stderr
    assert "Aborted" not in stderr
    assert f"interrupted by {signal_number.name}; rerun to resume" in stderr
    assert (report["success"], report["interrupted_by"]) == (False, signal_number.name)
    [sent] = report["destinations"]
    assert sent["interrupted"] is True
    assert 5 <= len(sent["batches"]) < ROWS // BATCH
    assert all(b["status"] == "delivered" for b in sent["batches"])  # none cut in half
    assert target.rows()[0] == sent["rows_delivered"] == BATCH * len(sent["batches"])
    assert sent["errors"][0].startswith(f"interrupted: rows {sent['rows_delivered'] + 1}-{ROWS} "
                                        "not sent")
    code, report, _ = finish(popen())  # and the rerun resumes where it stopped
    assert code == 0
    assert report["destinations"][0]["rows_skipped"] == sent["rows_delivered"]
    assert target.rows() == (ROWS, ROWS)


def test_an_interrupted_run_does_not_read_the_rest_of_the_table(
        tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets) -> None:
    """What was not sent is counted from the snapshot's metadata: the run stops at once,
    never reading the data files it did not get to (here one is gone by then)."""
    from floe_compiler.runner.seed import SAMPLE_TABLE, sample_customers

    lakehouse.seed(rows=300)  # the older data file: read last
    [last] = (lakehouse.root / "warehouse").rglob("*.parquet")
    table = lakehouse.catalog().load_table(SAMPLE_TABLE)
    table.append(sample_customers(ROWS))  # newer: read first
    assert [t.file.record_count for t in table.refresh().scan().plan_files()] == [ROWS, 300]
    target = Target(f"sqlite:///{tmp_path / 'dest.db'}", "customers")
    popen = start_run(tmp_path, lakehouse, secrets, target, "insert")  # keeps the table
    process = popen()
    wait_for_batches(process, target, 5)
    last.rename(last.with_suffix(".aside"))  # not opened yet: the run never gets to it
    process.send_signal(signal.SIGINT)
    code, report, stderr = finish(process)
    assert code == 130, stderr
    [sent] = report["destinations"]
    assert sent["errors"] == [f"interrupted: rows {sent['rows_delivered'] + 1}-{ROWS + 300} "
                              "not sent (rerun to resume)"]
    assert sent["rows_read"] == ROWS + 300


class CommitDropper:
    """A TCP proxy to PostgreSQL that forwards the `nth` COMMIT, waits for the server's
    reply, then drops the connection without passing the reply on.

    With another `marker` and `forward=False`, it drops the connection on the `nth`
    message holding the marker instead, before the server sees it."""

    def __init__(self, host: str, port: int, nth: int, marker: bytes = b"COMMIT\x00",
                 forward: bool = True) -> None:
        self.upstream = (host, port)
        self.nth = nth
        self.marker, self.forward = marker, forward
        self.commits = 0  # messages seen holding the marker
        self.dropped = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _connect(self) -> socket.socket:
        host, port = self.upstream
        if host.startswith("/"):  # pg_virtualenv may hand out a Unix socket directory
            server = socket.socket(socket.AF_UNIX)
            server.connect(f"{host}/.s.PGSQL.{port}")
            return server
        return socket.create_connection((host, port))

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = self._connect()
            dropping = threading.Event()
            threading.Thread(target=self._to_server, args=(client, server, dropping),
                             daemon=True).start()
            threading.Thread(target=self._to_client, args=(server, client, dropping),
                             daemon=True).start()

    def _to_server(self, client: socket.socket, server: socket.socket,
                   dropping: threading.Event) -> None:
        try:
            while data := client.recv(65536):
                if self.marker in data:
                    with self.lock:
                        self.commits += 1
                        if self.commits == self.nth:
                            if not self.forward:
                                self.dropped += 1
                                break
                            dropping.set()
                server.sendall(data)
        except OSError:
            pass
        for side in (client, server):
            with contextlib.suppress(OSError):
                side.shutdown(socket.SHUT_RDWR)

    def _to_client(self, server: socket.socket, client: socket.socket,
                   dropping: threading.Event) -> None:
        try:
            while data := server.recv(65536):
                if dropping.is_set():  # the reply to COMMIT: the server has committed
                    self.dropped += 1
                    break
                client.sendall(data)
        except OSError:
            pass
        for side in (client, server):
            with contextlib.suppress(OSError):
                side.shutdown(socket.SHUT_RDWR)
            side.close()

    def close(self) -> None:
        self.listener.close()

    def url(self, server: sa.URL) -> str:
        """`server`'s URL, through this proxy."""
        return server.set(host="127.0.0.1", port=self.port).render_as_string(
            hide_password=False)

    def finish(self, popen: Callable[[], subprocess.Popen[str]]
               ) -> tuple[int, dict[str, Any], str]:
        """Run `floe run` to its end through this proxy, then close the proxy."""
        try:
            return finish(popen())
        finally:
            self.close()


@pytest.mark.parametrize("mode", ["insert", "upsert"])
def test_lost_commit_reply_is_not_written_twice(mode: str, tmp_path: Path,
                                                lakehouse: Lakehouse, secrets: Secrets,
                                                postgres_server: str,
                                                postgres_table: str) -> None:
    real = sa.make_url(postgres_server)
    # COMMIT 1 creates the ledger and the table; 2 is batch 0; drop the reply to 3 (batch 1).
    proxy = CommitDropper(real.host or "localhost", real.port or 5432, nth=3)
    target = Target(postgres_server, postgres_table)
    code, report, stderr = proxy.finish(
        start_run(tmp_path, lakehouse, secrets, target, mode, url=proxy.url(real)))
    assert proxy.dropped == 1, "the proxy must have dropped one COMMIT reply"
    assert code == 0, stderr
    [sent] = report["destinations"]
    lost = sent["batches"][1]
    assert (lost["status"], lost["attempts"]) == ("delivered", 2)  # found in the ledger
    assert sent["rows_delivered"] == ROWS and sent["rows_skipped"] == 0
    assert target.rows() == (ROWS, ROWS)  # the retried batch was not inserted twice
    assert target.delivered_batches() == ROWS // BATCH


def test_a_retry_that_finds_an_earlier_runs_batch_reports_it_skipped(
        tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets, postgres_server: str,
        postgres_table: str) -> None:
    """A rerun whose first claim of a batch fails before it reaches the server (the
    connection drops): the retry finds the key an earlier run wrote. Nothing of this
    run committed it, so it is `skipped`, not `delivered` by this run."""
    target = Target(postgres_server, postgres_table)
    popen = start_run(tmp_path, lakehouse, secrets, target, "insert")
    code, first, stderr = finish(popen())
    assert (code, first["destinations"][0]["rows_delivered"]) == (0, ROWS), stderr
    real = sa.make_url(postgres_server)
    proxy = CommitDropper(real.host or "localhost", real.port or 5432, nth=1,
                          marker=b"ON CONFLICT (target_table, idempotency_key) DO NOTHING",
                          forward=False)
    secrets("warehouse-export-secret", {"url": proxy.url(real)})
    code, report, stderr = proxy.finish(popen)
    assert proxy.dropped == 1, "the proxy must have dropped the first claim"
    assert code == 0, stderr
    [again] = report["destinations"]
    assert (again["batches"][0]["status"], again["batches"][0]["attempts"]) == ("skipped", 2)
    assert (again["rows_delivered"], again["rows_skipped"]) == (0, ROWS)
    assert target.rows() == (ROWS, ROWS)



def test_a_batch_refused_for_a_reason_not_its_rows_is_not_delivered_in_pieces(
        tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets, postgres_server: str,
        postgres_table: str) -> None:
    """The first write of a batch is refused for a reason that is not its rows: another
    session holds the table locked past the destination's statement_timeout (or, between
    two partitions of one asset, creates the table at the same moment). The batch is
    written again whole, under its own key. Cut into pieces like a batch with a bad row,
    its rows would be in the ledger under the pieces' keys, and a rerun writing the
    batch whole would insert them twice."""
    target = Target(postgres_server, postgres_table)
    timeout_ms = 2000
    url = sa.make_url(postgres_server).update_query_dict(
        {"options": f"-cstatement_timeout={timeout_ms}"})
    popen = start_run(tmp_path, lakehouse, secrets, target, "insert",
                      url=url.render_as_string(hide_password=False))
    engine = sa.create_engine(postgres_server)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(  # the seeded table's columns
                f'CREATE TABLE "{postgres_table}" (customer_id TEXT NOT NULL, segment TEXT, '
                "order_count INTEGER, lifetime_value DOUBLE PRECISION, first_order_date DATE, "
                "last_order_date DATE, updated_at TIMESTAMPTZ)"))
        with engine.connect() as other:
            other.execute(sa.text(f'LOCK TABLE "{postgres_table}" IN ACCESS EXCLUSIVE MODE'))
            process = popen()
            deadline = time.monotonic() + 60  # until floe waits for the lock
            with engine.connect() as watch:
                while not watch.execute(sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND pid <> pg_backend_pid()")).scalar_one():
                    watch.rollback()  # the view is read once per transaction
                    assert process.poll() is None, process.communicate()
                    assert time.monotonic() < deadline, "floe never waited for the lock"
                    time.sleep(0.05)
            # Released after floe's first write timed out, before a second one does.
            time.sleep(timeout_ms / 1000 * 1.5)
            other.rollback()
        code, first, stderr = finish(process)
    finally:
        engine.dispose()
    assert code == 0, stderr
    [sent] = first["destinations"]
    assert (sent["rows_delivered"], sent["rows_rejected"]) == (ROWS, 0)
    refused = sent["batches"][0]
    assert (refused["status"], refused["attempts"]) == ("delivered", 2)
    assert "statement timeout" in refused["retries"][0] or "CANCELLED" in refused["retries"][0]
    assert target.rows() == (ROWS, ROWS)
    assert target.delivered_batches() == ROWS // BATCH  # one key per batch, none per piece
    code, again, stderr = finish(popen())
    assert code == 0, stderr
    assert (again["destinations"][0]["rows_delivered"],
            again["destinations"][0]["rows_skipped"]) == (0, ROWS)
    assert target.rows() == (ROWS, ROWS)


def test_a_rerun_after_the_destination_stops_refusing_rows_writes_no_piece_twice(
        tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets, target: Target) -> None:
    """A run delivers a batch in pieces around the rows a CHECK constraint refuses. The
    operator then drops the constraint and reruns: the rerun must not write the batch
    whole under its own key, which the ledger does not hold, and so insert the pieces'
    rows a second time. It cuts the batch as before, skips the delivered pieces and
    writes only the rows refused last time."""
    rows, poison = 1_000, ("C00137", "C00642", "C00643")  # two of them in one piece
    lakehouse.seed(rows=rows)
    secrets("warehouse-export-secret", {"url": target.url})
    artifact = write_artifact(tmp_path / "a.json", destination(
        config={"table": target.table, "mode": "insert"}, batch_size=BATCH))
    columns = ("customer_id TEXT NOT NULL, segment TEXT, order_count INTEGER, "
               "lifetime_value DOUBLE PRECISION, first_order_date DATE, "
               "last_order_date DATE, updated_at TIMESTAMP")
    refused = ", ".join(f"'{c}'" for c in poison)
    engine = sa.create_engine(target.url)

    def floe_run() -> tuple[int, dict[str, Any], str]:
        return finish(subprocess.Popen(
            [str(FLOE), "run", "--artifact", str(artifact), *lakehouse.options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
            env={**os.environ, "FLOE_SECRETS_DIR": str(tmp_path / "secrets")}))

    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f'CREATE TABLE "{target.table}" ({columns}, '
                                       f"CHECK (customer_id NOT IN ({refused})))"))
        code, first, stderr = floe_run()
        assert code == 1, stderr
        [sent] = first["destinations"]
        assert (sent["rows_delivered"], sent["rows_rejected"]) == (rows - 3, 3)
        assert target.rows() == (rows - 3, rows - 3)
        with engine.begin() as connection:  # the constraint dropped, rows kept
            connection.execute(sa.text(f'ALTER TABLE "{target.table}" RENAME TO old'))
            connection.execute(sa.text(f'CREATE TABLE "{target.table}" ({columns})'))
            connection.execute(sa.text(f'INSERT INTO "{target.table}" SELECT * FROM old'))
            connection.execute(sa.text("DROP TABLE old"))
    finally:
        engine.dispose()
    code, second, stderr = floe_run()
    assert code == 0, stderr
    [sent] = second["destinations"]
    assert (sent["rows_delivered"], sent["rows_skipped"], sent["rows_rejected"]) == (
        3, rows - 3, 0)
    assert target.rows() == (rows, rows)
    code, third, stderr = floe_run()
    assert (code, third["destinations"][0]["rows_skipped"]) == (0, rows), stderr
    assert target.rows() == (rows, rows)


def test_a_keyed_insert_killed_before_its_state_advanced_then_rerun_on_new_data_adds_no_row(
        tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets, target: Target,
        postgres_server: str) -> None:
    """Killed between a batch's COMMIT and the sync state's update, then rerun once the
    source has a newer snapshot: that batch's rows would go again under a new key (the
    snapshot is part of it), into a table without a primary key of its own, twice. The
    run wrote the batch ahead in the state; the rerun asks the ledger what went in.
    The state is on PostgreSQL, whose table lock stops floe exactly at that update."""
    import uuid

    import pyarrow as pa

    name = f"export-{uuid.uuid4().hex[:8]}"  # the state's tables are shared: a name of its own
    lakehouse.seed(rows=ROWS)
    secrets(f"{name}-secret", {"url": target.url})
    artifact = write_artifact(tmp_path / "a.json", destination(name, config={
        "table": target.table, "mode": "insert", "primary_key": ["customer_id"]},
        batch_size=BATCH))
    engine = sa.create_engine(target.url)
    with engine.begin() as connection:  # the user's table: no primary key of its own
        connection.execute(sa.text(
            f'CREATE TABLE "{target.table}" (customer_id TEXT NOT NULL, segment TEXT, '
            "order_count INTEGER, lifetime_value DOUBLE PRECISION, first_order_date DATE, "
            "last_order_date DATE, updated_at TIMESTAMP)"))
    engine.dispose()

    def popen() -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(FLOE), "run", "--artifact", str(artifact), *lakehouse.options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
            env={**os.environ, "FLOE_SECRETS_DIR": str(tmp_path / "secrets"),
                 "FLOE_STATE_URL": postgres_server})

    crashed = popen()
    wait_for_batches(crashed, target, 3)
    state = sa.create_engine(postgres_server)
    try:
        with state.connect() as lock:
            lock.execute(sa.text("LOCK TABLE _floe_sync_state IN ACCESS EXCLUSIVE MODE"))
            deadline = time.monotonic() + 60  # until floe's next state update waits
            with state.connect() as watch:
                while not watch.execute(sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND pid <> pg_backend_pid()")).scalar_one():
                    watch.rollback()
                    assert crashed.poll() is None and time.monotonic() < deadline
                    time.sleep(0.02)
            crashed.send_signal(signal.SIGKILL)
            crashed.wait(timeout=30)
            lock.rollback()
        with state.connect() as read:
            in_state = read.execute(sa.text(
                "SELECT count(*) FROM _floe_sync_state WHERE destination = :d"),
                {"d": name}).scalar_one()
    finally:
        state.dispose()
    committed = target.delivered_batches()
    assert in_state == (committed - 1) * BATCH  # the last committed batch is not in it

    table = lakehouse.catalog().load_table("gold.customer_lifetime_value")
    newest = table.scan().to_arrow().slice(0, 1).to_pylist()[0]
    table.append(pa.Table.from_pylist([{**newest, "customer_id": "C99999"}],
                                      schema=table.schema().as_arrow()))  # a new snapshot
    code, report, stderr = finish(popen())
    assert code == 0, stderr
    assert target.rows() == (ROWS + 1, ROWS + 1)  # every source row once
    [sent] = report["destinations"]
    assert sent["rows_delivered"] == ROWS + 1 - committed * BATCH
    assert f"{BATCH} rows the previous run delivered but did not record" in " ".join(
        sent["sync"]["notes"])
