"""`floe schema`: JSON Schemas for editors, generated from the models and kept in step.

The differential tests feed the same documents to the Pydantic models and to the
committed JSON Schemas (both dialects) and expect the same verdict. Rules that are
checks rather than schema (environment fields, credentials, duplicate names, the
DAG) are deliberately not part of it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator
from pydantic import BaseModel, ValidationError

from floe_compiler.loader import load_text, read_source
from floe_compiler.models.artifact import SCHEMA_ID, CompiledArtifacts
from floe_compiler.models.manifest import PlatformManifest
from floe_compiler.models.spec import FloeSpec
from floe_compiler.schemas import canonical, drifted, rendered
from tests.conftest import CORPUS, EXAMPLE, ROOT, VALID_MANIFEST, VALID_SPEC, Run

SCHEMAS = ROOT / "schemas"
FILES = {"FloeSpec": "floe-spec.schema.json", "Manifest": "manifest.schema.json",
         "CompiledArtifacts": "compiled-artifacts.schema.json"}
MODELS: dict[str, type[BaseModel]] = {"FloeSpec": FloeSpec, "Manifest": PlatformManifest,
                                      "CompiledArtifacts": CompiledArtifacts}


@cache
def schema(kind: str, draft07: bool = False) -> dict[str, Any]:
    path = SCHEMAS / ("draft-07" if draft07 else "") / FILES[kind]
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@cache
def validators(kind: str) -> tuple[Draft202012Validator, Draft7Validator]:
    return Draft202012Validator(schema(kind)), Draft7Validator(schema(kind, draft07=True))


def verdicts(kind: str, data: Any) -> dict[str, bool]:
    """Is `data` valid, according to the model and to each schema?"""
    try:
        MODELS[kind].model_validate(data)
        model = True
    except ValidationError:
        model = False
    latest, draft07 = validators(kind)
    return {"model": model, "schema 2020-12": latest.is_valid(data),
            "schema draft-07": draft07.is_valid(data)}


def data_of(text: str) -> Any:
    doc = load_text(text, "test.yaml")
    assert not doc.diagnostics, doc.diagnostics
    return doc.data


def kind_of(path: Path) -> str:
    return "Manifest" if path.name.startswith("manifest") else "FloeSpec"


# --- the committed files ----------------------------------------------------------


def test_committed_schemas_match_the_models() -> None:
    assert drifted(SCHEMAS) == {}, "run `floe schema` and commit schemas/"


def test_schemas_are_2020_12_with_versioned_ids() -> None:
    for kind in FILES:
        s = schema(kind)
        assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(s)
        d7 = schema(kind, draft07=True)
        assert d7["$schema"] == "http://json-schema.org/draft-07/schema#"
        Draft7Validator.check_schema(d7)
        assert "$defs" not in json.dumps(d7), "draft-07 has `definitions`, not `$defs`"
        assert d7["$id"] != s["$id"]
    assert schema("CompiledArtifacts")["$id"] == SCHEMA_ID
    assert schema("FloeSpec")["$id"] == "https://floe.dev/schemas/floe-spec/v1.json"
    assert schema("Manifest")["$id"] == "https://floe.dev/schemas/manifest/v1.json"


def test_output_is_deterministic() -> None:
    first, second = rendered(), rendered()
    assert first == second
    for name, data in first.items():
        assert data.endswith(b"}\n"), name
        text = data.decode()
        assert text == json.dumps(canonical(json.loads(text)), indent=2,
                                  ensure_ascii=False) + "\n", name


@pytest.mark.parametrize("draft07", [False, True], ids=["2020-12", "draft-07"])
def test_properties_keep_the_models_declaration_order(draft07: bool) -> None:
    """Editors insert a skeleton in schema order: a destination starts with `name`."""
    def order(model: type[BaseModel]) -> list[str]:
        return [field.alias or name for name, field in model.model_fields.items()]

    spec, manifest = schema("FloeSpec", draft07), schema("Manifest", draft07)
    defs = spec["definitions" if draft07 else "$defs"]
    assert list(spec["properties"]) == order(FloeSpec)
    assert list(manifest["properties"]) == order(PlatformManifest)
    assert list(defs["DestinationConfig"]["properties"])[:3] == [
        "name", "sink_type", "connection_secret_ref"]
    assert defs["DestinationConfig"]["required"] == ["name", "sink_type", "connection_secret_ref"]
    assert list(spec) == sorted(spec), "keywords stay sorted"


@pytest.mark.parametrize("kind", ["FloeSpec", "Manifest"])
def test_every_field_has_a_description_for_hover(kind: str) -> None:
    s = schema(kind)
    defs = s["$defs"]

    # on the property itself: a property of a model type without its own description
    # takes the model's docstring (manifest `observability`, `governance`, ...)
    missing = [f"{owner}.{name}" for owner, node in [("(top)", s), *defs.items()]
               for name, prop in node.get("properties", {}).items()
               if not prop.get("description")]
    assert missing == []
    observability = s["properties"].get("observability", {})
    if kind == "Manifest":
        assert observability["description"] == defs["ObservabilityConfig"]["description"]


@pytest.mark.parametrize("kind", ["FloeSpec", "Manifest"])
def test_completion_is_offered_values_never_null(kind: str) -> None:
    """No `"default": null` (completion would insert `key: null`) and no `null` branch
    on an optional property (it would be offered as a value); explicit nulls stay
    valid where a field is required-but-nullable."""
    for draft07 in (False, True):
        text = json.dumps(schema(kind, draft07))
        assert '"default": null' not in text
        assert '{"type": "null"}' not in text.replace("\n", "").replace(" ", "")
        assert '"allOf"' not in text


def test_enums_and_examples_drive_completion() -> None:
    transform = schema("FloeSpec")["$defs"]["TransformSpec"]["properties"]
    assert transform["tier"]["enum"] == ["bronze", "silver", "gold"]
    assert schema("FloeSpec")["properties"]["kind"]["const"] == "FloeSpec"
    destination = schema("FloeSpec")["$defs"]["DestinationConfig"]
    assert destination["properties"]["connection_secret_ref"]["examples"] == [
        "salesforce-credentials"]
    level = schema("Manifest")["$defs"]["LoggingConfig"]["properties"]["level"]
    assert level["enum"] == ["DEBUG", "INFO", "WARNING", "ERROR"]


def test_draft07_keeps_descriptions_next_to_refs() -> None:
    """A plain `{"$ref", "description"}`: an `allOf: [{$ref}]` wrapper makes
    yaml-language-server insert a bare `metadata` (no colon, no children)."""
    metadata = schema("FloeSpec", draft07=True)["properties"]["metadata"]
    assert metadata == {"$ref": "#/definitions/FloeMetadata",
                        "description": "Name, version and owner of the product."}
    plugins = schema("Manifest", draft07=True)["properties"]["plugins"]
    assert plugins["$ref"] == "#/definitions/PluginsConfig"


def test_the_shaping_rules_hold_for_any_model() -> None:
    """The generator, not the models, carries the editor rules: a model added or
    changed later gets them when `floe schema` runs."""
    from typing import Literal

    from pydantic import ConfigDict, Field

    from floe_compiler.schemas import SchemaFile, build, to_draft07

    class Retry(BaseModel):
        """How a failed push is retried."""

        attempts: int = 3

    class Sink(BaseModel):
        model_config = ConfigDict(extra="forbid")
        zeta: str = Field(description="Declared first.")
        retry: Retry | None = None
        mode: Literal["insert", "upsert"] | None = Field(default=None, description="Write mode.")
        size: int | None = Field(default=None, ge=1, description="Rows.", examples=[500])
        alpha: Retry = Field(description="Required, with its own description.")
        keys: str | list[str] | None = Field(default=None, description="One or several.")
        either: Retry | list[Retry] | None = Field(default=None, description="Kept apart.")

    for hand_written in (True, False):
        entry = SchemaFile("sink.schema.json", Sink, "https://example.invalid/sink.json",
                           "sink.yaml: test", ("sink.yaml",) if hand_written else ())
        latest = build(entry)
        props = latest["properties"]
        assert list(props) == ["zeta", "retry", "mode", "size", "alpha", "keys", "either"]
        assert props["retry"]["description"] == "How a failed push is retried."
        assert all("default" not in p for p in props.values())
        if hand_written:
            assert props["retry"] == {"$ref": "#/$defs/Retry",
                                      "description": "How a failed push is retried."}
            assert props["mode"] == {"enum": ["insert", "upsert"], "type": "string",
                                     "description": "Write mode."}
            assert props["size"] == {"type": "integer", "minimum": 1, "description": "Rows.",
                                     "examples": [500]}
            # branches of distinct types merge into one schema (one hover title, same meaning)
            assert props["keys"] == {"type": ["string", "array"], "items": {"type": "string"},
                                     "description": "One or several."}
            assert len(props["either"]["anyOf"]) == 2  # a $ref is not type-specific
            d7 = to_draft07(latest)["properties"]
            assert d7["retry"] == {"$ref": "#/definitions/Retry",
                                   "description": "How a failed push is retried."}
            assert d7["alpha"] == {"$ref": "#/definitions/Retry",
                                   "description": "Required, with its own description."}
        else:  # written by a program, which may write null
            assert {"type": "null"} in props["size"]["anyOf"]


def test_the_catalog_maps_file_names_to_the_schema_ids() -> None:
    catalog = json.loads((SCHEMAS / "catalog.json").read_text(encoding="utf-8"))
    assert catalog["$schema"] == "https://json.schemastore.org/schema-catalog.json"
    assert {e["url"]: e["fileMatch"] for e in catalog["schemas"]} == {
        schema("FloeSpec")["$id"]: ["floe.yaml", "floe.yml"],
        schema("Manifest")["$id"]: ["manifest.yaml", "manifest.yml"]}
    assert all(e["name"] and e["description"] for e in catalog["schemas"])


# --- the command --------------------------------------------------------------------


def test_schema_writes_every_file_and_check_passes(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    result = run("schema", "--output-dir", out)
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json"))
    assert written == sorted([*FILES.values(), *(f"draft-07/{f}" for f in FILES.values()),
                              "catalog.json"])
    assert run("schema", "--output-dir", out, "--check").exit_code == 0
    again = run("schema", "--output-dir", out)
    assert "up to date" in again.output


def test_check_names_the_drifted_file(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    run("schema", "--output-dir", out)
    stale = out / "draft-07" / "manifest.schema.json"
    stale.write_text(stale.read_text().replace("Manifest version", "Version"))
    before = stale.read_bytes()
    result = run("schema", "--output-dir", out, "--check")
    assert result.exit_code == 1
    assert str(stale) in result.output
    assert "floe-spec.schema.json" not in result.output
    assert stale.read_bytes() == before, "--check writes nothing"


# --- the differential ---------------------------------------------------------------

INPUTS = sorted(CORPUS.glob("*/*.yaml")) + sorted((ROOT / "examples").rglob("*.yaml"))


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_model_and_schema_accept_every_corpus_file_and_example(path: Path) -> None:
    doc = read_source(path, str(path))
    assert verdicts(kind_of(path), doc.data) == dict.fromkeys(
        ["model", "schema 2020-12", "schema draft-07"], True)


WITH_DESTINATION = VALID_SPEC + """\
destinations:
  - name: crm-sync
    sink_type: rest_api
    connection_secret_ref: crm-credentials
    batch_size: 500
    field_mapping: {customer_id: External_Id__c}
