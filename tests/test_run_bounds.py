"""`floe run` on hostile or foreign input: an artifact it does not know, files that never
end, secrets too large to be secrets, names that try to forge lines, and credentials in
catalog URLs. Each is a clear message (exit 2, or a failed destination), never a hang, a
traceback or a leaked value."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import Lakehouse, Result, Run, Secrets, destination, write_artifact
from tests.test_hardening import bounded

ARTIFACT = {"schema_version": "1.0.0", "compiler_version": "0.1.0",
            "product": {"name": "customer-analytics", "version": "1.2.0"}}


def floe_run(run: Run, lakehouse: Lakehouse, artifact: Path | str, *args: str) -> Result:
    return run("run", "--artifact", artifact, *lakehouse.options, *args)


def refused(run: Run, lakehouse: Lakehouse, artifact: Path | str) -> str:
    """The one-line message of an artifact `floe run` refuses (exit 2, nothing on stdout)."""
    with bounded(megabytes=50):
        result = floe_run(run, lakehouse, artifact, "--dry-run")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    return line


def json_file(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- D10: what the artifact says about itself ---------------------------------------------


@pytest.mark.parametrize(("version", "found"), [
    ("2.0.0", "schema_version: '2.0.0' is not supported"),
    ("0.9", "schema_version: '0.9' is not supported"),
    (1, "schema_version: 1 is not supported"),
    (None, "schema_version: missing"),
])
def test_an_unknown_schema_version_is_refused_naming_the_expected_one(
        run: Run, lakehouse: Lakehouse, tmp_path: Path, version: object, found: str) -> None:
    data = {**ARTIFACT, "destinations": [destination()]}
    if version is None:
        del data["schema_version"]
    else:
        data["schema_version"] = version
    message = refused(run, lakehouse, json_file(tmp_path, data))
    assert found in message
    assert "schema_version 1.0.0" in message


def test_unknown_keys_are_refused(run: Run, lakehouse: Lakehouse, tmp_path: Path) -> None:
    top = json_file(tmp_path, {**ARTIFACT, "destinations": [], "sinks_v2": []})
    assert "unknown key(s) 'sinks_v2'" in refused(run, lakehouse, top)
    inner = json_file(tmp_path, {**ARTIFACT, "destinations": [destination(batchsize=5)]})
    assert "destinations[0]: unknown key(s) 'batchsize'" in refused(run, lakehouse, inner)


def test_a_compiled_artifact_is_accepted(run: Run, lakehouse: Lakehouse, tmp_path: Path) -> None:
    """Every key `floe compile` writes is one the runner knows."""
    example = Path(__file__).resolve().parent.parent / "examples" / "customer-analytics"
    out = tmp_path / "compiled.json"
    compiled = run("compile", "--spec", example / "floe.yaml", "--output", out)
    assert compiled.exit_code == 0, compiled.output
    from floe_compiler.runner.artifact import read_artifact

    assert read_artifact(out).destinations


# -- D10: reading it bounded, as the YAML inputs are --------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_artifact_does_not_hang(run: Run, lakehouse: Lakehouse, tmp_path: Path) -> None:
    fifo = tmp_path / "a.json"
    os.mkfifo(fifo)
    assert "it is a named pipe (FIFO) and nothing wrote to it" in refused(run, lakehouse, fifo)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_is_read_no_further_than_the_limit(run: Run, lakehouse: Lakehouse,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from floe_compiler.runner import artifact

    monkeypatch.setattr(artifact, "MAX_ARTIFACT_BYTES", 8 * 1024 * 1024)
    message = refused(run, lakehouse, "/dev/zero")  # 1.7 GB before
    assert "too large: the limit is 8388608 bytes" in message


def test_a_deeply_nested_artifact_is_a_clear_error(run: Run, lakehouse: Lakehouse,
                                                   tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")  # RecursionError before
    assert "nested too deeply" in refused(run, lakehouse, path)


def test_binary_artifact(run: Run, lakehouse: Lakehouse, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(b"\xff\xfe{\x00}\x00")
    assert "not UTF-8 text" in refused(run, lakehouse, path)


# -- D16: names are checked whole, and never forge a line ----------------------------------


@pytest.mark.parametrize(("field", "value"), [
    ("connection_secret_ref", "db\n"),  # `$` matches before a final newline
    ("name", "export\n"),
    ("name", "export\nfloe run: all destinations: ok"),
])
def test_a_name_with_a_newline_is_refused_on_one_line(
        run: Run, lakehouse: Lakehouse, tmp_path: Path, field: str, value: str) -> None:
    path = write_artifact(tmp_path / "a.json", destination(**{field: value}))
    message = refused(run, lakehouse, path)
    assert f"destinations[0].{field}" in message
    assert field == "connection_secret_ref" or "\\n" in message  # escaped, on the one line


def test_errors_quoting_the_artifact_stay_on_their_line(
        run: Run, lakehouse: Lakehouse, tmp_path: Path) -> None:
    lakehouse.seed(10)
    forged = "gold.missing\nfloe run: warehouse-export: ok, 10 rows delivered"
    path = write_artifact(tmp_path / "a.json", destination(source_table=forged))
    result = floe_run(run, lakehouse, path, "--dry-run")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("floe run:")] == [
        "floe run: warehouse-export: FAILED, 0 rows to send in 0 batch(es)"], result.stderr
    assert any("gold.missing\\nfloe run:" in line for line in lines)


# -- D11: secrets are small ---------------------------------------------------------------


def test_a_huge_secret_file_is_refused_without_reading_it(
        run: Run, lakehouse: Lakehouse, tmp_path: Path, secrets: Secrets) -> None:
    lakehouse.seed(10)
    directory = secrets("warehouse-export-secret", {"url": "sqlite:///x.db"})
    with (directory / "password").open("wb") as handle:  # sparse: 300 MB on paper
        handle.truncate(300 * 1024 * 1024)
    path = write_artifact(tmp_path / "a.json", destination())
    with bounded(megabytes=50):  # 2.5 GB of RSS before
        result = floe_run(run, lakehouse, path)
    assert result.exit_code == 1
    (error,) = json.loads(result.stdout)["destinations"][0]["errors"]
    assert "secret 'warehouse-export-secret': key 'password' is larger than 1048576 bytes" \
        in error


# -- D6: credentials in URLs --------------------------------------------------------------


@pytest.mark.parametrize("uri", [
    "https://catalog-user:hunter2-pw@127.0.0.1:9/catalog?token=tok-123456&warehouse=w",
    "http://127.0.0.1:9/catalog?credential=cred-abcdef&X-Amz-Signature=sig-abcdef",
    "sqlite:////nonexistent/catalog.db?password=hunter2-pw",
    "postgresql+psycopg://u@127.0.0.1:9/db?sslmode=disable&password=hunter2-pw",
])
def test_catalog_uri_credentials_are_masked_everywhere(
        run: Run, tmp_path: Path, uri: str) -> None:
    path = write_artifact(tmp_path / "a.json", destination())
    result = run("run", "--artifact", path, "--catalog-uri", uri, "--dry-run")
    assert result.exit_code == 1, result.output
    for secret in ("hunter2-pw", "tok-123456", "cred-abcdef", "sig-abcdef"):
        assert secret not in result.output
    errors = json.loads(result.stdout)["destinations"][0]["errors"]
    assert "****" in errors[0] or "/nonexistent/catalog.db" in errors[0]


def test_mask_url() -> None:
    from floe_compiler.credentials import mask_url

    assert mask_url("postgresql://u:p%40ss@h:5432/db?sslmode=require&password=x") \
        == "postgresql://u:****@h:5432/db?sslmode=require&password=****"
    assert mask_url("https://ghp_0123456789@github.com/org/repo") \
        == "https://****@github.com/org/repo"
    assert mask_url("https://h/x?api_key=1&apiKey=2&access_token=3&page=4#id_token=5") \
        == "https://h/x?api_key=****&apiKey=****&access_token=****&page=4#id_token=****"
    assert mask_url("sqlite:///.floe/catalog.db") == "sqlite:///.floe/catalog.db"
    assert mask_url("not a url") == "not a url"


def test_urls_in_snippets_are_masked(run: Run, tmp_path: Path) -> None:
    spec = tmp_path / "floe.yaml"
    spec.write_text("apiVersion: floe.dev/v1\nkind: FloeSpec\nmetadata:\n  name: orders\n"
                    "  version: 1.0.0\n  owner: data@acme.com\n"
                    "  description: see https://u:hunter2-pw@wiki.acme.com/x?token=tok-123456\n"
                    "  bogus: 1\n", encoding="utf-8")
    result = run("validate", spec)
    assert result.exit_code == 1
    assert "FLOE-E102" in result.output
    assert "https://u:****@wiki.acme.com/x?token=****" in result.output
    assert "hunter2-pw" not in result.output and "tok-123456" not in result.output


def test_a_secret_name_with_a_final_newline_is_refused_by_validate(run: Run, tmp_path: Path) -> None:
    from tests.conftest import VALID_SPEC

    spec = tmp_path / "floe.yaml"
    spec.write_text(VALID_SPEC + "destinations:\n  - name: d\n    sink_type: sql_database\n"
                    '    connection_secret_ref: "db\\n"\n', encoding="utf-8")
    result = run("validate", "--format", "json", spec)
    assert [d["code"] for d in result.json()["diagnostics"]] == ["FLOE-E107"]
