"""Incremental reverse ETL, as a user lives it: the gold table changes between runs (new
Iceberg snapshots), `floe run` sends only what changed, mirror deletes what left, a bad
row is set aside with its reason. Real SQLite files, a real PostgreSQL cluster, a real
HTTP server on 127.0.0.1, a real `floe run` killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import (
    VALID_SPEC,
    Lakehouse,
    Result,
    Run,
    Secrets,
    Write,
    destination,
    write_artifact,
)

FLOE = Path(sys.executable).parent / "floe"
SCHEMA = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("name", pa.string()),
                    pa.field("amount", pa.float64())])
Rows = dict[int, tuple[str | None, float | None]]


def source_rows(count: int, offset: int = 0) -> Rows:
    return {i: (f"customer {i}", float(i)) for i in range(offset, offset + count)}


def as_table(rows: Rows) -> pa.Table:
    ids = sorted(rows)
    return pa.table({"id": ids, "name": [rows[i][0] for i in ids],
                     "amount": [rows[i][1] for i in ids]}, schema=SCHEMA)


class Source:
    """The gold table; each `replace` commits a new Iceberg snapshot."""

    def __init__(self, lakehouse: Lakehouse, rows: Rows) -> None:
        self.rows = dict(rows)
        self.table = lakehouse.create("gold.accounts", as_table(rows))

    def replace(self, rows: Rows) -> None:
        self.rows = dict(rows)
        self.table.overwrite(as_table(rows))


def sync_destination(url_table: str, mode: str, **fields: Any) -> dict[str, Any]:
    return destination("accounts", source_table="gold.accounts", **{
        "config": {"table": url_table, "mode": mode, "primary_key": ["id"]},
        "batch_size": 50, **fields})


def dest_rows(url: str, table: str) -> Rows:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(sa.text(f'SELECT id, name, amount FROM "{table}"'))
            return {int(r[0]): (r[1], r[2]) for r in found}
    finally:
        engine.dispose()


def floe_run(run: Run, lakehouse: Lakehouse, artifact: Path, *args: str) -> Result:
    result = run("run", "--artifact", artifact, *lakehouse.options, *args)
    assert "Traceback" not in result.output
    return result


def only(result: Result) -> dict[str, Any]:
    (found,) = json.loads(result.stdout)["destinations"]
    return found  # type: ignore[no-any-return]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL, table name) of a real destination database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dest.db'}", "accounts"
    else:
        yield (request.getfixturevalue("postgres_server"),
               request.getfixturevalue("postgres_table"))


def changed(rows: Rows) -> Rows:
    """Insert 5 rows, update every 10th, delete the 3 lowest ids."""
    dropped = set(sorted(rows)[:3])
    after = {i: v for i, v in rows.items() if i not in dropped}
    after.update({i: (f"renamed {i} at {len(rows)}", float(i) + 0.5)
                  for i in after if i % 10 == 0})
    after.update(source_rows(5, offset=max(rows) + 1))
    return after


def counts(before: Rows, after: Rows) -> tuple[int, int, int]:
    """(added, changed, deleted) keys from `before` to `after`."""
    return (len(after.keys() - before.keys()), sum(1 for i in after.keys() & before.keys()
                                                    if after[i] != before[i]),
            len(before.keys() - after.keys()))


# --- sync cycles, in every mode --------------------------------------------------------

@pytest.mark.parametrize("mode", ["insert", "upsert", "mirror"])
def test_sync_cycles_leave_the_destination_as_the_mode_promises(
        run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
        database: tuple[str, str], mode: str) -> None:
    url, table = database
    secrets("accounts-secret", {"url": url})
    source = Source(lakehouse, source_rows(120))
    artifact = write_artifact(tmp_path / "a.json", sync_destination(table, mode))
    expected = dict(source.rows)
    for cycle in range(3):
        result = floe_run(run, lakehouse, artifact)
        assert result.exit_code == 0, result.output
        assert dest_rows(url, table) == expected, f"cycle {cycle}"
        before = source.rows
        source.replace(changed(before))
        added = {i: v for i, v in source.rows.items() if i not in before}
        if mode == "insert":
            expected.update(added)  # insert never changes nor deletes a row
        elif mode == "upsert":
            expected.update(source.rows)  # deleted rows stay
        else:
            expected = dict(source.rows)
    result = floe_run(run, lakehouse, artifact)
    sent = only(result)
    assert dest_rows(url, table) == expected
    sync = sent["sync"]
    added, updated, deleted = counts(before, source.rows)
    assert (added, updated, deleted) == (5, 12, 3)
    # insert remembers every key it sent, so that one coming back is not inserted twice
    assert (sync["added"], sync["changed"], sync["deleted"]) == \
        (added, updated, 9 if mode == "insert" else deleted)
    assert sent["rows_to_send"] == (5 if mode == "insert" else 17)
    assert sent["rows_deleted"] == (3 if mode == "mirror" else 0)
    again = only(floe_run(run, lakehouse, artifact))  # nothing changed: nothing sent
    assert (again["rows_to_send"], again["batches"], again["rows_deleted"]) == (0, [], 0)


def test_update_mode_changes_existing_rows_and_never_creates_one(
        run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
        database: tuple[str, str]) -> None:
    url, table = database
    secrets("accounts-secret", {"url": url})
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE TABLE "{table}" (id BIGINT PRIMARY KEY, '
                                   "name TEXT, amount DOUBLE PRECISION)"))
        connection.execute(sa.text(f'INSERT INTO "{table}" VALUES (1, \'old\', 0), '
                                   "(2, 'old', 0)"))
    engine.dispose()
    source = Source(lakehouse, source_rows(4))  # ids 0..3: 1 and 2 exist at the destination
    artifact = write_artifact(tmp_path / "a.json", sync_destination(table, "update"))
    result = floe_run(run, lakehouse, artifact)
    assert result.exit_code == 0, result.output
    assert dest_rows(url, table) == {1: source.rows[1], 2: source.rows[2]}
    source.replace({**source.rows, 2: ("renamed", 9.0)})
    assert floe_run(run, lakehouse, artifact).exit_code == 0
    assert dest_rows(url, table) == {1: source.rows[1], 2: ("renamed", 9.0)}


def test_state_in_postgresql_is_shared_by_runs(
        run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
        postgres_server: str) -> None:
    url = f"sqlite:///{tmp_path / 'dest.db'}"
    secrets("accounts-secret", {"url": url})
    source = Source(lakehouse, source_rows(60))
    artifact = write_artifact(tmp_path / "a.json", sync_destination("accounts", "upsert"))
    state = ("--state-url", postgres_server)
    engine = sa.create_engine(postgres_server)
    with engine.begin() as connection:  # this test's rows only: another test may share it
        connection.execute(sa.text("DROP TABLE IF EXISTS _floe_sync_state, _floe_sync_meta"))
    try:
        assert only(floe_run(run, lakehouse, artifact, *state))["rows_to_send"] == 60
        source.replace({**source.rows, 7: ("seven", 7.5)})
        second = only(floe_run(run, lakehouse, artifact, *state))
        assert (second["rows_to_send"], second["sync"]["unchanged"]) == (1, 59)
        with engine.connect() as connection:
            held = connection.execute(sa.text(
                "SELECT count(*) FROM _floe_sync_state WHERE destination = 'accounts'"))
            assert held.scalar_one() == 60
        refused = floe_run(run, lakehouse, artifact, "--state-url", "mysql://u:hunter2@h/db")
        assert refused.exit_code == 1
        assert "only sqlite and postgresql" in refused.stderr
        assert "hunter2" not in refused.output
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS _floe_sync_state, _floe_sync_meta"))
        engine.dispose()
    assert dest_rows(url, "accounts")[7] == ("seven", 7.5)


# --- preview, invalidation, full refresh -----------------------------------------------

def test_dry_run_previews_counts_and_sample_keys_and_changes_nothing(
        run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
        sync_state: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dest.db'}"
    secrets("accounts-secret", {"url": url})
    source = Source(lakehouse, source_rows(100))
    artifact = write_artifact(tmp_path / "a.json", sync_destination("accounts", "mirror"))
    preview = floe_run(run, lakehouse, artifact, "--dry-run")
    assert preview.exit_code == 0, preview.output
    assert not sync_state.exists()  # a dry run creates no state
    assert only(preview)["sync"]["added"] == 100
    assert floe_run(run, lakehouse, artifact).exit_code == 0
    source.replace(changed(source.rows))
    preview = floe_run(run, lakehouse, artifact, "--dry-run")
    planned = only(preview)
    sync = planned["sync"]
    assert (sync["added"], sync["changed"], sync["deleted"], sync["unchanged"]) == (5, 9, 3, 88)
    assert sync["sample_keys"]["deleted"] == ["0", "1", "2"]
    assert sync["sample_keys"]["added"] == ["100", "101", "102", "103", "104"]
    assert sync["sample_keys"]["changed"] == ["10", "20", "30", "40", "50"]
    assert (planned["rows_to_send"], planned["rows_read"], planned["dry_run"]) == (14, 102, True)
    assert "sync mirror: 5 added, 9 changed, 3 deleted, 88 unchanged" in preview.stderr
    assert len(dest_rows(url, "accounts")) == 100  # nothing sent
    assert only(floe_run(run, lakehouse, artifact, "--dry-run"))["sync"]["changed"] == 9


def test_field_mapping_change_invalidates_the_fingerprints_and_says_so(
        run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets) -> None:
    secrets("accounts-secret", {"url": f"sqlite:///{tmp_path / 'dest.db'}"})
    Source(lakehouse, source_rows(30))
    first = sync_destination("accounts", "upsert")
    assert floe_run(run, lakehouse, write_artifact(tmp_path / "a.json", first)).exit_code == 0
    remapped = sync_destination("accounts2", "upsert",
                                field_mapping={"id": "id", "name": "full_name"})
    result = floe_run(run, lakehouse, write_artifact(tmp_path / "b.json", remapped))
    assert result.exit_code == 0, result.output
    sent = only(result)
    assert (sent["rows_to_send"], sent["sync"]["changed"]) == (30, 30)
    assert "fingerprints invalidated: field_mapping or primary_key changed" in \
        sent["sync"]["notes"][0]
    assert "fingerprints invalidated" in result.stderr
    assert only(floe_run(run, lakehouse, write_artifact(tmp_path / "b.json", remapped))
                )["rows_to_send"] == 0


def test_full_refresh_resends_every_row(run: Run, tmp_path: Path, lakehouse: Lakehouse,
                                        secrets: Secrets) -> None:
    secrets("accounts-secret", {"url": f"sqlite:///{tmp_path / 'dest.db'}"})
    Source(lakehouse, source_rows(30))
    artifact = write_artifact(tmp_path / "a.json", sync_destination("accounts", "upsert"))
    assert floe_run(run, lakehouse, artifact).exit_code == 0
    refreshed = only(floe_run(run, lakehouse, artifact, "--full-refresh"))
    assert (refreshed["rows_to_send"], refreshed["sync"]["unchanged"]) == (30, 30)
    assert "full refresh" in refreshed["sync"]["notes"][0]


# --- REST: only the changed rows cost requests -------------------------------------------

def rest_sync(mode: str = "upsert") -> dict[str, Any]:
    return destination("crm", sink_type="rest_api", source_table="gold.accounts",
                       config={"path": "/accounts", "mode": mode, "primary_key": ["id"]},
                       batch_size=25)


def test_rest_sync_sends_only_changed_rows(run: Run, tmp_path: Path, lakehouse: Lakehouse,
                                           secrets: Secrets, httpserver: HTTPServer) -> None:
    received: list[list[dict[str, Any]]] = []

    def answer(request: Request) -> Response:
        received.append(json.loads(request.data))
        return Response("{}", 200)

    httpserver.expect_request("/accounts", method="POST").respond_with_handler(answer)
    secrets("crm-secret", {"base_url": httpserver.url_for("/")})
    source = Source(lakehouse, source_rows(100))
    artifact = write_artifact(tmp_path / "a.json", rest_sync())
    assert floe_run(run, lakehouse, artifact).exit_code == 0
    assert (len(received), sum(len(r) for r in received)) == (4, 100)
    received.clear()
    source.replace({**source.rows, 42: ("changed", 1.0)})
    assert floe_run(run, lakehouse, artifact).exit_code == 0
    assert received == [[{"id": 42, "name": "changed", "amount": 1.0}]]


# --- rejects --------------------------------------------------------------------------

POISON = "poison-value-7f3a"


def test_one_poison_row_in_a_sql_batch_is_rejected_alone(
        run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
        database: tuple[str, str]) -> None:
    url, table = database
    secrets("accounts-secret", {"url": url})
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE TABLE "{table}" (id BIGINT PRIMARY KEY, name TEXT, '
                                   "amount DOUBLE PRECISION CHECK (amount >= 0))"))
    engine.dispose()
    rows = source_rows(120)
    rows[77] = (POISON, -1.0)
    source = Source(lakehouse, rows)
    artifact = write_artifact(tmp_path / "a.json", sync_destination(table, "upsert"))
    result = floe_run(run, lakehouse, artifact)
    assert result.exit_code == 1
    sent = only(result)
    assert (sent["rows_rejected"], sent["rows_delivered"]) == (1, 119)
    assert POISON not in result.output
    lines = Path(sent["rejects_file"]).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    rejected = json.loads(lines[0])
    assert rejected["row"] == {"id": 77, "name": POISON, "amount": -1.0}
    assert "check" in rejected["reason"].lower() or "constraint" in rejected["reason"].lower()
    assert set(dest_rows(url, table)) == set(range(120)) - {77}
    # Retried next run; once fixed at the source it goes through.
    assert only(floe_run(run, lakehouse, artifact))["rows_to_send"] == 1
    source.replace({**source.rows, 77: ("fixed", 1.0)})
    fixed = floe_run(run, lakehouse, artifact)
    assert fixed.exit_code == 0, fixed.output
    assert dest_rows(url, table)[77] == ("fixed", 1.0)


def test_one_poison_row_in_a_rest_batch_is_rejected_alone(
        run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
        httpserver: HTTPServer) -> None:
    delivered: list[int] = []

    def answer(request: Request) -> Response:
        records = json.loads(request.data)
        if any(r["name"] == POISON for r in records):
            return Response('{"error": "amount must be positive"}', 422)
        delivered.extend(r["id"] for r in records)
        return Response("{}", 200)

    httpserver.expect_request("/accounts").respond_with_handler(answer)
    secrets("crm-secret", {"base_url": httpserver.url_for("/")})
    rows = source_rows(50)
    rows[13] = (POISON, -1.0)
    Source(lakehouse, rows)
    result = floe_run(run, lakehouse, write_artifact(tmp_path / "a.json", rest_sync()))
    assert result.exit_code == 1
    sent = only(result)
    assert sent["rows_rejected"] == 1
    assert sorted(delivered) == sorted(set(range(50)) - {13})
    assert POISON not in result.output
    (line,) = Path(sent["rejects_file"]).read_text(encoding="utf-8").splitlines()
    assert "422" in json.loads(line)["reason"]
    assert "1 rows rejected" in result.stderr


def test_a_rest_rerun_after_the_api_stops_refusing_rows_sends_no_piece_twice(
        run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
        httpserver: HTTPServer) -> None:
    """An API that applies each Idempotency-Key once refuses a row (422), so floe sends
    the batch's other rows in pieces. Once the API accepts the row, a rerun must not
    send the batch whole under its own key, which the API has never seen, and so store
    the pieces' rows twice: it sends the same pieces again (the API recognises their
    keys) and the refused row."""
    stored: list[int] = []
    answered: dict[str, Response] = {}
    refusing = True

    def answer(request: Request) -> Response:
        key = request.headers["Idempotency-Key"]
        if key in answered:
            return answered[key]
        records = json.loads(request.data)
        if refusing and any(r["name"] == POISON for r in records):
            return Response('{"error": "amount must be positive"}', 422)
        stored.extend(r["id"] for r in records)
        answered[key] = Response("{}", 200)
        return answered[key]

    httpserver.expect_request("/accounts").respond_with_handler(answer)
    secrets("crm-secret", {"base_url": httpserver.url_for("/")})
    rows = source_rows(50)
    rows[13] = (POISON, -1.0)
    Source(lakehouse, rows)
    artifact = write_artifact(tmp_path / "a.json", destination(
        "crm", sink_type="rest_api", source_table="gold.accounts",
        config={"path": "/accounts"}, batch_size=25))
    first = floe_run(run, lakehouse, artifact)
    assert (first.exit_code, only(first)["rows_rejected"]) == (1, 1)
    assert sorted(stored) == sorted(set(range(50)) - {13})
    refusing = False
    second = floe_run(run, lakehouse, artifact)
    assert second.exit_code == 0, second.output
    assert sorted(stored) == list(range(50))


def test_a_destination_wide_refusal_is_not_bisected_into_rejects(
        run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
        httpserver: HTTPServer) -> None:
    requests: list[int] = []

    def refuse(request: Request) -> Response:
        requests.append(1)
        return Response('{"error": "unauthorized"}', 401)

    httpserver.expect_request("/accounts").respond_with_handler(refuse)
    secrets("crm-secret", {"base_url": httpserver.url_for("/")})
    Source(lakehouse, source_rows(50))
    result = floe_run(run, lakehouse, write_artifact(tmp_path / "a.json", rest_sync()))
    assert result.exit_code == 1
    sent = only(result)
    assert (sent["rows_rejected"], sent["rejects_file"]) == (0, None)
    assert len(requests) <= 8  # 1 + 1 (whole, again) + 2 + 4: four pieces all refused end it


# --- a crash mid-run never loses a change -------------------------------------------------

def test_a_killed_run_then_a_rerun_loses_no_change(
        tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
        database: tuple[str, str]) -> None:
    url, table = database
    secrets("accounts-secret", {"url": url})
    source = Source(lakehouse, source_rows(10_000))
    artifact = write_artifact(tmp_path / "a.json", sync_destination(table, "mirror",
                                                                    batch_size=50))
    command = [str(FLOE), "run", "--artifact", str(artifact), *lakehouse.options]
    env = {**os.environ, "FLOE_SECRETS_DIR": str(tmp_path / "secrets")}
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    synced = delivered_batches(url, table)
    # Change every other row, delete some, add some: then kill the run mid-way.
    after = {i: (v[0], v[1] + 1 if i % 2 else v[1]) for i, v in source.rows.items() if i >= 10}
    after.update(source_rows(10, offset=30_000))
    source.replace(after)
    crashed = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and crashed.poll() is None:
        if delivered_batches(url, table) >= synced + 5:
            break
        time.sleep(0.02)
    assert crashed.poll() is None, "the run ended before it could be killed"
    crashed.send_signal(signal.SIGKILL)
    crashed.communicate(timeout=60)
    assert dest_rows(url, table) != source.rows  # killed mid-way
    rerun = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert dest_rows(url, table) == source.rows


def delivered_batches(url: str, table: str) -> int:
    engine = sa.create_engine(url, connect_args={"timeout": 10} if url.startswith("sqlite")
                              else {})
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(
                "SELECT count(*) FROM _floe_deliveries WHERE target_table = :t"),
                {"t": table}).scalar_one())
    except sa.exc.SQLAlchemyError:
        return 0
    finally:
        engine.dispose()


# --- compile time: the mode is checked where it is written ---------------------------------

def test_mirror_on_a_connector_that_cannot_delete_is_located_at_the_mode(
        run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC + """\
destinations:
  - name: crm
    sink_type: rest_api
    connection_secret_ref: crm-api
    config:
      mode: mirror
      primary_key: [id]
""")
    result = run("validate", "--format", "json", path)
    assert result.exit_code == 1
    (found,) = result.json()["diagnostics"]
    assert (found["code"], found["line"], found["column"]) == ("FLOE-E211", 18, 13)
    assert "cannot delete" in found["message"]


def test_keyed_mode_without_primary_key_and_unknown_mode(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC + """\
destinations:
  - name: warehouse
    sink_type: sql_database
    connection_secret_ref: wh-db
    config:
      mode: upsert
  - name: crm
    sink_type: rest_api
    connection_secret_ref: crm-api
    config:
      mode: upsrt
""")
    result = run("validate", "--format", "json", path)
    assert result.exit_code == 1
    assert [(d["code"], d["line"]) for d in result.json()["diagnostics"]] == \
        [("FLOE-E212", 18), ("FLOE-E211", 23)]
    assert result.json()["diagnostics"][1]["hint"] == "Did you mean 'upsert'?"
