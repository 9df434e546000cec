"""One verdict: `floe validate` and `floe compile` run the same rules through the same way
in, `validate` finds a floe.yaml's manifest as `compile` does, and a manifest found in a
file that anyone may have written is never read from outside the repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from floe_compiler.pipeline import Options, Source, validate_paths
from floe_compiler.pipeline import run as run_pipeline
from tests.conftest import CORPUS, EXAMPLE, VALID_MANIFEST, VALID_SPEC, Result, Run, Write

GOVERNED_MANIFEST = VALID_MANIFEST + """\
scope: enterprise
approved_plugins:
  compute: [duckdb, snowflake]
approved_sinks: [rest_api, sql_database]
"""
DESTINATION = """\
destinations:
  - name: crm-sync
    sink_type: rest_api
    connection_secret_ref: crm-credentials
    source_table: gold.orders
"""
CYCLE = VALID_SPEC.replace("  - name: stg_orders\n", "  - name: stg_orders\n    dependsOn: [mart_orders]\n")
PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"


def codes(result: Result) -> list[str]:
    return sorted(result.codes())


# --- validate runs every rule a file can show --------------------------------------


def test_validate_alone_catches_a_cycle_with_its_path(run: Run, write: Write) -> None:
    result = run("validate", "--format", "json", write("floe.yaml", CYCLE))
    assert result.exit_code == 1
    [d] = result.json()["diagnostics"]
    assert d["code"] == "FLOE-E205"
    assert "stg_orders -> mart_orders -> stg_orders" in d["message"]


def test_validate_warns_on_an_unknown_dependency(run: Run, write: Write) -> None:
    result = run("validate", "--format", "json", write("floe.yaml", VALID_SPEC.replace("[stg_orders]", "[stg_ordrs]")))
    assert result.exit_code == 0
    [d] = result.json()["diagnostics"]
    assert (d["code"], d["line"], d["column"], d["hint"]) == ("FLOE-W204", 12, 17, "Did you mean 'stg_orders'?")


def test_the_manifest_passed_in_the_same_call_is_used(run: Run, write: Write) -> None:
    spec = write("product/floe.yaml", VALID_SPEC.replace("manifest: manifest.yaml", "manifest: oci://acme/platform:v1")
                 + DESTINATION.replace("rest_api", "kafka"))
    manifest = write("platform/manifest.yaml", GOVERNED_MANIFEST)
    result = run("validate", "--format", "json", spec, manifest)
    assert codes(result) == ["FLOE-E201"]
    assert result.json()["files_checked"] == 2


def test_each_floe_yaml_is_paired_with_its_own_manifest_in_one_call(run: Run, write: Write) -> None:
    a = write("a/floe.yaml", VALID_SPEC + DESTINATION.replace("rest_api", "sql_database"))
    b = write("b/floe.yaml", VALID_SPEC + DESTINATION.replace("rest_api", "sql_database"))
    manifests = [write("a/manifest.yaml", VALID_MANIFEST + "scope: enterprise\n"
                       "approved_sinks: [rest_api]\n"),
                 write("b/manifest.yaml", VALID_MANIFEST + "scope: enterprise\n"
                       "approved_sinks: [sql_database]\n")]
    result = run("validate", "--format", "json", a, b, *manifests)
    assert [(d["code"], d["file"]) for d in result.json()["diagnostics"]] == [("FLOE-E201", str(a))]
    assert result.json()["files_checked"] == 4


def test_platform_manifest_is_used(run: Run, write: Write) -> None:
    write("manifest.yaml", GOVERNED_MANIFEST)
    spec = write("floe.yaml", VALID_SPEC + DESTINATION.replace("rest_api", "kafka"))
    result = run("validate", "--format", "json", spec)
    assert codes(result) == ["FLOE-E201"]
    assert result.json()["files_checked"] == 2, "the manifest is checked too"


def test_the_nearest_manifest_up_to_the_repository_root_is_found(run: Run, write: Write, tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    write("repo/manifest.yml", GOVERNED_MANIFEST)
    write("manifest.yaml", VALID_MANIFEST)  # above the repository: never looked at
    no_reference = VALID_SPEC.replace("platform:\n  manifest: manifest.yaml\n", "")
    spec = write("repo/products/orders/floe.yaml", no_reference.replace("mart_orders\n", "mart_orders\n    compute: spark\n"))
    result = run("validate", "--format", "json", spec)
    assert codes(result) == ["FLOE-E202"]
    assert "compute plugin 'spark' is not approved" in result.json()["diagnostics"][0]["message"]
    compiled = run("compile", "--format", "json", "--spec", spec, "--output", tmp_path / "a.json")
    assert codes(compiled) == ["FLOE-E202"]


def test_without_a_repository_only_the_directory_of_floe_yaml_is_searched(run: Run, write: Write, tmp_path: Path) -> None:
    write("manifest.yaml", GOVERNED_MANIFEST)
    no_reference = VALID_SPEC.replace("platform:\n  manifest: manifest.yaml\n", "")
    spec = write("products/orders/floe.yaml", no_reference + DESTINATION.replace("rest_api", "kafka"))
    # no FLOE-E201 (kafka is not approved): the manifest was not found; kafka is not
    # installed either (FLOE-W210, a check of floe.yaml alone)
    assert codes(run("validate", "--format", "json", spec)) == ["FLOE-W210"]
    compiled = run("compile", "--format", "json", "--spec", spec, "--output", tmp_path / "a.json")
    assert compiled.exit_code == 2
    assert codes(compiled) == ["FLOE-E206", "FLOE-W210"]


@pytest.mark.parametrize("how", ["--manifest", "FLOE_MANIFEST"])
def test_manifest_option_and_environment_override_discovery(run: Run, write: Write, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    write("manifest.yaml", VALID_MANIFEST)  # allows every sink
    strict = write("elsewhere/strict.yaml", GOVERNED_MANIFEST)
    spec = write("floe.yaml", VALID_SPEC + DESTINATION.replace("rest_api", "kafka"))
    assert run("validate", spec).exit_code == 0
    if how == "FLOE_MANIFEST":
        monkeypatch.setenv("FLOE_MANIFEST", str(strict))
        args: list[str | Path] = []
    else:
        args = ["--manifest", strict]
    result = run("validate", "--format", "json", *args, spec)
    assert codes(result) == ["FLOE-E201"]
    assert str(strict) in result.json()["diagnostics"][0]["message"]
    compiled = run("compile", "--format", "json", *args, "--spec", spec, "--output", tmp_path / "a.json")
    assert codes(compiled) == ["FLOE-E201"]


def test_a_remote_manifest_is_e206_for_compile_and_no_error_for_validate(run: Run, write: Write, tmp_path: Path) -> None:
    spec = write("floe.yaml", CYCLE.replace("manifest: manifest.yaml", "manifest: oci://registry.acme.com/floe/platform:v1"))
    validated = run("validate", "--format", "json", spec)
    assert codes(validated) == ["FLOE-E205"]
    compiled = run("compile", "--format", "json", "--spec", spec, "--output", tmp_path / "a.json")
    assert compiled.exit_code == 2
    assert codes(compiled) == ["FLOE-E205", "FLOE-E206"]
    assert "remote reference" in next(d["message"] for d in compiled.json()["diagnostics"] if d["code"] == "FLOE-E206")


def test_compile_runs_the_modeline_checks(run: Run, write: Write, tmp_path: Path) -> None:
    write("manifest.yaml", VALID_MANIFEST)
    write("acme-floe.schema.json", json.dumps({"properties": {"metadata": {"required": ["labels"]}}}))
    spec = write("floe.yaml", "# yaml-language-server: $schema=acme-floe.schema.json\n" + VALID_SPEC)
    result = run("compile", "--format", "json", "--spec", spec, "--output", tmp_path / "a.json")
    assert result.exit_code == 1
    assert codes(result) == ["FLOE-E109"]
    spec = write("floe.yaml", "# yaml-language-server: $schema=missing.json\n" + VALID_SPEC)
    assert run("compile", "--spec", spec, "--output", tmp_path / "a.json").exit_code == 0
    strict = run("compile", "--strict", "--format", "json", "--spec", spec, "--output", tmp_path / "a.json")
    assert (strict.exit_code, codes(strict)) == (1, ["FLOE-W110"])


def test_compile_takes_the_kind_from_the_modeline(run: Run, write: Write, tmp_path: Path) -> None:
    schemas = Path(__file__).resolve().parent.parent / "schemas"
    write("manifest.yaml", VALID_MANIFEST)
    spec = write("floe.yaml", f"# yaml-language-server: $schema={schemas / 'manifest.schema.json'}\n" + VALID_SPEC)
    result = run("compile", "--format", "json", "--spec", spec, "--output", tmp_path / "a.json")
    assert "FLOE-E207" in result.codes()


# --- the same error diagnostics from validate and compile ---------------------------

BAD_PAIRS: dict[str, tuple[str, str]] = {
    "cycle": (CYCLE, GOVERNED_MANIFEST),
    "unknown dependsOn": (VALID_SPEC.replace("[stg_orders]", "[nope]"), GOVERNED_MANIFEST),
    "unapproved sink": (VALID_SPEC + DESTINATION.replace("rest_api", "kafka"), GOVERNED_MANIFEST),
    "unapproved plugin": (VALID_SPEC.replace("mart_orders\n", "mart_orders\n    compute: spark\n"),
                          GOVERNED_MANIFEST.replace("type: duckdb", "type: duckdbb")),
    "problems in both files": (VALID_SPEC.replace("[stg_orders]", "[nope]") + DESTINATION.replace("rest_api", "kafka"),
                               GOVERNED_MANIFEST.replace("  owner: platform@acme.com\n", "")),
    "literal credential": (VALID_SPEC + DESTINATION + "    config:\n      password: hunter2\n", VALID_MANIFEST),
    "manifest credential": (VALID_SPEC, VALID_MANIFEST + "    config:\n      password: hunter2\n"),
    "environment field": (VALID_SPEC + DESTINATION + "    config:\n      host: db.internal\n", VALID_MANIFEST),
    "duplicate names": (VALID_SPEC + "  - name: stg_orders\n", VALID_MANIFEST),
    "bad version": (VALID_SPEC.replace("version: 1.0.0", "version: '1.0'"), VALID_MANIFEST),
    "unknown field": (VALID_SPEC.replace("  owner:", "  ownr:"), VALID_MANIFEST),
    "template error": (VALID_SPEC.replace("name: orders", "name: \"{{ var('missing') }}\""), VALID_MANIFEST),
    "unsafe template": (VALID_SPEC.replace("name: orders", "name: \"{{ ''.__class__ }}\""), VALID_MANIFEST),
    "yaml 1.1 values": (VALID_SPEC + "schedule:\n  cron: 0 6 * * *\n  enabled: on\n", VALID_MANIFEST),
    "yaml syntax error": (VALID_SPEC + "transforms: [\n", VALID_MANIFEST),
    "no kind": (VALID_SPEC.replace("kind: FloeSpec\n", ""), VALID_MANIFEST.replace("kind: Manifest\n", "")),
    "not a mapping": ("- just\n- a list\n", VALID_MANIFEST),
    "foreign modeline schema": ("# yaml-language-server: $schema=acme.schema.json\n" + VALID_SPEC, VALID_MANIFEST),
}
ACME_SCHEMA = {"properties": {"metadata": {"required": ["labels"]}}}


def pairs() -> list[tuple[str, Path | str, Path | str]]:
    found: list[tuple[str, Path | str, Path | str]] = [
        (f"bad/{name}", spec, manifest) for name, (spec, manifest) in BAD_PAIRS.items()]
    found.append(("examples/customer-analytics", EXAMPLE / "floe.yaml", EXAMPLE / "manifest.yaml"))
    for spec in sorted(CORPUS.glob("*/floe.yaml")) + sorted(CORPUS.parent.glob("upstream-stale/*/floe.yaml")):
        beside = spec.parent / "manifest.yaml"
        manifest = beside if beside.is_file() else CORPUS / "demo" / "manifest.yaml"
        found.append((f"{spec.parent.parent.name}/{spec.parent.name}", spec, manifest))
    return found


def verdict(result: Result) -> list[tuple[Any, ...]]:
    return sorted((d["severity"], d["code"], d["file"], d["line"], d["column"], d["message"])
                  for d in result.json()["diagnostics"])


@pytest.mark.parametrize(("spec", "manifest"), [p[1:] for p in pairs()], ids=[p[0] for p in pairs()])
def test_validate_and_compile_give_the_same_diagnostics(run: Run, write: Write, tmp_path: Path,
                                                        spec: Path | str, manifest: Path | str) -> None:
    if isinstance(spec, str):
        write("acme.schema.json", json.dumps(ACME_SCHEMA))
        spec, manifest = write("floe.yaml", spec), write("manifest.yaml", str(manifest))
    validated = run("validate", "--format", "json", spec, manifest)
    compiled = run("compile", "--format", "json", "--spec", spec, "--manifest", manifest,
                   "--output", tmp_path / "out" / "a.json")
    assert verdict(validated) == verdict(compiled)
    assert (validated.exit_code == 0) == (compiled.exit_code == 0)


def test_every_upstream_file_and_the_quickstart_pair_validate_and_compile(run: Run, tmp_path: Path) -> None:
    checked = 0
    for _, spec, manifest in pairs():
        if not isinstance(spec, Path) or "upstream-stale" in str(spec):
            continue
        assert run("validate", spec, manifest).exit_code == 0, spec
        assert run("compile", "--spec", spec, "--manifest", manifest, "--output", tmp_path / "a.json").exit_code == 0, spec
        checked += 1
    assert checked >= 2 + len(list(CORPUS.glob("*/floe.yaml"))) - 1 or not CORPUS.is_dir()


def test_upstream_quickstart_depends_on_a_dbt_model_outside_floe_yaml(run: Run, tmp_path: Path) -> None:
    quickstart = CORPUS / "packages_floe-core_tests_fixtures_quickstart"
    if not quickstart.is_dir():
        pytest.skip("the shared corpus is not beside this checkout")
    result = run("compile", "--format", "json", "--spec", quickstart / "floe.yaml",
                 "--manifest", quickstart / "manifest.yaml", "--output", tmp_path / "a.json")
    assert result.exit_code == 0
    [d] = result.json()["diagnostics"]
    assert d["code"] == "FLOE-W204" and "'stg_orders'" in d["message"]


# --- platform.manifest is confined to the repository ---------------------------------


@pytest.mark.parametrize("ref", ["../../../../etc/passwd", "/etc/passwd", "../outside/manifest.yaml"])
def test_a_manifest_outside_the_repository_is_never_read(run: Run, write: Write, tmp_path: Path, ref: str) -> None:
    write("outside/manifest.yaml", PASSWD)
    spec = write("repo/product/floe.yaml", VALID_SPEC.replace("manifest: manifest.yaml", f"manifest: {ref}"))
    (tmp_path / "repo" / ".git").mkdir()
    if ref.startswith("../outside"):
        spec = write("repo/floe.yaml", spec.read_text())
    compiled = run("compile", "--spec", spec, "--output", tmp_path / "a.json")
    assert compiled.exit_code == 2
    assert f"{spec}:8:13: FLOE-E206 error: platform.manifest '{ref}' lies outside the repository" in compiled.output
    assert "root:" not in compiled.output and "daemon" not in compiled.output
    validated = run("validate", "--format", "json", spec)
    assert validated.exit_code == 0
    [d] = validated.json()["diagnostics"]
    assert (d["code"], d["line"], d["column"]) == ("FLOE-W202", 8, 13)
    assert "root:" not in validated.output


@pytest.mark.parametrize("named", [True, False], ids=["platform.manifest", "found beside"])
def test_a_symlink_out_of_the_repository_is_refused(run: Run, write: Write, tmp_path: Path, named: bool) -> None:
    secret = write("home/.netrc", "machine example.com login me password hunter2\n")
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "manifest.yaml").symlink_to(secret)
    spec = write("repo/floe.yaml", VALID_SPEC if named else VALID_SPEC.replace("platform:\n  manifest: manifest.yaml\n", ""))
    result = run("compile", "--spec", spec, "--output", tmp_path / "a.json")
    assert (result.exit_code, "lies outside the repository" in result.output) == (2, True)
    assert "hunter2" not in result.output
    validated = run("validate", "--format", "json", spec)
    assert (validated.exit_code, validated.codes()) == (0, ["FLOE-W202"])
    assert "hunter2" not in validated.output


def test_a_manifest_named_explicitly_may_be_anywhere_but_a_non_yaml_file_is_never_quoted(
        run: Run, write: Write, tmp_path: Path) -> None:
    passwd = write("etc/passwd", PASSWD)
    netrc = write("etc/netrc", "machine example.com login me password hunter2\n")
    credentials = write("etc/credentials", "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cr3t\n")
    spec = write("repo/floe.yaml", VALID_SPEC)
    for path in (passwd, netrc, credentials):
        for args in (["compile", "--spec", spec, "--manifest", path, "--output", tmp_path / "a.json"],
                     ["validate", "--manifest", path, spec], ["validate", spec, path]):
            result = run(*args)
            assert result.exit_code in (1, 2), result.output
            assert f"{path}:" in result.output  # located
            for secret in ("root:x", "daemon", "hunter2", "AKIAEXAMPLE", "s3cr3t"):
                assert secret not in result.output, (args, result.output)


def test_a_yaml_file_keeps_its_snippets(run: Run, write: Write) -> None:
    path = write("floe.yaml", VALID_SPEC + "transforms: [\n")
    assert "| transforms: [" in run("validate", path).output


# --- one way in: a source is text and a name --------------------------------------------


def test_an_unsaved_buffer_gets_the_diagnostics_of_the_file(write: Write, tmp_path: Path) -> None:
    write("manifest.yaml", GOVERNED_MANIFEST)
    text = VALID_SPEC.replace("[stg_orders]", "[stg_ordrs]") + DESTINATION.replace("rest_api", "kafka")
    on_disk = validate_paths([write("floe.yaml", text)], Options())
    (tmp_path / "floe.yaml").write_text(VALID_SPEC)  # the editor's buffer is not saved
    buffer = run_pipeline([Source(str(tmp_path / "floe.yaml"), text, tmp_path / "floe.yaml")], Options())
    assert buffer.report.diagnostics == on_disk.diagnostics
    assert sorted(d.code for d in buffer.report.diagnostics) == ["FLOE-E201", "FLOE-W204"]
    assert buffer.artifact is None


def test_a_source_compiles_from_text(write: Write) -> None:
    manifest = write("manifest.yaml", VALID_MANIFEST)
    outcome = run_pipeline([Source("floe.yaml", VALID_SPEC.encode())], Options(),
                           manifest=Source.from_path(manifest), emit=True)
    assert outcome.errors == []
    assert outcome.artifact is not None and outcome.artifact.product.name == "orders"


def test_a_source_is_bounded_like_a_file() -> None:
    outcome = run_pipeline([Source("floe.yaml", "x: 1\n" * 100)], Options(max_bytes=64))
    [d] = outcome.report.diagnostics
    assert (d.code, d.file) == ("FLOE-E009", "floe.yaml")
    assert outcome.report.exit_code == 1