"""
WITH_PORTS = VALID_SPEC + """\
outputPorts:
  - name: orders
    schema:
      - {name: order_id, type: string, primaryKey: true}
"""
METADATA = "metadata:\n  name: orders\n  version: 1.0.0\n  owner: data@acme.com\n"
TRANSFORMS = "transforms:\n  - name: stg_orders\n  - name: mart_orders\n    dependsOn: [stg_orders]\n"
PLUGINS = "plugins:\n  orchestrator:\n    type: dagster\n  compute:\n    type: duckdb\n"

SPEC_CASES: dict[str, tuple[str, bool]] = {
    # wrong types
    "version is a number": (VALID_SPEC.replace("version: 1.0.0", "version: 1.0"), False),
    "transforms is a mapping": (VALID_SPEC.replace(TRANSFORMS, "transforms:\n  stg: {}\n"), False),
    "metadata is null": (VALID_SPEC.replace(METADATA, "metadata: null\n"), False),
    "tags is a string": (VALID_SPEC + "    tags: staging\n", False),
    "dependsOn holds a number": (VALID_SPEC.replace("[stg_orders]", "[1]"), False),
    "label value is a number": (VALID_SPEC.replace("  owner:", "  labels: {tier: 1}\n  owner:"), False),
    "schedule.enabled is not a boolean": (VALID_SPEC + "schedule:\n  enabled: maybe\n", False),
    "batch_size is a word": (WITH_DESTINATION.replace("batch_size: 500", "batch_size: lots"), False),
    "batch_size is fractional": (WITH_DESTINATION.replace("batch_size: 500", "batch_size: 1.5"), False),
    "field_mapping is a list": (WITH_DESTINATION.replace("{customer_id: External_Id__c}", "[a, b]"), False),
    # unknown keys
    "unknown top-level key": (VALID_SPEC + "colour: red\n", False),
    "misspelt metadata key": (VALID_SPEC.replace("  owner:", "  ownr:"), False),
    "alias in lower case": (VALID_SPEC.replace("dependsOn", "dependson"), False),
    "lower-case apiversion": (VALID_SPEC.replace("apiVersion", "apiversion"), False),
    # patterns and lengths
    "name with capitals": (VALID_SPEC.replace("name: orders", "name: Orders"), False),
    "name starts with a digit": (VALID_SPEC.replace("name: orders", "name: 1orders"), False),
    "name of 64 characters": (VALID_SPEC.replace("name: orders", "name: " + "a" * 64), False),
    "version not semver": (VALID_SPEC.replace("version: 1.0.0", "version: '1.0'"), False),
    "empty owner": (VALID_SPEC.replace("owner: data@acme.com", "owner: ''"), False),
    "description of 501 characters": (VALID_SPEC.replace("  owner:", f"  description: {'x' * 501}\n  owner:"), False),
    "no transforms": (VALID_SPEC.replace(TRANSFORMS, "transforms: []\n"), False),
    "transform name with a dash": (VALID_SPEC.replace("name: mart_orders", "name: mart-orders"), False),
    "destination name with a space": (WITH_DESTINATION.replace("name: crm-sync", "name: crm sync"), False),
    "batch_size zero": (WITH_DESTINATION.replace("batch_size: 500", "batch_size: 0"), False),
    "output port name with a dash": (WITH_PORTS.replace("name: orders\n    schema", "name: or-ders\n    schema"), False),
    # missing required fields
    "no apiVersion": (VALID_SPEC.replace("apiVersion: floe.dev/v1\n", ""), False),
    "no kind": (VALID_SPEC.replace("kind: FloeSpec\n", ""), False),
    "no metadata": (VALID_SPEC.replace(METADATA, ""), False),
    "no version": (VALID_SPEC.replace("  version: 1.0.0\n", ""), False),
    "no transforms key": (VALID_SPEC.replace(TRANSFORMS, ""), False),
    "transform without a name": (VALID_SPEC.replace("  - name: stg_orders\n", "  - tags: [staging]\n"), False),
    "destination without connection_secret_ref": (WITH_DESTINATION.replace("    connection_secret_ref: crm-credentials\n", ""), False),
    "output port without schema": (WITH_PORTS.split("    schema:")[0], False),
    # enums and constants
    "apiVersion v2": (VALID_SPEC.replace("floe.dev/v1", "floe.dev/v2"), False),
    "kind Manifest": (VALID_SPEC.replace("kind: FloeSpec", "kind: Manifest"), False),
    "tier platinum": (VALID_SPEC + "    tier: platinum\n", False),
    "contract enforcement block": (VALID_SPEC + "governance:\n  data_contracts:\n    enforcement: block\n", False),
    # secret references
    "secret ref with capitals": (WITH_DESTINATION.replace("crm-credentials", "CRM_Secret"), False),
    "secret ref ending in a dash": (WITH_DESTINATION.replace("crm-credentials", "crm-"), False),
    "secret ref with a dot": (WITH_DESTINATION.replace("crm-credentials", "crm.credentials"), False),
    "secret ref of 254 characters": (WITH_DESTINATION.replace("crm-credentials", "a" * 254), False),
    "empty secret ref": (WITH_DESTINATION.replace("crm-credentials", "''"), False),
    # valid edge cases: both must accept
    "one-character secret ref": (WITH_DESTINATION.replace("crm-credentials", "a"), True),
    "secret ref of 253 characters": (WITH_DESTINATION.replace("crm-credentials", "a" * 253), True),
    "batch_size written as 500.0": (WITH_DESTINATION.replace("batch_size: 500", "batch_size: 500.0"), True),
    "name of 63 characters": (VALID_SPEC.replace("name: orders", "name: " + "a" * 63), True),
    "free-form destination config": (WITH_DESTINATION + "    config: {path: /x, retry: {max_attempts: 2}, tags: [1, a]}\n", True),
    "ports": (WITH_PORTS, True),
}

MANIFEST_CASES: dict[str, tuple[str, bool]] = {
    "no plugins": (VALID_MANIFEST.replace(PLUGINS, ""), False),
    "blank plugin type": (VALID_MANIFEST.replace("type: duckdb", "type: '   '"), False),
    "empty plugin type": (VALID_MANIFEST.replace("type: duckdb", "type: ''"), False),
    "plugin version not semver": (VALID_MANIFEST + "    version: '1.0'\n", False),
    "unknown plugin category": (VALID_MANIFEST.replace("  compute:", "  computer:"), False),
    "unknown key in a plugin": (VALID_MANIFEST + "    colour: red\n", False),
    "plugin secret ref with capitals": (VALID_MANIFEST + "    connection_secret_ref: Polaris_Creds\n", False),
    "scope global": (VALID_MANIFEST + "scope: global\n", False),
    "log level in lower case": (VALID_MANIFEST + "observability:\n  logging:\n    level: debug\n", False),
    "tracing enabled is not a boolean": (VALID_MANIFEST + "observability:\n  tracing:\n    enabled: maybe\n", False),
    "test coverage 101": (VALID_MANIFEST + "governance:\n  quality_gates:\n    minimum_test_coverage: 101\n", False),
    "test coverage -1": (VALID_MANIFEST + "governance:\n  quality_gates:\n    minimum_test_coverage: -1\n", False),
    "retention of 0 days": (VALID_MANIFEST + "governance:\n  data_retention_days: 0\n", False),
    "enforcement level block": (VALID_MANIFEST + "governance:\n  policy_enforcement_level: block\n", False),
    "approved_sinks is a string": (VALID_MANIFEST + "approved_sinks: rest_api\n", False),
    "approved plugins not a list": (VALID_MANIFEST + "approved_plugins: {compute: duckdb}\n", False),
    "unknown key in a resource preset": (VALID_MANIFEST + "resource_presets:\n  small: {gpu: 1}\n", False),
    "default value is a number": (VALID_MANIFEST + "defaults: {retries: 3}\n", False),
    "no owner": (VALID_MANIFEST.replace("  owner: platform@acme.com\n", ""), False),
    "version is a number": (VALID_MANIFEST.replace("version: 1.0.0", "version: 1"), False),
    "kind FloeSpec": (VALID_MANIFEST.replace("kind: Manifest", "kind: FloeSpec"), False),
    "governed enterprise platform": (VALID_MANIFEST + """\
