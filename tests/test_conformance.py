"""The verdict floe-core gives, rule by rule: a user's file in, the same accept/reject out,
each problem located. (`make conformance` compares against floe-core itself.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from conformance.generate import Pair, pairs
from conformance.run import DIFFERENCES, our_verdict
from tests.conftest import CORPUS, ROOT, VALID_MANIFEST, VALID_SPEC, Run, Write

STALE_DEMO = CORPUS.parent / "upstream-stale" / "demo" / "floe.yaml"


def located(run: Run, *args: str | Path) -> set[tuple[str, int, str]]:
    result = run("validate", "--format", "json", *args)
    return {(d["file"].rsplit("/", 1)[-1], d["line"], d["code"])
            for d in result.json()["diagnostics"]}


def compiled(run: Run, spec: Path, manifest: Path) -> tuple[int, set[tuple[str, int, str]]]:
    result = run("compile", "--spec", spec, "--manifest", manifest, "--format", "json",
                 "--output", spec.parent / "artifact.json")
    return result.exit_code, {(d["file"].rsplit("/", 1)[-1], d["line"], d["code"])
                              for d in result.json()["diagnostics"]}


# --- the README's table is the machine-readable list, and the other way round -------------


def test_readme_table_lists_every_documented_difference() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Compatibility with floe-core", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `([a-z-]+)` \|", section, re.MULTILINE))
    listed = json.loads(DIFFERENCES.read_text(encoding="utf-8"))["differences"]
    assert rows == {d["id"] for d in listed if d["readme"]}
    assert all(d["floe"] in ("accept", "reject") for d in listed)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(pairs(None))
def test_every_generated_pair_before_mutation_is_accepted(tmp_path_factory: pytest.TempPathFactory,
                                                          pair: Pair) -> None:
    ours, codes = our_verdict(*pair.texts(), tmp_path_factory.mktemp("pair"))
    assert (ours, codes) == (True, [])


# --- upstream's own files -----------------------------------------------------------------


def test_upstream_stale_demo_is_rejected_with_each_problem_located(run: Run) -> None:
    found = located(run, STALE_DEMO)
    assert {("floe.yaml", 24, "FLOE-E102"),   # top-level governance
            ("floe.yaml", 31, "FLOE-E101"),   # output port without schema
            ("floe.yaml", 33, "FLOE-E102"),   # ... with table
            ("floe.yaml", 34, "FLOE-E102"),   # ... and format
            ("floe.yaml", 38, "FLOE-E102"),   # input_ports
            ("floe.yaml", 56, "FLOE-E102"),   # description on a transform
            ("floe.yaml", 94, "FLOE-E102"),   # top-level compute
            } <= found


# --- manifest scope rules (floe-core's C001-C006) ---------------------------------------

ENTERPRISE_PARENT = "scope: enterprise\nparent_manifest: oci://r.acme.com/floe/e:v1\n"


@pytest.mark.parametrize(("extra", "line"), [
    ("parent_manifest: oci://r.acme.com/floe/e:v1\n", 12),               # no scope
    (ENTERPRISE_PARENT, 13),                                             # enterprise
    ("scope: domain\n", 12),                                             # domain, no parent
    ("approved_plugins: {compute: [duckdb]}\n", 12),                     # no scope
    ("scope: domain\nparent_manifest: oci://r/e:v1\napproved_sinks: [rest_api]\n", 14),
    ("scope: enterprise\napproved_products: [orders]\n", 13),
])
def test_scope_rules(run: Run, write: Write, extra: str, line: int) -> None:
    manifest = write("manifest.yaml", VALID_MANIFEST + extra)
    assert ("manifest.yaml", line, "FLOE-E120") in located(run, manifest)


@pytest.mark.parametrize("extra", [
    "scope: domain\nparent_manifest: oci://r.acme.com/floe/e:v1\napproved_products: [orders]\n",
    "scope: enterprise\napproved_plugins: {compute: [duckdb]}\napproved_sinks: [rest_api]\n",
])
def test_scopes_as_floe_core_allows_them(run: Run, write: Write, extra: str) -> None:
    assert run("validate", write("manifest.yaml", VALID_MANIFEST + extra)).exit_code == 0


# --- manifest names ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "ok"), [
    ("admin", False), ("Default", False), ("root", False), ("platform-", False),
    ("1platform", True), ("'9'", True), ("floe-platform", True),
])
def test_manifest_names(run: Run, write: Write, name: str, ok: bool) -> None:
    manifest = write("manifest.yaml", VALID_MANIFEST.replace("acme-platform", name))
    found = located(run, manifest)
    assert found == set() if ok else found == {("manifest.yaml", 4, "FLOE-E104")}


# --- field names and unknown keys -----------------------------------------------------------


def test_python_field_names_are_accepted_with_a_warning(run: Run, write: Write) -> None:
    spec = write("floe.yaml", VALID_SPEC.replace("dependsOn", "depends_on")
                 .replace("apiVersion", "api_version"))
    result = run("validate", spec)
    assert result.exit_code == 0
    assert "FLOE-W121" in result.output and "floe.yaml:1:1:" in result.output
    assert "'depends_on' is floe-core's Python name for 'dependsOn'" in result.output
    assert run("validate", "--strict", spec).exit_code == 1


def test_python_field_names_are_found_wherever_they_are(run: Run, write: Write) -> None:
    """Inside lists of models too, and only where a model reads the key: a destination's
    config is free-form, so its `primary_key` is no Python name."""
    spec = write("floe.yaml", VALID_SPEC + """\
  - name: third
    depends_on: [mart_orders]
