"""`floe compile`: both files checked together, one deterministic artifact out."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from floe_compiler import (
    CompilationError,
    DependencyCycleError,
    HardcodedCredentialError,
    Options,
    PluginWhitelistError,
    SinkWhitelistError,
    UnknownDependencyError,
    compile_project,
)
from floe_compiler.emit import json_parts, to_json, write_atomic
from floe_compiler.models.artifact import CompiledArtifacts
from floe_compiler.pipeline import compile_files
from tests.conftest import EXAMPLE, VALID_MANIFEST, VALID_SPEC, Run, Write

GOVERNED_MANIFEST = VALID_MANIFEST + """\
scope: enterprise
approved_plugins:
  compute: [duckdb, snowflake]
approved_sinks: [rest_api, sql_database]
"""

DESTINATIONS = """\
destinations:
  - name: crm-sync
    sink_type: rest_api
    connection_secret_ref: crm-credentials
    source_table: gold.orders
    batch_size: 100
"""


@pytest.fixture
def project(write: Write) -> Path:
    write("manifest.yaml", GOVERNED_MANIFEST)
    return write("floe.yaml", VALID_SPEC + DESTINATIONS)


def test_compiles_the_example_with_a_summary(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "target" / "compiled_artifacts.json"
    result = run("compile", "--spec", EXAMPLE / "floe.yaml", "--output", out)
    assert result.exit_code == 0, result.output
    assert "compiled customer-analytics 1.2.0" in result.output
    artifact = json.loads(out.read_text())
    assert [t["name"] for t in artifact["transforms"]] == [
        "stg_customers", "stg_orders", "int_customer_orders", "mart_customer_lifetime_value"]
    assert {d["name"] for d in artifact["destinations"]} == {"salesforce-sync", "warehouse-export"}
    assert artifact["inputs"]["manifest"]["path"] == "manifest.yaml"
    assert artifact["compiled_at"] is None


def test_artifact_is_byte_identical_across_runs_and_directories(run: Run, project: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert run("compile", "--spec", project, "--output", first).exit_code == 0
    cwd = os.getcwd()
    os.chdir(project.parent)
    try:
        assert run("compile", "--spec", "floe.yaml", "--output", second).exit_code == 0
    finally:
        os.chdir(cwd)
    assert first.read_bytes() == second.read_bytes()


def test_artifact_records_inputs_and_sink_config_shape(project: Path) -> None:
    import hashlib

    artifact = compile_project(project)
    assert artifact.inputs.spec.sha256 == hashlib.sha256(project.read_bytes()).hexdigest()
    dest = artifact.destinations[0]
    assert (dest.sink_type, dest.connection_secret_ref, dest.batch_size) == ("rest_api", "crm-credentials", 100)
    assert dest.retry_config["max_attempts"] >= 1
    assert [(e.upstream, e.downstream) for e in artifact.edges] == [("stg_orders", "mart_orders")]


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf"], ids=["plain", "utf8-bom"])
@pytest.mark.parametrize("description", ["orders", "commandes d\u2019\u00e9t\u00e9"],
                         ids=["ascii", "non-ascii"])
def test_input_sha256_is_of_the_bytes_on_disk(project: Path, prefix: bytes,
                                              description: str) -> None:
    """An ASCII file's bytes are not kept beside its text: the hash is the same."""
    import hashlib

    spec = project
    spec.write_bytes(prefix + spec.read_bytes().replace(
        b"metadata:\n", f"metadata:\n  description: {description}\n".encode(), 1))
    artifact = compile_project(spec)
    assert artifact.product.description == description
    assert artifact.inputs.spec.sha256 == hashlib.sha256(spec.read_bytes()).hexdigest()


def test_a_compile_lets_its_documents_go_once_the_artifact_is_built(write: Write,
                                                                     project: Path) -> None:
    """Their data and positions are not needed after the report: a big file's document
    and its artifact are not in memory together. A compile that fails keeps them."""
    done = compile_files(project, None, Options())
    assert done.artifact is not None and done.files == [] and done.manifests == []
    write("floe.yaml", VALID_SPEC.replace("dependsOn: [stg_orders]", "dependsOn: [nowhere]"))
    failed = compile_files(project, None, Options(strict=True))
    assert failed.artifact is None
    assert [f.doc.data["metadata"]["name"] for f in failed.files] == ["orders"]


