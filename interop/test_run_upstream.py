"""`floe run` with floe's own plugins installed: floe-ingestion-dlt's connector is found
(entry point `floe.ingestion`), our built-in wins for the sink types both serve unless
`config.connector` names it, and a floe-core connector that is not transactional gets
our ledger: a rerun never resends a batch the ledger holds."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Lakehouse, Result, Run, Secrets, destination, write_artifact

# A floe-core connector written as a platform team would: it appends each row to a
# JSON-lines file (no transaction) and fails on demand, as a flaky destination does.
PLUGIN = '''
import json, os, pathlib
from floe_core.plugins.sink import EgressResult, SinkConnector

class LinesConnector(SinkConnector):
    started = 0
    def startup(self):
        LinesConnector.started += 1
    def shutdown(self):
        pathlib.Path(os.environ["LINES_SHUTDOWN"]).write_text("shut down")
    def list_available_sinks(self):
        if not self.started:
            raise RuntimeError("call startup() first")
        return ["lines"]
    def create_sink(self, config):
        return dict(config.connection_config, batch_size=config.batch_size)
    def write(self, sink, data, **kwargs):
        path = pathlib.Path(sink["path"])
        fail_at = os.environ.get("LINES_FAIL_AT_BATCH")
        if fail_at is not None and kwargs.get("batch_ordinal") == int(fail_at):
            raise ConnectionError("the destination hung up")
        with path.open("a") as out:
            for row in data.to_pylist():
                out.write(json.dumps(row, default=str) + "\\n")
        return EgressResult(success=True, rows_delivered=data.num_rows,
                            idempotency_key="random-each-time")
    def get_source_config(self, catalog_config):
        return {"catalog_uri": catalog_config.get("uri")}
'''


@pytest.fixture
def lines_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Installs the plugin above as a distribution (`floe-lines 1.0`) with a `floe.sinks`
    entry point; returns the shutdown marker's path."""
    site = tmp_path / "site"
    (site / "floe_lines.py").parent.mkdir(parents=True)
    (site / "floe_lines.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = site / "floe_lines-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: floe-lines\nVersion: 1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text("[floe.sinks]\nlines = floe_lines:LinesConnector\n",
                                           encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    marker = tmp_path / "shutdown"
    monkeypatch.setenv("LINES_SHUTDOWN", str(marker))
    monkeypatch.chdir(tmp_path)  # the default ledger, .floe/deliveries.sqlite, lands here
    return marker


def floe_run(run: Run, lakehouse: Lakehouse, artifact: Path) -> Result:
    result = run("run", "--artifact", artifact, *lakehouse.options)
    assert "Traceback" not in result.output
    return result


def only(result: Result) -> dict[str, Any]:
    [single] = json.loads(result.stdout)["destinations"]
    return single  # type: ignore[no-any-return]


def test_floe_sinks_lists_floes_own_plugin(run: Run) -> None:
    result = run("sinks", "--format", "json")
    assert result.exit_code == 0, result.output
    found = {c["name"]: c for c in json.loads(result.stdout)["connectors"]}
    assert found["dlt"]["distribution"] == "floe-ingestion-dlt 0.1.0a1"
    assert found["dlt"]["sink_types"] == ["rest_api", "sql_database"]
    assert (found["dlt"]["group"], found["dlt"]["api"]) == ("floe.ingestion", "floe-core")
    assert found["sql_database"]["distribution"].startswith("floe-compiler ")


def test_our_built_in_wins_and_the_report_says_so(tmp_path: Path, run: Run,
                                                   lakehouse: Lakehouse,
                                                   secrets: Secrets) -> None:
    lakehouse.seed(50)
    secrets("warehouse-export-secret", {"url": f"sqlite:///{tmp_path / 'out.db'}"})
    artifact = write_artifact(tmp_path / "a.json", destination())
    result = floe_run(run, lakehouse, artifact)
    assert result.exit_code == 0, result.output
    served = only(result)["connector"]
    assert (served["distribution"], served["api"]) == ("floe-compiler", "floe")
    assert "built-in wins" in served["reason"]
    assert served["also_served_by"] == ["dlt (floe-ingestion-dlt 0.1.0a1)"]


def test_config_connector_chooses_floes_plugin(tmp_path: Path, run: Run,
                                               lakehouse: Lakehouse, secrets: Secrets) -> None:
    lakehouse.seed(50)
    secrets("warehouse-export-secret", {"url": f"sqlite:///{tmp_path / 'out.db'}"})
    artifact = write_artifact(tmp_path / "a.json", destination(config={
        "table": "clv", "connector": "floe-ingestion-dlt",
        "ledger_path": str(tmp_path / "ledger.sqlite")}))
    result = floe_run(run, lakehouse, artifact)
    sent = only(result)
    assert result.exit_code == 1
    assert (sent["connector"]["entry_point"], sent["connector"]["version"],
            sent["connector"]["api"]) == ("dlt", "0.1.0a1", "floe-core")
    assert sent["connector"]["reason"] == "config.connector names 'floe-ingestion-dlt'"
    # 0.1.0a1's write fails (see test_dlt_contract.py); the batch may have half happened
    assert sent["batches"][0]["status"] == "unknown"
    assert any("SinkWriteError" in e for e in sent["errors"]), sent["errors"]


def test_config_connector_naming_nothing_is_refused(tmp_path: Path, run: Run,
                                                    lakehouse: Lakehouse,
                                                    secrets: Secrets) -> None:
    lakehouse.seed(5)
    secrets("warehouse-export-secret", {"url": f"sqlite:///{tmp_path / 'out.db'}"})
    artifact = write_artifact(tmp_path / "a.json", destination(config={
        "table": "clv", "connector": "fivetran"}))
    result = floe_run(run, lakehouse, artifact)
    assert result.exit_code == 1
    assert "config.connector 'fivetran' names no installed connector serving sink_type " \
        "'sql_database' (serving it: sql_database (floe-compiler" in result.stdout


def test_a_floe_core_connector_gets_our_ledger(tmp_path: Path, run: Run, lakehouse: Lakehouse,
                                              secrets: Secrets, lines_plugin: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    lakehouse.seed(250)
    out = tmp_path / "rows.jsonl"
    secrets("lines-secret", {"path": str(out)})
    artifact = write_artifact(tmp_path / "a.json", destination(
        "lines", sink_type="lines", connection_secret_ref="lines-secret", config={},
        batch_size=100))

    monkeypatch.setenv("LINES_FAIL_AT_BATCH", "1")  # the destination hangs up mid-run
    first = floe_run(run, lakehouse, artifact)
    sent = only(first)
    assert first.exit_code == 1
    assert [b["status"] for b in sent["batches"]] == ["delivered", "unknown"]
    assert sent["connector"]["distribution"] == "floe-lines"
    assert lines_plugin.read_text() == "shut down"  # its lifecycle was honoured
    assert len(out.read_text().splitlines()) == 100

    monkeypatch.delenv("LINES_FAIL_AT_BATCH")
    rerun = floe_run(run, lakehouse, artifact)
    sent = only(rerun)
    assert rerun.exit_code == 0, rerun.output
    assert [b["status"] for b in sent["batches"]] == ["skipped", "delivered", "delivered"]
    assert (sent["rows_delivered"], sent["rows_skipped"]) == (150, 100)
    ids = [json.loads(line)["customer_id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 250  # nothing sent twice
    # our keys, stable across reruns, not the plugin's random ones
    assert all(b["idempotency_key"] != "random-each-time" for b in sent["batches"])

    again = only(floe_run(run, lakehouse, artifact))
    assert [b["status"] for b in again["batches"]] == ["skipped"] * 3
    assert len(out.read_text().splitlines()) == 250

    # --dry-run plans the same keys and checksums, sending nothing
    planned = only(run("run", "--artifact", artifact, *lakehouse.options, "--dry-run"))
    assert [(b["idempotency_key"], b["checksum"]) for b in planned["batches"]] == \
        [(b["idempotency_key"], b["checksum"]) for b in sent["batches"]]
    assert len(out.read_text().splitlines()) == 250


def test_a_floe_core_connector_gets_the_piece_checks_and_tells_what_went_in(
        tmp_path: Path, lines_plugin: Path) -> None:
    """Through our wrapper, a floe-core connector's pieces are recorded with their batch:
    a later write overlapping them is refused before the plugin sees it, and an
    incremental sync can ask which rows of a batch went in (`delivered_rows`)."""
    import pyarrow as pa

    from floe_compiler.sinks import SinkConfig, close_sink
    from floe_compiler.sinks.registry import serving

    connector = serving("lines").connector
    out = tmp_path / "rows.jsonl"
    sink = connector.create_sink(SinkConfig("lines", {"path": str(out)}))
    data = pa.table({"id": list(range(6))})
    context = {"destination": "lines", "snapshot_id": 7, "batch_ordinal": 0}
    try:
        assert connector.delivered_rows(sink, "batch-a") is None  # nothing recorded yet
        piece = connector.write(sink, data.slice(2, 2), **context, batch_key="batch-a",
                                batch_offset=2, piece=True)
        assert piece.success
        whole = connector.write(sink, data, **context, batch_key="batch-a")
        assert (whole.success, whole.rows_delivered) == (False, 0)
        assert "delivered earlier as a piece" in whole.errors[1]
        assert connector.delivered_rows(sink, "batch-a") == [(2, 2)]
        assert connector.delivered_rows(sink, "batch-b") == []
    finally:
        close_sink(sink)
        connector.close()
    assert len(out.read_text().splitlines()) == 2  # the plugin saw the piece only