scope: enterprise
approved_sinks: [rest_api]
approved_plugins: {compute: [duckdb]}
governance:
  pii_encryption: required
  policy_enforcement_level: strict
  quality_gates: {minimum_test_coverage: 100, block_on_failure: true}
  naming: {pattern: medallion}
observability:
  logging: {level: DEBUG, format: text}
resource_presets:
  small: {cpu_request: 100m, cpu_limit: 500m, memory_request: 256Mi, memory_limit: 512Mi}
  large: {requests: {cpu: "1", memory: 1Gi}, limits: {cpu: "2", memory: 2Gi}}
""", True),
}


CASES = [pytest.param(kind, text, valid, id=f"{kind}: {name}")
         for kind, cases in (("FloeSpec", SPEC_CASES), ("Manifest", MANIFEST_CASES))
         for name, (text, valid) in cases.items()]


@pytest.mark.parametrize(("kind", "text", "valid"), CASES)
def test_model_and_schema_agree(kind: str, text: str, valid: bool) -> None:
    assert verdicts(kind, data_of(text)) == dict.fromkeys(
        ["model", "schema 2020-12", "schema draft-07"], valid)


def test_model_and_schema_agree_on_the_compiled_artifact() -> None:
    from floe_compiler.pipeline import compile_project

    artifact = compile_project(EXAMPLE / "floe.yaml").model_dump(mode="json")
    both_valid = dict.fromkeys(["model", "schema 2020-12", "schema draft-07"], True)
    assert verdicts("CompiledArtifacts", artifact) == both_valid
    both_invalid = dict.fromkeys(both_valid, False)
    for broken in ({**artifact, "schema_version": "2.0.0"},
                   {**artifact, "inputs": {**artifact["inputs"], "spec": {"path": "floe.yaml", "sha256": "abc"}}},
                   {k: v for k, v in artifact.items() if k != "transforms"},
                   {**artifact, "extra": 1}):
        assert verdicts("CompiledArtifacts", broken) == both_invalid


# Pydantic's lax mode coerces some scalars that the schema, which describes the
# canonical form, rejects. The divergence is deliberate and one-sided: an editor
# may flag a value floe accepts, never the other way round.
LAX_COERCIONS = {
    "quoted number": WITH_DESTINATION.replace("batch_size: 500", "batch_size: '500'"),
    "boolean as a number": WITH_DESTINATION.replace("batch_size: 500", "batch_size: true"),
    "quoted 'yes' for true": VALID_SPEC + "schedule:\n  enabled: 'yes'\n",
    "1 for true": VALID_SPEC + "schedule:\n  enabled: 1\n",


    # An optional field is one you leave out: the editor schemas have no `null` branch,
    # so that completion never offers null (and hover shows no "X || X" title).
    "explicit nulls for optional fields": VALID_SPEC + "schedule: null\noutput_ports: null\n",
    "an empty optional field": VALID_SPEC + "schedule:\n",
}
MANIFEST_LAX = {
    "explicit null for an optional field": VALID_MANIFEST + "governance: null\n",
}


@pytest.mark.parametrize("text", LAX_COERCIONS.values(), ids=LAX_COERCIONS.keys())
def test_known_divergence_pydantic_coerces_what_the_schema_rejects(text: str) -> None:
    assert verdicts("FloeSpec", data_of(text)) == {
        "model": True, "schema 2020-12": False, "schema draft-07": False}


@pytest.mark.parametrize("text", MANIFEST_LAX.values(), ids=MANIFEST_LAX.keys())
def test_known_divergence_in_the_manifest(text: str) -> None:
    assert verdicts("Manifest", data_of(text)) == {
        "model": True, "schema 2020-12": False, "schema draft-07": False}


def test_the_artifact_schema_keeps_nulls_floe_compile_writes() -> None:
    """The artifact is written by `floe compile`, not by hand: its schema keeps the
    `null` branches of optional fields (`field_mapping: null` in every destination)."""
    field_mapping = schema("CompiledArtifacts")["$defs"]["CompiledDestination"]["properties"][
        "field_mapping"]
    assert {"type": "null"} in field_mapping["anyOf"]


def test_known_divergence_python_regex_dollar_accepts_a_trailing_newline() -> None:
    """JSON Schema patterns are ECMA-262, where `$` is the end of the string; Python's
    `re` (the jsonschema library's default) also matches before a final newline.
    Editors and check-jsonschema use ECMA-262 and agree with the model."""
    import regress

    text = VALID_SPEC.replace("version: 1.0.0", 'version: "1.0.0\\n"')
    assert verdicts("FloeSpec", data_of(text)) == {
        "model": False, "schema 2020-12": True, "schema draft-07": True}
    semver = schema("FloeSpec")["$defs"]["FloeMetadata"]["properties"]["version"]["pattern"]
    assert regress.Regex(semver).find("1.0.0\n") is None
    assert regress.Regex(semver).find("1.0.0") is not None


def test_check_jsonschema_validates_the_examples_with_the_committed_schemas() -> None:
    """A third-party validator with ECMA-262 regexes, as editors use."""
    for kind, name in (("FloeSpec", "floe.yaml"), ("Manifest", "manifest.yaml")):
        proc = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", "--schemafile",
             str(SCHEMAS / FILES[kind]), str(EXAMPLE / name)],
            capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_fields_are_described_with_field_not_docstrings() -> None:
    """Attribute docstrings are not read (use_attribute_docstrings costs every compile
    ~50 ms): one written under a field would silently be missing from the schemas."""
    models = Path(__file__).resolve().parent.parent / "floe_compiler" / "models"
    found = []
    for module in sorted(models.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                found += [f"{module.name}:{statement.lineno}" for statement in node.body[1:]
                          if isinstance(statement, ast.Expr)
                          and isinstance(statement.value, ast.Constant)
                          and isinstance(statement.value.value, str)]
    assert found == [], "write Field(description=...) instead of a docstring at " + \
        ", ".join(found)