def test_models_given_the_same_fields_share_a_fields_set_that_copies_leave_alone() -> None:
    from floe_compiler.models.spec import FloeSpec

    spec = FloeSpec.model_validate({
        "apiVersion": "floe.dev/v1", "kind": "FloeSpec",
        "metadata": {"name": "orders", "version": "1.0.0"},
        "transforms": [{"name": "a"}, {"name": "b"}, {"name": "c", "tier": "gold"}]})
    a, b, c = spec.transforms
    assert a.model_fields_set is b.model_fields_set  # one set for the same fields
    assert a.model_fields_set == {"name"} and c.model_fields_set == {"name", "tier"}
    changed = a.model_copy(update={"tier": "silver"})
    assert changed.model_fields_set == {"name", "tier"}
    assert a.model_fields_set == b.model_fields_set == {"name"}


def test_source_date_epoch_and_timestamp(run: Run, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "a.json"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert run("compile", "--spec", project, "--output", out).exit_code == 0
    assert json.loads(out.read_text())["compiled_at"] == "2023-11-14T22:13:20Z"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert run("compile", "--spec", project, "--output", out, "--timestamp").exit_code == 0
    assert json.loads(out.read_text())["compiled_at"].endswith("Z")


def test_sink_not_in_whitelist(run: Run, write: Write, project: Path) -> None:
    write("floe.yaml", VALID_SPEC + DESTINATIONS.replace("rest_api", "rest_apl"))
    result = run("compile", "--spec", project, "--format", "json", "--output", project.parent / "a.json")
    assert result.exit_code == 1
    [d] = result.json()["diagnostics"]
    assert (d["code"], d["line"], d["column"]) == ("FLOE-E201", 15, 16)
    assert "[rest_api, sql_database]" in d["message"]
    assert "rest_api" in d["hint"]
    assert not (project.parent / "a.json").exists()


def test_sink_whitelist_error_for_library_users(write: Write, project: Path) -> None:
    write("floe.yaml", VALID_SPEC + DESTINATIONS.replace("rest_api", "kafka"))
    with pytest.raises(CompilationError) as info:
        compile_project(project)
    [error] = info.value.exceptions
    assert isinstance(error, SinkWhitelistError)
    assert error.sink_type == "kafka"
    assert error.approved_sinks == ["rest_api", "sql_database"]
    assert error.diagnostic.line == 15


def test_except_star_splits_by_kind(write: Write, project: Path) -> None:
    write("floe.yaml", VALID_SPEC.replace("  - name: stg_orders\n", "  - name: stg_orders\n    dependsOn: [mart_orders]\n")
          + DESTINATIONS.replace("rest_api", "kafka"))
    caught: list[type] = []
    try:
        compile_project(project)
    except* SinkWhitelistError as group:
        caught += [type(e) for e in group.exceptions]
    except* DependencyCycleError as group:
        caught += [type(e) for e in group.exceptions]
    assert sorted(c.__name__ for c in caught) == ["DependencyCycleError", "SinkWhitelistError"]


def test_unknown_dependency_is_an_error_only_with_strict(write: Write, project: Path) -> None:
    write("floe.yaml", VALID_SPEC.replace("[stg_orders]", "[stg_ordrs]"))
    assert compile_project(project).transforms  # a warning: it may be a dbt model elsewhere
    with pytest.raises(CompilationError) as info:
        compile_project(project, options=Options(strict=True))
    [error] = info.value.exceptions
    assert isinstance(error, UnknownDependencyError)
    assert error.diagnostic.code == "FLOE-W204"


def test_no_approved_sinks_allows_every_sink(write: Write) -> None:
    write("manifest.yaml", VALID_MANIFEST)
    spec = write("floe.yaml", VALID_SPEC + DESTINATIONS.replace("rest_api", "anything_goes"))
    assert compile_project(spec).destinations[0].sink_type == "anything_goes"


def test_plugin_whitelist_in_both_files(run: Run, write: Write) -> None:
    write("manifest.yaml", GOVERNED_MANIFEST.replace("type: duckdb", "type: spark"))
    spec = write("floe.yaml", VALID_SPEC.replace("  - name: stg_orders\n", "  - name: stg_orders\n    compute: duckdbb\n"))
    result = run("compile", "--spec", spec, "--format", "json", "--output", spec.parent / "a.json")
    found = {(d["file"].rsplit("/", 1)[-1], d["line"], d["code"]) for d in result.json()["diagnostics"]}
    assert found == {("manifest.yaml", 11, "FLOE-E202"), ("floe.yaml", 11, "FLOE-E202")}
    with pytest.raises(CompilationError) as info:
        compile_project(spec)
    errors = [e for e in info.value.exceptions if isinstance(e, PluginWhitelistError)]
    assert {(e.category, e.plugin_type) for e in errors} == {("compute", "spark"), ("compute", "duckdbb")}


def test_unknown_dependency_is_a_warning_that_suggests_a_name(run: Run, write: Write, project: Path) -> None:
    write("floe.yaml", VALID_SPEC.replace("[stg_orders]", "[stg_order]"))
    result = run("compile", "--spec", project, "--format", "json", "--output", project.parent / "a.json")
    assert result.exit_code == 0  # it may be a dbt model or source defined outside floe.yaml
    [d] = result.json()["diagnostics"]
    assert (d["code"], d["severity"], d["line"], d["column"]) == ("FLOE-W204", "warning", 12, 17)
    assert "stg_orders" in d["hint"]


def test_cycle_is_reported_with_its_full_path(run: Run, write: Write, project: Path) -> None:
    write("floe.yaml", VALID_SPEC.replace("  - name: stg_orders\n", "  - name: stg_orders\n    dependsOn: [int_orders]\n")
          + "  - name: int_orders\n    dependsOn: [mart_orders]\n")
    result = run("compile", "--spec", project, "--output", project.parent / "a.json")
    assert result.exit_code == 1
    assert "dependency cycle: stg_orders -> int_orders -> mart_orders -> stg_orders" in result.output
    with pytest.raises(CompilationError) as info:
        compile_project(project)
    [error] = info.value.exceptions
    assert isinstance(error, DependencyCycleError)
    assert error.cycle == ["stg_orders", "int_orders", "mart_orders", "stg_orders"]


def test_self_dependency_is_a_cycle(write: Write, project: Path) -> None:
    write("floe.yaml", VALID_SPEC.replace("[stg_orders]", "[mart_orders]"))
    with pytest.raises(CompilationError) as info:
        compile_project(project)
    assert info.value.exceptions[0].cycle == ["mart_orders", "mart_orders"]  # type: ignore[attr-defined]


def test_duplicate_destination_names(run: Run, write: Write, project: Path) -> None:
    write("floe.yaml", VALID_SPEC + DESTINATIONS + DESTINATIONS.split("\n", 1)[1])
    result = run("compile", "--spec", project, "--format", "json", "--output", project.parent / "a.json")
    assert result.codes() == ["FLOE-E108"]


def test_hardcoded_credential_never_reaches_output_or_artifact(run: Run, write: Write, project: Path) -> None:
    write("floe.yaml", VALID_SPEC + DESTINATIONS + "    config:\n      client_secret: s3cr3t-value\n")
    result = run("compile", "--spec", project, "--output", project.parent / "a.json")
    assert result.exit_code == 1
    assert "s3cr3t-value" not in result.output
    with pytest.raises(CompilationError) as info:
        compile_project(project)
    assert isinstance(info.value.exceptions[0], HardcodedCredentialError)
    assert "s3cr3t-value" not in str(info.value.exceptions[0])


def test_manifest_credential_is_redacted_in_the_artifact(write: Write) -> None:
    write("manifest.yaml", VALID_MANIFEST + "  catalog:\n    type: polaris\n    config:\n      oauth2:\n        client_secret: demo-secret\n")
    spec = write("floe.yaml", VALID_SPEC)
    artifact = compile_project(spec)
    assert "demo-secret" not in artifact.model_dump_json()
    assert artifact.plugins["catalog"].config["oauth2"]["client_secret"] == "<redacted>"


def test_every_problem_in_both_files_at_once(run: Run, write: Write, project: Path) -> None:
    write("manifest.yaml", GOVERNED_MANIFEST.replace("  owner: platform@acme.com\n", ""))
    write("floe.yaml", VALID_SPEC.replace("[stg_orders]", "[nope]") + DESTINATIONS.replace("rest_api", "kafka"))
    result = run("compile", "--spec", project, "--format", "json", "--output", project.parent / "a.json")
    assert sorted(result.codes()) == ["FLOE-E101", "FLOE-E201", "FLOE-W204"]


def test_manifest_defaults_to_platform_manifest_relative_to_spec(run: Run, write: Write, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # one repository: platform/ and product/ are both inside it
    write("platform/manifest.yaml", GOVERNED_MANIFEST)
    spec = write("product/floe.yaml", VALID_SPEC.replace("manifest: manifest.yaml", "manifest: ../platform/manifest.yaml"))
    assert run("compile", "--spec", spec, "--output", tmp_path / "a.json").exit_code == 0


@pytest.mark.parametrize(("ref", "needle"), [
    ("oci://registry.acme.com/floe/platform:v1", "remote reference"),
    ("missing.yaml", "not found"),
])
def test_unresolvable_manifest_exits_two(run: Run, write: Write, tmp_path: Path, ref: str, needle: str) -> None:
    spec = write("floe.yaml", VALID_SPEC.replace("manifest: manifest.yaml", f"manifest: {ref}"))
    result = run("compile", "--spec", spec, "--output", tmp_path / "a.json")
    assert result.exit_code == 2
    assert "FLOE-E206" in result.output and needle in result.output


def test_files_swapped_is_a_clear_error(run: Run, write: Write, project: Path) -> None:
    manifest = project.parent / "manifest.yaml"
    result = run("compile", "--spec", manifest, "--manifest", project, "--format", "json",
                 "--output", project.parent / "a.json")
    assert result.codes() == ["FLOE-E207", "FLOE-E207"]


def test_failed_compile_leaves_previous_artifact_untouched(run: Run, write: Write, project: Path) -> None:
    out = project.parent / "target" / "compiled_artifacts.json"
    assert run("compile", "--spec", project, "--output", out).exit_code == 0
    before = out.read_bytes()
    write("floe.yaml", VALID_SPEC.replace("version: 1.0.0", "version: broken"))
    assert run("compile", "--spec", project, "--output", out).exit_code == 1
    assert out.read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == ["compiled_artifacts.json"]


def test_atomic_write_keeps_old_file_when_writing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "artifact.json"
    target.write_bytes(b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["artifact.json"]


def test_unwritable_output_is_a_clear_error(run: Run, project: Path) -> None:
    blocker = project.parent / "blocker"
    blocker.write_text("a file, not a directory")
    result = run("compile", "--spec", project, "--output", blocker / "a.json")
    assert result.exit_code == 2
    assert "cannot write" in result.output


def test_check_detects_a_stale_artifact(run: Run, write: Write, project: Path) -> None:
    out = project.parent / "compiled.json"
    assert run("compile", "--spec", project, "--output", out, "--check").exit_code == 1
    assert not out.exists()
    assert run("compile", "--spec", project, "--output", out).exit_code == 0
    result = run("compile", "--spec", project, "--output", out, "--check")
    assert result.exit_code == 0 and "up to date" in result.output
    write("floe.yaml", VALID_SPEC + DESTINATIONS.replace("100", "200"))
    result = run("compile", "--spec", project, "--output", out, "--check")
    assert result.exit_code == 1 and "FLOE-E208" in result.output


def test_check_ignores_comments_and_layout_and_says_what_changed(run: Run, write: Write,
                                                                 project: Path) -> None:
    out = project.parent / "compiled.json"
    assert run("compile", "--spec", project, "--output", out).exit_code == 0
    # The same meaning, other bytes: a comment, flow style, other indentation.
    write("floe.yaml", "# owned by the orders team\n" + VALID_SPEC.replace(
        "    dependsOn: [stg_orders]", "    dependsOn:\n      - stg_orders  # daily") + DESTINATIONS)
    result = run("compile", "--spec", project, "--output", out, "--check")
    assert result.exit_code == 0, result.output
    assert "up to date (its inputs differ only in comments or layout)" in result.output

    write("floe.yaml", VALID_SPEC.replace("  - name: mart_orders\n    dependsOn: [stg_orders]\n",
                                          "  - name: fct_orders\n") + DESTINATIONS.replace("100", "200"))
    result = run("compile", "--spec", project, "--output", out, "--check", "--format", "json")
    [stale] = [d for d in result.json()["diagnostics"] if d["code"] == "FLOE-E208"]
    assert stale["message"] == (f"{out} is stale: transforms added: fct_orders; "
                                "transforms removed: mart_orders; destinations changed: crm-sync")
    assert (stale["line"], stale["column"]) == (1, 1)


def test_corpus_demo_compiles_against_its_manifest(tmp_path: Path) -> None:
    from tests.conftest import CORPUS

    for spec in ["demo_customer-360", "demo_financial-risk", "demo_iot-telemetry", "examples_hello-orders"]:
        artifact = compile_project(CORPUS / spec / "floe.yaml", CORPUS / "demo" / "manifest.yaml")
        assert artifact.transforms, spec


def test_cycle_diagnostic_points_at_the_closing_edge(run: Run, write: Write, project: Path) -> None:
    write("floe.yaml", VALID_SPEC.replace("  - name: stg_orders\n", "  - name: stg_orders\n    dependsOn: [mart_orders]\n"))
    result = run("compile", "--spec", project, "--format", "json", "--output", project.parent / "a.json")
    [d] = result.json()["diagnostics"]
    assert (d["code"], d["line"], d["column"]) == ("FLOE-E205", 11, 17)


# -- the artifact's bytes: sorted keys at every level, straight from the models -------

def _reference_json(artifact: CompiledArtifacts) -> bytes:
    """What to_json must write: the artifact as plain data, every mapping's keys sorted,
    by pydantic-core's JSON writer (2-space indent)."""
    from pydantic_core import to_json as dump

    def ordered(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: ordered(value[key]) for key in sorted(value)}
        if isinstance(value, list):
            return [ordered(item) for item in value]
        return value

    return dump(ordered(artifact.model_dump(mode="json")), indent=2) + b"\n"


free_form = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**80), 2**80), st.floats(),
              st.text(max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=10)
configs = st.dictionaries(st.text(max_size=6), free_form, max_size=5)
names = st.text(alphabet="abcXYZ_é", min_size=1, max_size=5)


@st.composite
def artifacts(draw: st.DrawFn) -> CompiledArtifacts:
    """Every model of the artifact, with free-form mappings in any order."""
    file = {"path": "floe.yaml", "sha256": "0" * 64}
    return CompiledArtifacts.model_validate({
        "compiler_version": "0", "inputs": {"spec": file, "manifest": file},
        "product": {"name": "p", "version": "1.0.0", "owner": draw(st.none() | names),
                    "labels": draw(st.dictionaries(names, names, max_size=3))},
        "platform": {"name": "m", "version": "1", "owner": "o", "scope": None},
        "plugins": draw(st.dictionaries(names, st.fixed_dictionaries(
            {"type": names, "config": configs, "version": st.none() | names}), max_size=3)),
        "governance": draw(configs),
        "transforms": draw(st.lists(st.fixed_dictionaries({
            "name": st.text(max_size=4), "compute": st.none() | names,
            "tags": st.lists(names, max_size=2), "depends_on": st.lists(names, max_size=2)}),
            max_size=4)),
        "edges": draw(st.lists(st.fixed_dictionaries(
            {"upstream": st.text(max_size=3), "downstream": names}), max_size=4)),
        "schedule": draw(st.none() | st.fixed_dictionaries({"cron": names})),
        "destinations": draw(st.lists(st.fixed_dictionaries({
            "name": names, "sink_type": names, "connection_secret_ref": names,
            "config": configs, "field_mapping": st.none() | st.dictionaries(names, names),
            "retry_config": configs, "batch_size": st.none() | st.integers(1, 9)}),
            max_size=2)),
        "templating": {"env_vars": draw(st.lists(names, max_size=2)), "vars": []},
        "sink_connectors": draw(st.dictionaries(names, st.fixed_dictionaries({
            "entry_point": names, "group": st.just("floe.sinks"), "distribution": names,
            "version": st.just("1"), "api": st.just("floe")}), max_size=2)),
    })


@settings(max_examples=200, deadline=None)
@given(artifacts())
def test_the_artifact_is_written_with_every_key_sorted(artifact: CompiledArtifacts) -> None:
    """to_json serializes the models as they are: their fields must be declared in sorted
    order and their free-form mappings kept sorted, however the artifact was built."""
    assert to_json(artifact) == _reference_json(artifact)
    again = CompiledArtifacts.model_validate_json(to_json(artifact))
    assert to_json(again) == to_json(artifact)
    # written in parts (floe compile never holds a big artifact's JSON whole): the same
    for per_part in (1, 2):
        assert b"".join(json_parts(artifact, per_part)) == to_json(artifact)


def test_the_pipeline_leaves_no_reference_cycle_behind(write: Write, project: Path) -> None:
    """The pipeline pauses the cyclic collector and the CLI never runs it: anything held
    in a reference cycle would stay in memory to the end (a document's positions did,
    ~45 MB at 100k transforms). The file has a Python field name, a credential and a
    warning, so that those checks run too. (Jinja's templates are cycles of their own:
    a templated value's stays until the collector runs.)"""
    import gc

    from floe_compiler.pipeline import validate_paths

    write("floe.yaml", VALID_SPEC.replace("dependsOn:", "depends_on:")
          + "schedule:\n  cron: '0 6 * * *'\n  password: hunter2\n")

    def both() -> None:
        validated = validate_paths([project], Options())
        assert {d.code for d in validated.diagnostics} >= {"FLOE-W121", "FLOE-E203"}
        assert compile_files(project, None, Options()).files  # failed: documents kept

    both()  # imports first: a class is always in a cycle
    write("floe.yaml", VALID_SPEC.replace("dependsOn:", "depends_on:"))
    assert compile_files(project, None, Options()).artifact is not None
    write("floe.yaml", VALID_SPEC.replace("dependsOn:", "depends_on:")
          + "schedule:\n  cron: '0 6 * * *'\n  password: hunter2\n")
    gc.collect()
    flags = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        both()
        write("floe.yaml", VALID_SPEC.replace("dependsOn:", "depends_on:"))
        assert compile_files(project, None, Options()).artifact is not None
        gc.collect()
        assert gc.garbage == []
    finally:
        gc.set_debug(flags)
        gc.garbage.clear()


def test_transforms_are_written_in_run_order_whatever_order_they_are_declared_in(
        write: Write, project: Path) -> None:
    write("floe.yaml", VALID_SPEC.replace(
        "  - name: stg_orders\n  - name: mart_orders\n    dependsOn: [stg_orders]\n",
        "  - name: report\n    dependsOn: [mart_orders]\n  - name: mart_orders\n"
        "    dependsOn: [stg_orders]\n    tags: [gold]\n  - name: stg_orders\n"))
    artifact = compile_project(project)
    assert [(t.name, t.tags, t.depends_on) for t in artifact.transforms] == [
        ("stg_orders", [], []), ("mart_orders", ["gold"], ["stg_orders"]),
        ("report", [], ["mart_orders"])]
