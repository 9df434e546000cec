"""`floe run`: a compiled artifact in; rows in a real database or a real HTTP server out,
a JSON report on stdout, an exit code. The catalog is a real pyiceberg SqlCatalog."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from floe_compiler.runner.catalog import read_batches
from floe_compiler.runner.run import rebatch
from floe_compiler.runner.secrets import SecretError, read_secret
from tests.conftest import Lakehouse, Result, Run, Secrets, destination, write_artifact
from tests.test_sinks_contract import read_table

MAPPING = {"customer_id": "customer_id", "lifetime_value": "ltv_usd",
           "last_order_date": "last_order_date"}


def floe_run(run: Run, lakehouse: Lakehouse, artifact: Path, *args: str) -> Result:
    result = run("run", "--artifact", artifact, *lakehouse.options, *args)
    assert "Traceback" not in result.output
    return result


def report(result: Result) -> dict[str, Any]:
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def only(result: Result) -> dict[str, Any]:
    [single] = report(result)["destinations"]
    return single  # type: ignore[no-any-return]


@pytest.fixture
def warehouse(tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets) -> tuple[Path, str]:
    """The demo: seeded gold table, an upsert destination, its secret. (artifact, db url)"""
    lakehouse.seed()
    url = f"sqlite:///{tmp_path / 'warehouse_export.db'}"
    secrets("warehouse-export-secret", {"url": url})
    artifact = write_artifact(tmp_path / "compiled_artifacts.json",
                              destination(field_mapping=MAPPING))
    return artifact, url


def test_demo_destination_upserts_the_gold_table(run: Run, lakehouse: Lakehouse,
                                                 warehouse: tuple[Path, str]) -> None:
    artifact, url = warehouse
    result = floe_run(run, lakehouse, artifact)
    assert result.exit_code == 0, result.output
    sent = only(result)
    assert (sent["name"], sent["sink_type"], sent["success"]) == \
        ("warehouse-export", "sql_database", True)
    assert sent["rows_delivered"] == sent["rows_read"] == 300
    assert [b["rows"] for b in sent["batches"]] == [100, 100, 100]
    assert sent["errors"] == []
    rows = read_table(url, "customer_lifetime_value")
    assert len(rows) == 300
    assert set(rows[0]) == {"customer_id", "ltv_usd", "last_order_date"}  # the rest dropped
    source = lakehouse.catalog().load_table("gold.customer_lifetime_value").scan().to_arrow()
    expected = {r["customer_id"]: r["lifetime_value"] for r in source.to_pylist()}
    assert {r["customer_id"]: r["ltv_usd"] for r in rows} == expected
    assert "warehouse-export" in result.stderr  # progress and summary go to stderr


def test_full_refresh_sends_the_same_keys_and_leaves_the_same_rows(
        run: Run, lakehouse: Lakehouse, warehouse: tuple[Path, str]) -> None:
    artifact, url = warehouse
    first = only(floe_run(run, lakehouse, artifact))
    unchanged = only(floe_run(run, lakehouse, artifact))  # diff-based: nothing changed
    assert (unchanged["rows_to_send"], unchanged["batches"]) == (0, [])
    assert unchanged["sync"]["unchanged"] == 300
    rerun = only(floe_run(run, lakehouse, artifact, "--full-refresh"))
    assert [b["idempotency_key"] for b in rerun["batches"]] == \
        [b["idempotency_key"] for b in first["batches"]]
    assert len({b["idempotency_key"] for b in first["batches"]}) == 3
    assert (rerun["idempotency_key"], rerun["checksum"]) == \
        (first["idempotency_key"], first["checksum"])
    assert len(read_table(url, "customer_lifetime_value")) == 300


def test_postgres_destination(run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
                              postgres_server: str, postgres_table: str) -> None:
    lakehouse.seed()
    secrets("warehouse-export-secret", {"url": postgres_server})
    config = {"table": postgres_table, "mode": "upsert", "primary_key": ["customer_id"]}
    artifact = write_artifact(tmp_path / "a.json",
                              destination(config=config, field_mapping=MAPPING, batch_size=128))
    first = floe_run(run, lakehouse, artifact)
    assert first.exit_code == 0, first.output
    assert (only(first)["rows_delivered"], only(first)["rows_skipped"]) == (300, 0)
    assert only(floe_run(run, lakehouse, artifact))["rows_to_send"] == 0  # nothing changed
    # Resent whole, the same snapshot: every batch is in the ledger.
    result = floe_run(run, lakehouse, artifact, "--full-refresh")
    assert result.exit_code == 0, result.output
    assert (only(result)["rows_delivered"], only(result)["rows_skipped"]) == (0, 300)
    assert only(result)["skipped_batches"] == [0, 1, 2]
    assert "0 rows delivered, 300 skipped as already delivered in 3 batch(es)" in result.stderr
    assert len(read_table(postgres_server, postgres_table)) == 300
    password = sa.make_url(postgres_server).password
    assert not password or password not in result.output


def test_dry_run_sends_nothing_and_predicts_the_keys(run: Run, lakehouse: Lakehouse,
                                                     warehouse: tuple[Path, str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    artifact, url = warehouse
    monkeypatch.delenv("FLOE_SECRETS_DIR")  # a dry run needs no credentials
    dry = floe_run(run, lakehouse, artifact, "--dry-run")
    assert dry.exit_code == 0, dry.output
    planned = only(dry)
    assert report(dry)["dry_run"] is True
    assert (planned["rows_read"], planned["rows_delivered"], planned["bytes_transmitted"]) == \
        (300, 0, 0)
    assert not Path(url.removeprefix("sqlite:///")).exists()
    assert "300 rows to send in 3 batch(es)" in dry.stderr
    monkeypatch.setenv("FLOE_SECRETS_DIR", str(Path(artifact).parent / "secrets"))
    real = only(floe_run(run, lakehouse, artifact))
    assert [(b["idempotency_key"], b["checksum"], b["bytes"]) for b in planned["batches"]] == \
        [(b["idempotency_key"], b["checksum"], b["bytes"]) for b in real["batches"]]


def rest_destination(**fields: Any) -> dict[str, Any]:
    return destination("salesforce-sync", **{
        "sink_type": "rest_api", "config": {"path": "/accounts", "method": "POST"},
        "field_mapping": {"customer_id": "External_Id__c", "lifetime_value": "Lifetime_Value__c"},
        "batch_size": 200, **fields})


def test_rest_destination_retries_with_the_same_idempotency_key(
        run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
        httpserver: HTTPServer) -> None:
    lakehouse.seed()
    secrets("salesforce-sync-secret", {"base_url": httpserver.url_for("/"), "token": "tk-12345"})
    answers = [Response("busy", 503, headers={"Retry-After": "0"})]

    def answer(request: Request) -> Response:
        return answers.pop() if answers else Response('{"ok": true}', 200)

    httpserver.expect_request("/accounts", method="POST").respond_with_handler(answer)
    result = floe_run(run, lakehouse, write_artifact(tmp_path / "a.json", rest_destination()))
    assert result.exit_code == 0, result.output
    sent = only(result)
    requests = [request for request, _ in httpserver.log]
    keys = [r.headers["Idempotency-Key"] for r in requests]
    assert keys == [sent["batches"][0]["idempotency_key"], *[b["idempotency_key"]
                                                             for b in sent["batches"]]]
    assert [len(json.loads(r.data)) for r in requests] == [200, 200, 100]
    assert set(json.loads(requests[0].data)[0]) == {"External_Id__c", "Lifetime_Value__c"}
    assert all(r.headers["Authorization"] == "Bearer tk-12345" for r in requests)
    assert "tk-12345" not in result.output


def test_partial_failure_is_reported_row_by_row(run: Run, tmp_path: Path, lakehouse: Lakehouse,
                                                secrets: Secrets, httpserver: HTTPServer) -> None:
    lakehouse.seed()
    secrets("salesforce-sync-secret", {"base_url": httpserver.url_for("/")})
    outcomes = [Response("{}", 200), Response("Lifetime_Value__c is invalid", 400)]
    httpserver.expect_request("/accounts").respond_with_handler(lambda _: outcomes.pop(0))
    artifact = write_artifact(tmp_path / "a.json", rest_destination(batch_size=100))
    result = floe_run(run, lakehouse, artifact)
    assert result.exit_code == 1
    sent = only(result)
    assert (sent["success"], sent["rows_delivered"], sent["rows_read"]) == (False, 100, 300)
    assert sent["errors"] == [
        "partial: 200 rows failed",
        "batch 1 (rows 101-200): 100 rows failed",
        "batch 1 (rows 101-200): rows 1-100: HTTP 400 from POST /accounts: "
        "Lifetime_Value__c is invalid",
        "rows 201-300: not sent after the failure"]
    assert [b["success"] for b in sent["batches"]] == [True, False]
    assert len(httpserver.log) == 2


def test_empty_table_succeeds_with_zero_rows(run: Run, tmp_path: Path, lakehouse: Lakehouse,
                                             secrets: Secrets) -> None:
    schema = pa.schema([pa.field("customer_id", pa.string(), nullable=False),
                        pa.field("lifetime_value", pa.float64())])
    lakehouse.create("gold.customer_lifetime_value", schema.empty_table(), append=False)
    url = f"sqlite:///{tmp_path / 'dest.db'}"
    secrets("warehouse-export-secret", {"url": url})
    result = floe_run(run, lakehouse, write_artifact(tmp_path / "a.json", destination()))
    assert result.exit_code == 0, result.output
    sent = only(result)
    assert (sent["success"], sent["rows_delivered"], sent["snapshot_id"]) == (True, 0, None)
    assert read_table(url, "customer_lifetime_value") == []  # created, empty
    assert sa.inspect(sa.create_engine(url)).has_table("customer_lifetime_value")


def test_destination_filter(run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
                            httpserver: HTTPServer) -> None:
    lakehouse.seed(rows=10)
    secrets("warehouse-export-secret", {"url": f"sqlite:///{tmp_path / 'dest.db'}"})
    artifact = write_artifact(tmp_path / "a.json", rest_destination(), destination())
    result = floe_run(run, lakehouse, artifact, "--destination", "warehouse-export")
    assert result.exit_code == 0, result.output
    assert only(result)["name"] == "warehouse-export"
    assert httpserver.log == []
    unknown = floe_run(run, lakehouse, artifact, "--destination", "warehouse")
    assert unknown.exit_code == 2
    assert unknown.stdout == ""
    assert "no destination named warehouse (destinations: salesforce-sync, warehouse-export)" \
        in unknown.stderr


def test_missing_secret_is_a_clear_error(run: Run, tmp_path: Path, lakehouse: Lakehouse,
                                         secrets: Secrets) -> None:
    lakehouse.seed(rows=10)
    result = floe_run(run, lakehouse, write_artifact(tmp_path / "a.json", destination()))
    assert result.exit_code == 1
    [error] = only(result)["errors"]
    assert error.startswith("secret 'warehouse-export-secret' not found: no directory ")
    assert "FLOE_SECRETS_DIR" in error
    assert "floe run: warehouse-export: FAILED" in result.stderr


def test_secret_values_never_appear_in_any_output(run: Run, tmp_path: Path, lakehouse: Lakehouse,
                                                  secrets: Secrets,
                                                  httpserver: HTTPServer) -> None:
    lakehouse.seed(rows=10)
    secrets("warehouse-export-secret",
            {"url": "postgresql+nosuchdriver://admin:Pa55-w0rd-XYZ@db.internal/prod"})
    secrets("salesforce-sync-secret", {"base_url": httpserver.url_for("/"),
                                       "token": "tok-abcdef-123456"})
    httpserver.expect_request("/accounts").respond_with_handler(
        lambda request: Response(f"denied: {request.headers['Authorization']}", 401))
    result = floe_run(run, lakehouse,
                      write_artifact(tmp_path / "a.json", destination(), rest_destination()))
    assert result.exit_code == 1
    for secret in ("Pa55-w0rd-XYZ", "tok-abcdef-123456", "db.internal"):
        assert secret not in result.output
    rest = report(result)["destinations"][1]
    assert "denied: Bearer ****" in rest["errors"][2]


def test_wrong_postgres_password_does_not_leak(run: Run, tmp_path: Path, lakehouse: Lakehouse,
                                               secrets: Secrets, postgres_server: str) -> None:
    lakehouse.seed(rows=10)
    wrong = sa.make_url(postgres_server).set(password="Wr0ng-Passw0rd")
    secrets("warehouse-export-secret", {"url": wrong.render_as_string(hide_password=False)})
    result = floe_run(run, lakehouse, write_artifact(tmp_path / "a.json", destination()))
    assert result.exit_code == 1
    assert "password authentication failed" in only(result)["errors"][-1]
    assert "Wr0ng-Passw0rd" not in result.output


@pytest.mark.parametrize(("fields", "message"), [
    ({"sink_type": "kafka"}, "no installed sink connector serves sink_type 'kafka' "
                             "(available: rest_api, sql_database)"),
    ({"source_table": "gold.nope"}, "table 'gold.nope' not found in catalog sqlite:///"),
    ({"source_table": None}, "no source_table: nothing to read"),
    ({"field_mapping": {"ltv": "ltv_usd"}}, "field_mapping names column(s) ltv that "
                                            "gold.customer_lifetime_value does not have"),
    ({"config": {"table": "t", "mode": "upsert"}}, "config.primary_key is required"),
])
def test_destination_problems_fail_that_destination_clearly(
        run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets,
        fields: dict[str, Any], message: str) -> None:
    lakehouse.seed(rows=10)
    secrets("warehouse-export-secret", {"url": f"sqlite:///{tmp_path / 'dest.db'}"})
    result = floe_run(run, lakehouse, write_artifact(tmp_path / "a.json", destination(**fields)))
    assert result.exit_code == 1
    assert message in only(result)["errors"][0]


def test_missing_catalog_is_a_clear_error(run: Run, tmp_path: Path, lakehouse: Lakehouse,
                                          secrets: Secrets) -> None:
    result = floe_run(run, lakehouse, write_artifact(tmp_path / "a.json", destination()))
    assert result.exit_code == 1
    assert "catalog.db does not exist (create the demo one with `floe seed-demo`" in \
        only(result)["errors"][0]


@pytest.mark.parametrize(("content", "message"), [
    (None, "a.json: no such file (run `floe compile` first)"),
    ("{not json", "a.json: not valid JSON"),
    ("[]", "a.json: expected a JSON object"),
    ('{"schema_version": "1.0.0", "destinations": {}}', "a.json: destinations: expected a list"),
    ('{"schema_version": "1.0.0", "destinations": [{"name": "x", "sink_type": "rest_api"}]}',
     "a.json: destinations[0].connection_secret_ref: expected a Kubernetes Secret name (missing)"),
    ('{"schema_version": "1.0.0", "destinations": [{"name": "x", "sink_type": "rest_api", '
     '"connection_secret_ref": "../../etc"}]}',
     "destinations[0].connection_secret_ref: not a Kubernetes Secret name"),
    ('{"schema_version": "1.0.0", "destinations": [{"name": "x", "sink_type": "s", "connection_secret_ref": "s", '
     '"batch_size": "big"}]}', "destinations[0].batch_size: expected a positive integer"),
    ('{"schema_version": "1.0.0", "destinations": [{"name": "x", "sink_type": "s", "connection_secret_ref": "s", '
     '"retry_config": {"max_attempts": 1100}}]}',
     "destinations[0].retry_config.max_attempts: expected an integer from 1 to 100"),
])
def test_unreadable_artifact_exits_two(run: Run, tmp_path: Path, lakehouse: Lakehouse,
                                       content: str | None, message: str) -> None:
    path = tmp_path / "a.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = floe_run(run, lakehouse, path)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_console_script_never_prints_a_traceback(tmp_path: Path) -> None:
    floe = Path(sys.executable).parent / "floe"
    for args in (["run", "--artifact", str(tmp_path / "missing.json")],
                 ["run", "--artifact", str(tmp_path), "--dry-run"]):
        done = subprocess.run([str(floe), *args], capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr


def test_default_embedded_catalog_and_seed_demo(run: Run, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                secrets: Secrets) -> None:
    monkeypatch.chdir(tmp_path)
    seeded = run("seed-demo")
    assert seeded.exit_code == 0
    assert "gold.customer_lifetime_value: 300 rows" in seeded.stderr
    assert (tmp_path / ".floe" / "catalog.db").is_file()
    assert "already present" in run("seed-demo").stderr
    secrets("warehouse-export-secret", {"url": "sqlite:///.floe/warehouse_export.db"})
    result = run("run", "--artifact", write_artifact(tmp_path / "a.json", destination()))
    assert result.exit_code == 0, result.output
    assert only(result)["rows_delivered"] == 300


def test_kubernetes_secret_mount_layout(tmp_path: Path) -> None:
    # What the kubelet writes: keys are links into a timestamped directory via `..data`.
    mount = tmp_path / "salesforce-credentials"
    stamped = mount / "..2024_06_01_06_00_00.000000001"
    stamped.mkdir(parents=True)
    (stamped / "token").write_text("tok\n", encoding="utf-8")
    (stamped / "base_url").write_text("https://acme.my.salesforce.com", encoding="utf-8")
    (mount / "..data").symlink_to(stamped.name)
    for key in ("token", "base_url"):
        (mount / key).symlink_to(f"..data/{key}")
    secret = read_secret("salesforce-credentials", tmp_path)
    assert secret.values == {"base_url": "https://acme.my.salesforce.com", "token": "tok"}
    assert "tok" not in repr(secret)
    with pytest.raises(SecretError, match="has no keys"):
        (tmp_path / "empty").mkdir()
        read_secret("empty", tmp_path)


def test_rebatch_gives_exact_batches_from_uneven_record_batches() -> None:
    schema = pa.schema([("n", pa.int64())])
    incoming = [pa.record_batch([pa.array(range(start, start + size))], schema=schema)
                for start, size in ((0, 7), (7, 1), (8, 0), (8, 13))]
    batches = list(rebatch(incoming, 5))
    assert [b.num_rows for b in batches] == [5, 5, 5, 5, 1]
    assert [v for b in batches for v in b.column("n").to_pylist()] == list(range(21))
    [empty] = rebatch(pa.RecordBatchReader.from_batches(schema, []), 5)
    assert empty.num_rows == 0 and empty.schema == schema



def test_source_is_read_one_data_file_at_a_time(lakehouse: Lakehouse) -> None:
    # Memory stays bounded by one data file: later files are not opened before they are due.
    schema = pa.schema([("n", pa.int64())])
    table = lakehouse.create("gold.numbers", schema.empty_table(), append=False)
    for start in (0, 10, 20):  # one data file per append
        table.append(pa.table({"n": pa.array(range(start, start + 10), pa.int64())}))
    table = lakehouse.catalog().load_table("gold.numbers")
    batches = iter(read_batches(table, ("*",), table.current_snapshot().snapshot_id))
    seen = next(batches).num_rows
    for data_file in (lakehouse.root / "warehouse").rglob("*.parquet"):
        data_file.unlink()
    with pytest.raises(OSError):
        for batch in batches:
            seen += batch.num_rows
    assert seen == 10


def test_a_batch_sent_without_an_answer_is_reported_unknown(
        run: Run, tmp_path: Path, lakehouse: Lakehouse, secrets: Secrets) -> None:
    from tests.test_sinks_rest import RawServer, hang_up

    lakehouse.seed(rows=10)
    server = RawServer(hang_up)
    secrets("salesforce-sync-secret", {"base_url": server.url})
    retry = {"max_attempts": 2, "initial_backoff_seconds": 0.01}
    try:
        result = floe_run(run, lakehouse, write_artifact(
            tmp_path / "a.json", rest_destination(retry_config=retry)))
    finally:
        server.close()
    assert result.exit_code == 1
    sent = only(result)
    [batch] = sent["batches"]
    assert (batch["status"], batch["attempts"], batch["rows_delivered"]) == ("unknown", 2, 0)
    assert batch["retries"][0].startswith("attempt 1: no answer: RemoteProtocolError")
    assert sent["errors"][0] == "10 rows failed (10 of them unknown: sent, no answer)"
    assert len(server.bodies) == 2