ingestion:
  sources:
    - name: raw
      sourceType: filesystem
      format: csv
      path: data/orders.csv
      destination_table: raw.orders
      write_mode: merge
      primary_key: id
destinations:
  - name: crm
    sink_type: rest_api
    connection_secret_ref: crm-credentials
    config: {mode: upsert, primary_key: [id]}
""")
    result = run("validate", "--format", "json", spec)
    assert sorted((d["line"], d["column"]) for d in result.json()["diagnostics"]
                  if d["code"] == "FLOE-W121") == [(14, 5), (21, 7), (22, 7), (23, 7)]


def test_unknown_manifest_keys_warn_and_environment_keys_fail(run: Run, write: Write) -> None:
    manifest = write("manifest.yaml", VALID_MANIFEST + "extensions: {team: data}\n"
                     "approved_sink: [rest_api]\nprod: {replicas: 3}\n")
    result = run("validate", "--format", "json", manifest)
    assert {(d["line"], d["code"]) for d in result.json()["diagnostics"]} == {
        (12, "FLOE-W122"), (13, "FLOE-W122"), (14, "FLOE-E106")}
    assert "Did you mean 'approved_sinks'?" in result.output


# --- keys and limits -----------------------------------------------------------------------


def test_keys_read_as_numbers_are_refused_where_names_are_expected(run: Run, write: Write) -> None:
    spec = write("floe.yaml", VALID_SPEC.replace("  owner: data@acme.com\n",
                                                 "  owner: data@acme.com\n  labels: {1: x}\n"))
    assert located(run, spec) == {("floe.yaml", 7, "FLOE-E103")}
    quoted = write("floe.yaml", VALID_SPEC.replace("  owner: data@acme.com\n",
                                                   "  owner: data@acme.com\n  labels: {'1': x}\n"))
    assert located(run, quoted) == set()
    # Inside a plugin's free-form config, floe-core takes the mapping as it is.
    free = write("manifest.yaml", VALID_MANIFEST + "    config: {retries: {1: fast}}\n")
    assert located(run, free) == set()
    typed = write("manifest.yaml", VALID_MANIFEST + "    config: {1: fast}\n")
    assert located(run, typed) == {("manifest.yaml", 12, "FLOE-E103")}


DESTINATION = """\
destinations:
  - name: crm-sync
    sink_type: rest_api
    connection_secret_ref: crm-credentials
