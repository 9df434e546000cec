"""The SinkConnector contract: its shape, how connectors are found, and the contract
kit run against both built-in connectors (SQLite, PostgreSQL and a real HTTP server)."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from floe_compiler.sinks import EgressResult, SinkConfig, SinkConnector
from floe_compiler.sinks.contract import SinkConnectorContract
from floe_compiler.sinks.rest_api import RestApiConnector
from floe_compiler.sinks.sql_database import SqlDatabaseConnector
from tests.conftest import TINY_RETRY, Run


class TestSqliteKeepsTheContract(SinkConnectorContract):
    @pytest.fixture
    def connector(self) -> SinkConnector:
        return SqlDatabaseConnector()

    @pytest.fixture
    def sink_config(self, tmp_path: Path) -> SinkConfig:
        return SinkConfig("sql_database", {"url": f"sqlite:///{tmp_path / 'dest.db'}",
                                           "table": "contract_rows", "mode": "upsert",
                                           "primary_key": ["id"]}, retry_config=TINY_RETRY)

    def read_back(self, config: SinkConfig) -> list[dict[str, Any]]:
        return read_table(config.connection_config["url"], config.connection_config["table"])


class TestPostgresKeepsTheContract(TestSqliteKeepsTheContract):
    @pytest.fixture
    def sink_config(self, postgres_server: str, postgres_table: str) -> SinkConfig:
        return SinkConfig("sql_database", {"url": postgres_server, "table": postgres_table,
                                           "mode": "upsert", "primary_key": ["id"]},
                          retry_config=TINY_RETRY)


class TestRestApiKeepsTheContract(SinkConnectorContract):
    @pytest.fixture
    def connector(self) -> SinkConnector:
        return RestApiConnector()

    @pytest.fixture
    def sink_config(self, httpserver: HTTPServer) -> SinkConfig:
        self.server = httpserver
        httpserver.expect_request("/records", method="POST").respond_with_json({"ok": True})
        return SinkConfig("rest_api", {"base_url": httpserver.url_for("/"), "path": "/records"},
                          retry_config=TINY_RETRY)

    def read_back(self, config: SinkConfig) -> list[dict[str, Any]]:
        return [row for request, response in self.server.log if response.status_code < 300
                for row in json.loads(request.data)]


def read_table(url: str, table: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table(table):
            return []
        with engine.connect() as connection:
            rows = connection.execute(sa.select(sa.table(table, *[
                sa.column(c["name"]) for c in sa.inspect(engine).get_columns(table)])))
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


# -- the contract's shape -------------------------------------------------------------

def test_data_model_matches_upstream_exactly() -> None:
    def shape(cls: type) -> list[tuple[str, Any]]:
        return [(f.name, f.default_factory() if f.default_factory is not dataclasses.MISSING
                 else f.default) for f in dataclasses.fields(cls)]

    assert shape(SinkConfig) == [
        ("sink_type", dataclasses.MISSING), ("connection_config", {}), ("field_mapping", None),
        ("retry_config", None), ("batch_size", None)]
    assert shape(EgressResult) == [
        ("success", dataclasses.MISSING), ("rows_delivered", 0), ("bytes_transmitted", 0),
        ("duration_seconds", 0.0), ("checksum", ""), ("delivery_timestamp", ""),
        ("idempotency_key", ""), ("destination_record_ids", []), ("errors", [])]
    assert SinkConnector.__abstractmethods__ == {
        "list_available_sinks", "create_sink", "write", "get_source_config"}
    assert SinkConnector.__bases__ == (__import__("abc").ABC,)


def test_connector_is_a_mixin_detected_with_isinstance() -> None:
    class IngestionPlugin:  # stands for any plugin base class
        name = "dlt"

    class DltPlugin(IngestionPlugin, SinkConnector):
        def list_available_sinks(self) -> list[str]:
            return ["rest_api"]

        def create_sink(self, config: SinkConfig) -> Any:
            return config

        def write(self, sink: Any, data: Any, **kwargs: Any) -> EgressResult:
            return EgressResult(success=True)

        def get_source_config(self, catalog_config: dict[str, Any]) -> dict[str, Any]:
            return catalog_config

    assert isinstance(DltPlugin(), SinkConnector)
    assert isinstance(DltPlugin(), IngestionPlugin)
    assert not isinstance(IngestionPlugin(), SinkConnector)
    with pytest.raises(TypeError, match="abstract"):
        type("Incomplete", (SinkConnector,), {})()


def test_secret_connection_config_stays_out_of_repr() -> None:
    config = SinkConfig("sql_database", {"url": "postgresql://u:hunter2-value@db/x"})
    assert "hunter2-value" not in repr(config)


def test_base_module_imports_without_pyarrow() -> None:
    code = ("import sys; sys.modules['pyarrow'] = None\n"  # any pyarrow import now fails
            "import floe_compiler.sinks, floe_compiler.sinks.registry\n"
            "print(floe_compiler.sinks.SinkConnector.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "SinkConnector"


def test_validate_never_imports_the_runner_stack(tmp_path: Path) -> None:
    spec = tmp_path / "floe.yaml"
    spec.write_text("apiVersion: floe.dev/v1\nkind: FloeSpec\nmetadata:\n  name: a\n"
                    "  version: 1.0.0\ntransforms:\n  - name: a\n", encoding="utf-8")
    code = textwrap.dedent(f"""
        import sys
        from floe_compiler.cli import cli
        try:
            cli(["validate", {str(spec)!r}])
        except SystemExit:
            pass
        heavy = {{"pyarrow", "pyiceberg", "sqlalchemy", "httpx", "tenacity"}} & set(sys.modules)
        print(sorted(heavy))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


