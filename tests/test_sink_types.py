"""A destination's sink_type is checked against the installed sink connectors: a type
none serves is a located warning (FLOE-W210) with did-you-mean, an error with --strict;
the artifact records which connector served each type."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from floe_compiler.runner.artifact import ArtifactError, read_artifact
from tests.conftest import ROOT, VALID_MANIFEST, VALID_SPEC, Run, Write

DESTINATIONS = """\
destinations:
  - name: warehouse
    sink_type: sql_database
    connection_secret_ref: warehouse-db
  - name: crm
    sink_type: {crm}
    connection_secret_ref: crm-credentials
"""


@pytest.fixture
def project(write: Write) -> Path:
    write("manifest.yaml", VALID_MANIFEST)
    return write("floe.yaml", VALID_SPEC + DESTINATIONS.format(crm="sql_databse"))


def test_a_misspelt_sink_type_is_a_located_warning(run: Run, project: Path) -> None:
    result = run("validate", project, "--format", "json")
    assert result.exit_code == 0, result.output
    [d] = result.json()["diagnostics"]
    assert (d["code"], d["severity"], d["line"], d["column"]) == \
        ("FLOE-W210", "warning", 18, 16)
    assert "sink type 'sql_databse' of destination 'crm'" in d["message"]
    assert "installed: [rest_api, sql_database]" in d["message"]
    assert d["hint"].startswith("Did you mean 'sql_database'?")


def test_strict_makes_it_an_error_in_validate_and_compile(run: Run, project: Path) -> None:
    validated = run("validate", project, "--strict", "--format", "json")
    compiled = run("compile", "--spec", project, "--strict", "--format", "json",
                   "--output", project.parent / "a.json")
    assert (validated.exit_code, compiled.exit_code) == (1, 1)
    assert validated.codes() == compiled.codes() == ["FLOE-W210"]
    assert not (project.parent / "a.json").exists()


def test_the_artifact_records_the_connector_of_each_type(run: Run, write: Write,
                                                         project: Path) -> None:
    out = project.parent / "a.json"
    result = run("compile", "--spec", project, "--output", out)
    assert result.exit_code == 0, result.output
    assert "FLOE-W210" in result.output  # compiled, with the warning
    artifact = json.loads(out.read_text())
    assert artifact["schema_version"] == "1.1.0"
    [(sink_type, served)] = artifact["sink_connectors"].items()  # the misspelt one: none
    assert sink_type == "sql_database"
    assert (served["entry_point"], served["group"], served["distribution"], served["api"]) == \
        ("sql_database", "floe.sinks", "floe-compiler", "floe")
    assert served["version"]
    assert read_artifact(out).destinations[1].sink_type == "sql_databse"  # the runner reads it


def install_hubspot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str = "") -> None:
    """An installed `floe.sinks` plugin (a real distribution on sys.path) serving hubspot."""
    site = tmp_path / "site"
    (site / "floe_hubspot-2.0.dist-info").mkdir(parents=True)
    (site / "floe_hubspot-2.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: floe-hubspot\nVersion: 2.0\n")
    (site / "floe_hubspot-2.0.dist-info" / "entry_points.txt").write_text(
        "[floe.sinks]\nhubspot = floe_hubspot:HubSpot\n")
    (site / "floe_hubspot.py").write_text(
        "from floe_compiler.sinks import SinkConnector\n"
        "class HubSpot(SinkConnector):\n"
        + extra +
        "    def list_available_sinks(self): return ['hubspot']\n"
        "    def create_sink(self, config): return config\n"
        "    def write(self, sink, data, **kwargs): raise NotImplementedError\n"
        "    def get_source_config(self, catalog_config): return catalog_config\n")
    monkeypatch.syspath_prepend(str(site))


def test_a_plugin_serves_its_type(run: Run, write: Write, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    install_hubspot(tmp_path, monkeypatch)
    write("manifest.yaml", VALID_MANIFEST)
    spec = write("floe.yaml", VALID_SPEC + DESTINATIONS.format(crm="hubspot"))
    out = tmp_path / "a.json"
    result = run("compile", "--spec", spec, "--output", out, "--strict")
    assert result.exit_code == 0, result.output
    served = json.loads(out.read_text())["sink_connectors"]["hubspot"]
    assert (served["distribution"], served["version"]) == ("floe-hubspot", "2.0")


@pytest.mark.parametrize(("declared", "mode", "found"), [
    ("    sync_modes = ('insert', 'upsert')\n", "upsert", []),
    ("    sync_modes = ('insert', 'upsert')\n", "mirror",
     ["cannot sync in mode mirror (it cannot delete); it serves insert, upsert"]),
    ("", "upsert", ["cannot sync in mode upsert; it serves insert"]),  # declares nothing
])
def test_a_plugins_sync_modes_are_checked_where_the_mode_is_written(
        run: Run, write: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        declared: str, mode: str, found: list[str]) -> None:
    install_hubspot(tmp_path, monkeypatch, declared)
    monkeypatch.delitem(sys.modules, "floe_hubspot", raising=False)  # another test's
    spec = write("floe.yaml", VALID_SPEC + DESTINATIONS.format(crm="hubspot")
                 + f"    config: {{mode: {mode}, primary_key: [id]}}\n")
    result = run("validate", spec, "--format", "json")
    assert [(d["code"], d["line"], d["column"], d["message"])
            for d in result.json()["diagnostics"]] == \
        [("FLOE-E211", 20, 20, f"destination 'crm': sink type 'hubspot' {words}")
         for words in found]


def test_a_type_not_approved_is_reported_once(run: Run, write: Write) -> None:
    write("manifest.yaml", VALID_MANIFEST + "scope: enterprise\napproved_sinks: [rest_api]\n")
    spec = write("floe.yaml", VALID_SPEC + DESTINATIONS.format(crm="rest_apl"))
    result = run("validate", spec, "--format", "json")
    assert sorted(result.codes()) == ["FLOE-E201", "FLOE-E201"]  # no FLOE-W210 beside them


def test_files_without_destinations_do_not_look_for_connectors(write: Write) -> None:
    probe = ("import sys\nfrom floe_compiler.cli import cli\n"
             "try:\n    cli(['validate', *sys.argv[1:]])\nexcept SystemExit:\n    pass\n"
             "print('floe_compiler.sinks.registry' in sys.modules)\n")
    plain = write("floe.yaml", VALID_SPEC)
    with_sinks = write("other/floe.yaml", VALID_SPEC + DESTINATIONS.format(crm="rest_api"))
    looked = [subprocess.run([sys.executable, "-c", probe, str(path)], cwd=ROOT,
                             capture_output=True, text=True, check=True
                             ).stdout.splitlines()[-1] for path in (plain, with_sinks)]
    assert looked == ["False", "True"]


def test_checking_a_keyed_mode_does_not_import_the_runner(write: Write) -> None:
    """Whether a `webhook` can upsert is asked of the connectors `floe validate` already
    knows of: floe's built-ins (SQLAlchemy, Arrow, httpx) stay unimported (~0.5 s)."""
    probe = ("import sys\nfrom floe_compiler.cli import cli\n"
             "try:\n    cli(['validate', *sys.argv[1:]])\nexcept SystemExit:\n    pass\n"
             "print(sorted({'sqlalchemy', 'pyarrow', 'httpx'} & set(sys.modules)))\n")
    spec = write("floe.yaml", VALID_SPEC + DESTINATIONS.format(crm="webhook")
                 + "    config: {mode: upsert, primary_key: [id]}\n")
    done = subprocess.run([sys.executable, "-c", probe, str(spec)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert "FLOE-W210" in done.stdout  # the type is checked, and served by none
    assert done.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize(("version", "extra", "refused"), [
    ("1.0.0", {}, None),
    ("1.1.0", {"sink_connectors": {}}, None),
    ("1.0.0", {"sink_connectors": {}}, r"unknown key\(s\) 'sink_connectors'"),
    ("1.1.0", {"sink_connectors": []}, "sink_connectors: expected an object"),
])
def test_the_runner_reads_both_artifact_versions(tmp_path: Path, version: str,
                                                 extra: dict[str, object],
                                                 refused: str | None) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"schema_version": version, "compiler_version": "0.1.0",
                                "destinations": [], **extra}))
    if refused is None:
        assert read_artifact(path).destinations == []
    else:
        with pytest.raises(ArtifactError, match=refused):
            read_artifact(path)