"""


@pytest.mark.parametrize(("extra", "ok"), [
    ("    batch_size: 100000\n", True), ("    batch_size: 100001\n", False),
    ("    config: {" + ", ".join(f"k{i}: {i}" for i in range(50)) + "}\n", True),
    ("    config: {" + ", ".join(f"k{i}: {i}" for i in range(51)) + "}\n", False),
])
def test_destination_limits(run: Run, write: Write, extra: str, ok: bool) -> None:
    spec = write("floe.yaml", VALID_SPEC + DESTINATION + extra)
    assert located(run, spec) == (set() if ok else {("floe.yaml", 17, "FLOE-E104")})


@pytest.mark.parametrize(("check", "code"), [
    ("{name: ids, type: not_null, dimension: completeness, severity: critical}", None),
    ("{name: ids, type: not_null}", "FLOE-E101"),
    ("{name: ids, type: not_null, dimension: freshness}", "FLOE-E105"),
    ("{name: ids, type: not_null, dimension: validity, custom_weight: 11}", "FLOE-E104"),
    ("{name: ids, type: not_null, dimension: validity, threshold: 3}", "FLOE-E102"),
])
def test_quality_checks_as_floe_core_reads_them(run: Run, write: Write, check: str,
                                                code: str | None) -> None:
    spec = write("floe.yaml", VALID_SPEC + f"    qualityChecks: [{check}]\n")
    assert {c for _, _, c in located(run, spec)} == ({code} if code else set())


# --- manifest sections ---------------------------------------------------------------------


@pytest.mark.parametrize(("section", "ok"), [
    ("observability:\n  tracing: {endpoint: 'https://otel.acme.com:4317'}\n", True),
    ("observability:\n  tracing: {endpoint: 'http://localhost:4317'}\n", False),
    ("observability:\n  lineage: {endpoint: 'http://10.0.0.7:5000'}\n", False),
    ("observability:\n  lineage: {endpoint: 'marquez:5000'}\n", False),
    ("observability:\n  logging: {level: CRITICAL}\n", False),
    ("observability:\n  tracing: {exporter: jaeger}\n", False),
    ("resource_presets:\n  s: {cpu_request: '1', cpu_limit: '2', memory_request: 1Gi, memory_limit: 2Gi}\n",
     True),
    ("resource_presets:\n  s: {requests: {cpu: '1', memory: 1Gi}, limits: {cpu: '2', memory: 2Gi}}\n",
     True),
    ("resource_presets:\n  s: {cpu_request: 100m, memory_request: 256Mi}\n", False),
    ("governance:\n  naming: {pattern: custom}\n", False),
    ("governance:\n  naming: {pattern: custom, custom_patterns: ['^(stg|mart)_']}\n", True),
    ("governance:\n  quality_gates: {layer_thresholds: {gold: 101}}\n", False),
    ("governance:\n  custom_rules: [{type: require_meta_field, field: owner}]\n", True),
    ("governance:\n  custom_rules: [{field: owner}]\n", False),
    ("artifacts:\n  registry: {uri: 'oci://registry.acme.com/floe', auth: {type: anonymous}}\n",
     True),
    ("artifacts:\n  registry: {uri: 'https://registry.acme.com', auth: {type: anonymous}}\n",
     False),
    ("  quality: {provider: soda, dimension_weights: {completeness: 0.5}}\n", False),
])
def test_manifest_sections_typed_as_floe_core_types_them(run: Run, write: Write, section: str,
                                                         ok: bool) -> None:
    text = VALID_MANIFEST.replace("plugins:\n", "plugins:\n" + section) \
        if section.startswith("  ") else VALID_MANIFEST + section
    result = run("validate", write("manifest.yaml", text))
    assert result.exit_code == (0 if ok else 1), result.output


# --- what compiling needs ---------------------------------------------------------------------


@pytest.mark.parametrize(("manifest_text", "message"), [
    (VALID_MANIFEST.replace("  orchestrator:\n    type: dagster\n", ""),
     "compiling needs an orchestrator plugin"),
    (VALID_MANIFEST.replace("  compute:\n    type: duckdb\n", ""), "compiling needs a compute plugin"),
    (VALID_MANIFEST + "  quality: {provider: deequ}\n", "plugins.quality.provider: must be one of"),
])
def test_compile_needs_compute_orchestrator_and_a_known_quality_provider(
        run: Run, write: Write, manifest_text: str, message: str) -> None:
    spec = write("floe.yaml", VALID_SPEC)
    manifest = write("manifest.yaml", manifest_text)
    assert run("validate", manifest).exit_code == 0  # a valid manifest on its own
    result = run("compile", "--spec", spec, "--manifest", manifest, "--output",
                 spec.parent / "a.json")
    assert result.exit_code == 1
    assert message in result.output


def test_ingestion_sources_need_the_dlt_plugin(run: Run, write: Write) -> None:
    spec = write("floe.yaml", VALID_SPEC + """\
ingestion:
  sources:
    - {name: orders, sourceType: filesystem, format: csv, path: data/orders.csv,
       destinationTable: raw.orders}
""")
    manifest = write("manifest.yaml", VALID_MANIFEST)
    assert compiled(run, spec, manifest) == (1, {("floe.yaml", 13, "FLOE-E101")})
    dlt = write("manifest.yaml", VALID_MANIFEST.replace("plugins:\n", "plugins:\n  ingestion: {type: dlt}\n"))
    result = run("compile", "--spec", spec, "--manifest", dlt, "--output", spec.parent / "a.json")
    assert result.exit_code == 0, result.output