# -- finding connectors: entry points ---------------------------------------------------

def test_floe_sinks_lists_the_built_ins(run: Run) -> None:
    result = run("sinks", "--format", "json")
    assert result.exit_code == 0
    found = {c["name"]: c for c in json.loads(result.stdout)["connectors"]}
    assert found["sql_database"]["sink_types"] == ["sql_database"]
    assert found["rest_api"]["sink_types"] == ["rest_api"]
    assert found["rest_api"]["distribution"].startswith("floe-compiler ")
    text = run("sinks")
    assert text.exit_code == 0
    assert "sql_database  sql_database = floe_compiler.sinks.sql_database:SqlDatabaseConnector" \
        in text.stdout


def install_plugin(site: Path, module: str, source: str, entry_points: str) -> None:
    """A plugin as pip installs it: a module and a dist-info with entry_points.txt."""
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[floe.sinks]\n{entry_points}\n", encoding="utf-8")


def test_third_party_connector_registers_through_its_entry_point(tmp_path: Path) -> None:
    install_plugin(tmp_path, "floe_hubspot", """
        from floe_compiler.sinks import EgressResult, SinkConnector

        class HubSpotConnector(SinkConnector):
            def list_available_sinks(self):
                return ["hubspot", "hubspot_events"]
            def create_sink(self, config):
                return config
            def write(self, sink, data, **kwargs):
                return EgressResult(success=True)
            def get_source_config(self, catalog_config):
                return catalog_config
    """, "hubspot = floe_hubspot:HubSpotConnector")
    install_plugin(tmp_path, "floe_broken", "import no_such_dependency\n",
                   "broken = floe_broken:Connector")
    env = {"PYTHONPATH": str(tmp_path), "PATH": ""}
    floe = [sys.executable, "-m", "floe_compiler", "sinks"]
    listed = subprocess.run(floe, capture_output=True, text=True, env=env)
    assert listed.returncode == 1  # one plugin failed to load
    assert re.search(r"^hubspot, hubspot_events +hubspot = floe_hubspot:HubSpotConnector +"
                     r"floe_hubspot 1\.0$", listed.stdout, re.MULTILINE), listed.stdout
    assert re.search(r"^- +broken = floe_broken:Connector +failed to load: ModuleNotFoundError: "
                     r"No module named 'no_such_dependency'$", listed.stdout, re.MULTILINE)
    assert "Traceback" not in listed.stdout + listed.stderr
    lookup = subprocess.run([sys.executable, "-c", (
        "from floe_compiler.sinks.registry import connector_for;"
        "print(type(connector_for('hubspot_events')).__name__)")],
        capture_output=True, text=True, env=env)
    assert lookup.stdout.strip() == "HubSpotConnector", lookup.stderr
