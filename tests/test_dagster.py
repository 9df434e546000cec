"""Destinations as Dagster assets: materialized with Dagster's own API (in process, and
on the multiprocess executor with a real DagsterInstance in a temp directory) into real
SQLite, PostgreSQL and a local HTTP server; compared with `floe run` of the same snapshot."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

dg = pytest.importorskip("dagster")

from pytest_httpserver import HTTPServer  # noqa: E402
from werkzeug import Request, Response  # noqa: E402

from floe_compiler.dagster import definitions_from_artifact  # noqa: E402
from tests.conftest import Lakehouse, Run, Secrets, destination, write_artifact  # noqa: E402
from tests.dagster_location import events_job, floe_job  # noqa: E402
from tests.test_run import floe_run, only  # noqa: E402
from tests.test_sinks_contract import read_table  # noqa: E402

KEY = dg.AssetKey(["customer-analytics", "warehouse-export"])
APPEND = {"table": "clv", "mode": "insert"}  # a duplicate would show as a second row
FIGURES = ("rows_read", "rows_delivered", "rows_skipped", "bytes_transmitted", "checksum",
           "idempotency_key", "snapshot_id")


@pytest.fixture
def located(lakehouse: Lakehouse, monkeypatch: pytest.MonkeyPatch) -> Lakehouse:
    """The catalog named as `floe run` reads it from the environment."""
    monkeypatch.setenv("FLOE_CATALOG_URI", f"sqlite:///{lakehouse.root / 'catalog.db'}")
    monkeypatch.setenv("FLOE_WAREHOUSE", str(lakehouse.root / "warehouse"))
    return lakehouse


def metadata(event: Any) -> dict[str, Any]:
    return {k: getattr(v, "value", v) for k, v in event.metadata.items()}


def materialized(result: Any, key: Any = KEY) -> dict[str, Any]:
    [event] = [e for e in result.get_asset_materialization_events()
               if e.asset_key == key]
    return metadata(event.materialization)


def figures(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(values[k]) if k == "snapshot_id" else values[k] for k in FIGURES}


def with_schedule(path: Path, **schedule: Any) -> Path:
    data = json.loads(path.read_text())
    data["schedule"] = schedule
    path.write_text(json.dumps(data))
    return path


def test_a_destination_is_an_asset_downstream_of_its_source_table(tmp_path: Path) -> None:
    artifact = write_artifact(tmp_path / "a.json", destination(),
                              destination("crm", source_table="gold.accounts"))
    defs = definitions_from_artifact(artifact)
    graph = defs.resolve_asset_graph()
    assert graph.get_all_asset_keys() == {
        KEY, dg.AssetKey(["customer-analytics", "crm"]),
        dg.AssetKey(["gold", "customer_lifetime_value"]), dg.AssetKey(["gold", "accounts"])}
    assert graph.get(KEY).parent_keys == {dg.AssetKey(["gold", "customer_lifetime_value"])}
    assert graph.get(dg.AssetKey(["gold", "accounts"])).is_external
    assert defs.schedules in (None, [])  # no schedule in the artifact: none in Dagster


def test_the_artifacts_schedule_is_a_dagster_schedule(tmp_path: Path) -> None:
    artifact = with_schedule(write_artifact(tmp_path / "a.json", destination()),
                             cron="0 6 * * 1-5", timezone="Europe/Paris", enabled=True)
    schedule = definitions_from_artifact(artifact).resolve_schedule_def(
        "customer_analytics_destinations_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 * * 1-5",
                                                                     "Europe/Paris")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "customer_analytics_destinations"
    with_schedule(artifact, cron="0 6 * * *", timezone="UTC", enabled=False)
    stopped = definitions_from_artifact(artifact).resolve_schedule_def(
        "customer_analytics_destinations_schedule")
    assert stopped.default_status == dg.DefaultScheduleStatus.STOPPED


def test_materialize_delivers_like_floe_run_and_reports_the_same_figures(
        run: Run, tmp_path: Path, located: Lakehouse, secrets: Secrets,
        monkeypatch: pytest.MonkeyPatch) -> None:
    located.seed(rows=1000)
    by_dagster, by_floe = tmp_path / "dagster.db", tmp_path / "floe.db"
    secrets("warehouse-export-secret", {"url": f"sqlite:///{by_dagster}"})
    artifact = write_artifact(tmp_path / "a.json", destination(config=APPEND, batch_size=64))
    defs = definitions_from_artifact(artifact, partitions=3)
    assets = [defs.resolve_assets_def(KEY)]
    result = dg.materialize(assets, selection=[KEY])
    assert result.success
    sent = materialized(result)
    assert (sent["rows_read"], sent["rows_delivered"], sent["partitions"]) == (1000, 1000, 3)
    rows = read_table(f"sqlite:///{by_dagster}", "clv")
    assert len(rows) == len({r["customer_id"] for r in rows}) == 1000
    # `floe run` of the same snapshot, into another database: the same report
    other = tmp_path / "other-secrets"
    (other / "warehouse-export-secret").mkdir(parents=True)
    (other / "warehouse-export-secret" / "url").write_text(f"sqlite:///{by_floe}\n")
    monkeypatch.setenv("FLOE_SECRETS_DIR", str(other))
    reference = floe_run(run, located, artifact)
    assert reference.exit_code == 0, reference.output
    assert figures(sent) == figures(only(reference))
    # and again: the ledger holds every batch, whoever delivered it
    again = materialized(dg.materialize(assets))
    assert (again["rows_delivered"], again["rows_skipped"]) == (0, 1000)
    assert again["checksum"] == sent["checksum"]


def test_a_failing_slice_fails_the_asset_and_says_why(
        tmp_path: Path, located: Lakehouse, secrets: Secrets) -> None:
    located.seed(rows=10)
    secrets("warehouse-export-secret", {"url": f"sqlite:///{tmp_path / 'x.db'}"})
    artifact = write_artifact(tmp_path / "a.json",
                              destination(field_mapping={"nope": "nope"}))
    defs = definitions_from_artifact(artifact)
    result = dg.materialize([defs.resolve_assets_def(KEY)], raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "field_mapping names column(s) nope" in str(failure.step_failure_data.error)


def test_rest_destination_as_an_asset(tmp_path: Path, located: Lakehouse, secrets: Secrets,
                                      httpserver: HTTPServer) -> None:
    located.seed(rows=500)
    secrets("salesforce-sync-secret", {"base_url": httpserver.url_for("/"), "token": "tk-1"})
    received: list[str] = []

    def answer(request: Request) -> Response:
        received.extend(str(r["External_Id__c"]) for r in json.loads(request.data))
        return Response('{"ok": true}', 200)

    httpserver.expect_request("/accounts", method="POST").respond_with_handler(answer)
    artifact = write_artifact(tmp_path / "a.json", destination(
        "salesforce-sync", sink_type="rest_api",
        config={"path": "/accounts", "method": "POST"},
        field_mapping={"customer_id": "External_Id__c"}, batch_size=100))
    key = dg.AssetKey(["customer-analytics", "salesforce-sync"])
    defs = definitions_from_artifact(artifact, partitions=2)
    result = dg.materialize([defs.resolve_assets_def(key)])
    sent = materialized(result, key)
    assert (sent["rows_delivered"], sent["batches"], sent["partitions"]) == (500, 5, 2)
    assert len(received) == len(set(received)) == 500


def instance_in(tmp_path: Path) -> Any:
    (tmp_path / "dagster").mkdir()
    return dg.DagsterInstance.local_temp(str(tmp_path / "dagster"))


# Each step in a fresh process that reads this test's environment (a forkserver started
# by an earlier test would keep that test's FLOE_TEST_ARTIFACT).
SPAWN = {"execution": {"config": {"multiprocess": {"start_method": {"spawn": {}}}}}}


def execute(instance: Any, job: Any = floe_job, **options: Any) -> Any:
    return dg.execute_job(dg.reconstructable(job), instance=instance, run_config=SPAWN,
                          **options)


def test_partitions_run_on_the_multiprocess_executor_exactly_once(
        tmp_path: Path, located: Lakehouse, secrets: Secrets, postgres_server: str,
        postgres_table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    located.seed(rows=1000)
    secrets("warehouse-export-secret", {"url": postgres_server})
    artifact = write_artifact(tmp_path / "a.json", destination(
        config={"table": postgres_table, "mode": "insert"}, batch_size=100))
    monkeypatch.setenv("FLOE_TEST_ARTIFACT", str(artifact))
    monkeypatch.setenv("FLOE_TEST_PARTITIONS", "4")
    with instance_in(tmp_path) as instance:
        result = execute(instance)
        assert result.success
        delivers = {e.step_key: e.event_specific_data.metadata for e in result.all_events
                    if e.is_successful_output and "deliver" in e.step_key}
        assert len(delivers) == 4  # one step per partition, in their own processes
        assert materialized(result)["rows_delivered"] == 1000
        rows = read_table(postgres_server, postgres_table)
        assert len(rows) == 1000
        assert Counter(r["customer_id"] for r in rows).most_common(1)[0][1] == 1
        # Re-execute one partition: its batches are in the ledger; nothing is sent twice.
        step = sorted(delivers)[1]
        again = execute(instance, reexecution_options=dg.ReexecutionOptions(
            parent_run_id=result.run_id, step_selection=[step]))
        assert again.success
        [redone] = [e.event_specific_data.metadata for e in again.all_events
                    if e.is_successful_output and e.step_key == step]
        assert redone["rows_delivered"].value == 0
        assert redone["rows_skipped"].value == delivers[step]["rows_delivered"].value > 0
        assert len(read_table(postgres_server, postgres_table)) == 1000


def test_partitions_by_data_file_keep_floe_runs_keys(
        run: Run, tmp_path: Path, located: Lakehouse, secrets: Secrets,
        monkeypatch: pytest.MonkeyPatch) -> None:
    table = located.create("gold.events", pa.table({"id": pa.array(range(0, 250), pa.int64())}))
    for start in (250, 600, 700):  # four data files of 250, 350, 100 and 300 rows
        table.append(pa.table({"id": pa.array(range(start, start + (350, 100, 300)[
            (250, 600, 700).index(start)]), pa.int64())}))
    url = f"sqlite:///{tmp_path / 'events.db'}"
    secrets("events-secret", {"url": url})
    artifact = write_artifact(tmp_path / "a.json", destination(
        "events", source_table="gold.events", config={"table": "events", "mode": "insert"},
        batch_size=64))
    monkeypatch.setenv("FLOE_TEST_ARTIFACT", str(artifact))
    monkeypatch.setenv("FLOE_TEST_PARTITIONS", "4")
    monkeypatch.setenv("FLOE_TEST_PARTITION_BY", "files")
    with instance_in(tmp_path) as instance:
        result = execute(instance, events_job)
    assert result.success
    sent = materialized(result, dg.AssetKey(["customer-analytics", "events"]))
    assert (sent["rows_delivered"], sent["partitions"]) == (1000, 4)
    assert sorted(r["id"] for r in read_table(url, "events")) == list(range(1000))
    # cut where a data file starts, rounded down to the 64-row grid; the runner reads the
    # files in pyiceberg's plan order (newest first: 300, 100, 350, 250 rows)
    from floe_compiler.dagster.slices import plan_slices

    snapshot = table.refresh().current_snapshot().snapshot_id
    plan = [t.file.record_count for t in table.scan(snapshot_id=snapshot).plan_files()]
    assert plan == [300, 100, 350, 250]
    assert [s.ordinals for s in plan_slices(table, snapshot, 64, 4, "files")] == \
        [range(0, 300 // 64), range(4, 400 // 64), range(6, 750 // 64), range(11, 16)]
    assert [s.ordinals for s in plan_slices(table, snapshot, 64, 4, "rows")] == \
        [range(0, 4), range(4, 8), range(8, 12), range(12, 16)]
    reference = floe_run(run, located, artifact, "--dry-run")  # keys and checksums predicted
    assert (sent["checksum"], sent["idempotency_key"]) == \
        (only(reference)["checksum"], only(reference)["idempotency_key"])


def test_scaffold_writes_a_code_location_dagster_loads(
        run: Run, tmp_path: Path, located: Lakehouse, secrets: Secrets,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    located.seed(rows=10)
    secrets("warehouse-export-secret", {"url": f"sqlite:///{tmp_path / 'x.db'}"})
    (tmp_path / "target").mkdir()
    artifact = write_artifact(tmp_path / "target" / "compiled_artifacts.json", destination())
    monkeypatch.chdir(tmp_path)
    result = run("dagster", "scaffold", "--partitions", "2")
    assert result.exit_code == 0, result.output
    assert "wrote definitions.py: 1 destination(s) of customer-analytics" in result.output
    monkeypatch.chdir(located.root.parent.parent)  # the file finds its artifact from anywhere
    defs = runpy.run_path(str(tmp_path / "definitions.py"))["defs"]
    sent = materialized(dg.materialize([defs.resolve_assets_def(KEY)]))
    assert (sent["rows_delivered"], sent["partitions"]) == (10, 1)  # 10 rows: one batch
    monkeypatch.chdir(tmp_path)
    again = run("dagster", "scaffold")
    assert again.exit_code == 1
    assert "definitions.py already exists; nothing was written" in again.output
    missing = run("dagster", "scaffold", "--artifact", "nope.json", "--force")
    assert missing.exit_code == 2
    assert "nope.json: no such file (run `floe compile` first)" in missing.output
    assert artifact.exists()
