"""Hypothesis strategies for floe.yaml/manifest.yaml pairs: a valid pair, then up to two
named mutations (wrong types, unknown keys, boundary values, scope combinations, names,
limits...). Each pair carries the names of its mutations, so that a disagreement can be
matched against the documented differences (differences.json).

Documents are emitted as block YAML whose strings are all double-quoted and whose plain
scalars are only integers, true/false and null, except where the mutation `yaml11_plain`
writes a plain scalar that YAML 1.1 (floe-core's PyYAML) reads otherwise than YAML 1.2
(`yes`, `010`, `12:30`, a date...): floe must judge it as floe-core reads it.
"""

from __future__ import annotations

import json
import string
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

Data = dict[str, Any]
Draw = Callable[..., Any]


@dataclass
class Pair:
    spec: Data
    manifest: Data
    tags: list[str] = field(default_factory=list)

    def texts(self) -> tuple[str, str]:
        return to_yaml(self.spec), to_yaml(self.manifest)


class Twice:
    """A mapping value written under the same key twice (first `first`, then `value`)."""

    def __init__(self, first: Any, value: Any) -> None:
        self.first, self.value = first, value


# --- YAML emission ---------------------------------------------------------------------------


class Plain:
    """A scalar written as it is, unquoted, for YAML to resolve (`yes`, `010`, `12:30`)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Plain({self.text!r})"


def _scalar(value: Any) -> str:
    if isinstance(value, Plain):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, str):
        return json.dumps(value)  # JSON escapes are YAML double-quoted escapes
    raise TypeError(type(value))


def _key(key: Any) -> str:
    return json.dumps(key) if isinstance(key, str) else _scalar(key)


# Plain scalars whose type YAML 1.1 and YAML 1.2 disagree on (and a few they agree on).
YAML11_PLAIN = ["yes", "no", "on", "off", "Yes", "NO", "On", "OFF", "y", "n", "010", "0o17",
                "0x1F", "0b101", "1_000", "12:30", "1:30:00", "2024-01-31",
                "2024-01-31 10:00:00", "1e3", "1.5e3", ".5", "+12", ".inf", "-.Inf", ".NaN",
                "true", "False", "~", "=", "0.1.0"]


def _block(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            items = [item.first, item.value] if isinstance(item, Twice) else [item]
            for one in items:
                if isinstance(one, dict | list) and one:
                    lines.append(f"{pad}{_key(key)}:")
                    lines += _block(one, indent + 2)
                else:
                    lines.append(f"{pad}{_key(key)}: {_inline(one)}")
    else:
        for item in value:
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}-")
                lines += _block(item, indent + 2)
            else:
                lines.append(f"{pad}- {_inline(item)}")
    return lines


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def to_yaml(data: Data) -> str:
    return "\n".join(_block(data, 0)) + "\n"


# --- building blocks -------------------------------------------------------------------------

TEXT = st.text(alphabet=string.ascii_letters + string.digits + " -_.@", min_size=1, max_size=16)
PRODUCT_NAME = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)
MANIFEST_NAME = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?", fullmatch=True).filter(
    lambda n: n not in {"default", "system", "floe", "admin", "root"})
MODEL_NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
SECRET_NAME = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?", fullmatch=True)
DESTINATION_NAME = st.from_regex(r"[a-zA-Z0-9_-]{1,16}", fullmatch=True)
VERSION = st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}", fullmatch=True)
LABEL_KEYS = ["domain", "tier", "team", "cost_center", "region"]
SINKS = ["rest_api", "sql_database", "webhook"]
COMPUTE = ["duckdb", "snowflake", "spark"]
DIMENSIONS = ["completeness", "accuracy", "validity", "consistency", "timeliness"]


def quality_check(draw: Draw) -> Data:
    check: Data = {"name": draw(MODEL_NAME), "type": draw(st.sampled_from(
        ["not_null", "unique", "accepted_values"])), "dimension": draw(st.sampled_from(DIMENSIONS))}
    if draw(st.booleans()):
        check["severity"] = draw(st.sampled_from(["critical", "warning", "info"]))
    if draw(st.booleans()):
        check["column"] = draw(MODEL_NAME)
    if draw(st.booleans()):
        check["custom_weight"] = draw(st.sampled_from([0.1, 1.0, 2.5, 10.0]))
    return check


def base_spec(draw: Draw) -> Data:
    names = draw(st.lists(MODEL_NAME, min_size=1, max_size=4, unique=True))
    transforms = []
    for index, name in enumerate(names):
        transform: Data = {"name": name}
        if index and draw(st.booleans()):
            transform["dependsOn"] = draw(st.lists(st.sampled_from(names[:index]), min_size=1,
                                                   max_size=2, unique=True))
        if draw(st.booleans()):
            transform["tier"] = draw(st.sampled_from(["bronze", "silver", "gold"]))
        if draw(st.booleans()):
            transform["tags"] = draw(st.lists(st.sampled_from(["staging", "marts", "pii"]),
                                              max_size=2))
        if draw(st.integers(0, 3)) == 0:
            transform["qualityChecks"] = [quality_check(draw)]
        if draw(st.integers(0, 4)) == 0:
            transform["compute"] = draw(st.sampled_from(COMPUTE[:1]))
        transforms.append(transform)
    metadata: Data = {"name": draw(PRODUCT_NAME), "version": draw(VERSION)}
    if draw(st.booleans()):
        metadata["owner"] = draw(TEXT)
    if draw(st.booleans()):
        metadata["description"] = draw(TEXT)
    if draw(st.booleans()):
        metadata["labels"] = {key: draw(TEXT) for key in draw(st.lists(
            st.sampled_from(LABEL_KEYS), max_size=3, unique=True))}
    spec: Data = {"apiVersion": "floe.dev/v1", "kind": "FloeSpec", "metadata": metadata}
    if draw(st.booleans()):
        spec["platform"] = {"manifest": "manifest.yaml"}
    spec["transforms"] = transforms
    if draw(st.booleans()):
        spec["schedule"] = {"cron": "0 6 * * *", "timezone": "UTC",
                            "enabled": draw(st.booleans())}
    if draw(st.booleans()):
        spec["destinations"] = [destination(draw, i) for i in range(draw(st.integers(1, 2)))]
    if draw(st.integers(0, 5)) == 0:
        sources = [_ingestion_source(draw, i) for i in range(draw(st.integers(1, 2)))]
        for source in sources:
            if draw(st.booleans()):
                source["writeMode"] = draw(st.sampled_from(["append", "replace", "merge"]))
                if source["writeMode"] == "merge":
                    source["primaryKey"] = draw(st.sampled_from(["id", ["id", "day"]]))
            if draw(st.booleans()):
                source["schemaContract"] = draw(st.sampled_from(["evolve", "freeze"]))
        spec["ingestion"] = {"sources": sources}
    return spec


def destination(draw: Draw, index: int) -> Data:
    item: Data = {"name": draw(DESTINATION_NAME) + f"-{index}",
                  "sink_type": draw(st.sampled_from(SINKS[:2])),
                  "connection_secret_ref": draw(SECRET_NAME)}
    if draw(st.booleans()):
        item["source_table"] = "gold.customers"
    if draw(st.booleans()):
        item["batch_size"] = draw(st.integers(1, 100_000))
    if draw(st.booleans()):
        item["config"] = {"path": "/v1/contacts", "method": "POST"}
    if draw(st.booleans()):
        item["field_mapping"] = {"customer_id": "Id"}
    return item


def base_manifest(draw: Draw, spec: Data) -> Data:
    metadata: Data = {"name": draw(MANIFEST_NAME), "version": draw(VERSION), "owner": draw(TEXT)}
    if draw(st.booleans()):
        metadata["description"] = draw(TEXT)
    manifest: Data = {"apiVersion": "floe.dev/v1", "kind": "Manifest", "metadata": metadata}
    scope = draw(st.sampled_from([None, "enterprise", "domain"]))
    if scope is not None:
        manifest["scope"] = scope
    if scope == "domain":
        manifest["parent_manifest"] = "oci://registry.acme.com/floe/enterprise:v1"
    plugins: Data = {"compute": {"type": "duckdb"}, "orchestrator": {"type": "dagster"}}
    if draw(st.booleans()):
        plugins["compute"]["config"] = {"threads": draw(st.integers(1, 8))}
    if draw(st.booleans()):
        plugins["catalog"] = {"type": "polaris", "connection_secret_ref": draw(SECRET_NAME)}
    if draw(st.booleans()):
        plugins["lineage_backend"] = {"type": "marquez", "version": draw(VERSION)}
    if draw(st.integers(0, 3)) == 0:
        plugins["quality"] = {"provider": draw(st.sampled_from(
            ["great_expectations", "soda", "dbt_expectations"]))}
    if draw(st.integers(0, 4)) == 0:
        plugins["dbt"] = {"type": "core"}
    if "ingestion" in spec:
        plugins.update(ingestion={"type": "dlt"}, storage={"type": "s3"},
                       catalog={"type": "polaris"})
    manifest["plugins"] = plugins
    if scope == "enterprise":
        if draw(st.booleans()):
            manifest["approved_plugins"] = {"compute": COMPUTE, "orchestrator": ["dagster"]}
        if draw(st.booleans()):
            manifest["approved_sinks"] = SINKS[:2]
    if scope == "domain" and draw(st.booleans()):
        manifest["approved_products"] = [spec["metadata"]["name"]]
    if draw(st.booleans()):
        manifest["governance"] = governance(draw)
    if draw(st.booleans()):
        manifest["observability"] = {
            "tracing": {"enabled": True, "exporter": "otlp",
                        "endpoint": "http://otel-collector:4317"},
            "lineage": {"transport": "http"}, "logging": {"level": "INFO", "format": "json"}}
    if draw(st.booleans()):
        manifest["resource_presets"] = {"small": draw(st.sampled_from([
            {"cpu_request": "100m", "cpu_limit": "500m", "memory_request": "256Mi",
             "memory_limit": "512Mi"},
            {"requests": {"cpu": "100m", "memory": "256Mi"},
             "limits": {"cpu": "500m", "memory": "512Mi"}}]))}
    if draw(st.integers(0, 3)) == 0:
        manifest["artifacts"] = {"registry": {"uri": "oci://registry.acme.com/floe",
                                              "auth": {"type": "anonymous"}}}
    if draw(st.integers(0, 3)) == 0:
        manifest["defaults"] = {"compute": "duckdb"}
    return manifest


def governance(draw: Draw) -> Data:
    section: Data = {}
    if draw(st.booleans()):
        section["policy_enforcement_level"] = draw(st.sampled_from(["off", "warn", "strict"]))
    if draw(st.booleans()):
        section["data_retention_days"] = draw(st.integers(1, 3650))
    if draw(st.booleans()):
        section["quality_gates"] = {"minimum_test_coverage": draw(st.integers(0, 100)),
                                    "block_on_failure": draw(st.booleans())}
    if draw(st.booleans()):
        section["naming"] = {"enforcement": "warn", "pattern": "medallion"}
    if draw(st.booleans()):
        section["custom_rules"] = [{"type": "require_meta_field", "field": "owner"}]
    if draw(st.booleans()):
        section["data_contracts"] = {"enforcement": "warn"}
    return section


def pick(draw: Draw, items: list[Any], salt: Any) -> Any:
    """One of `items`, evenly: Hypothesis favours the first of a list, so the list is turned
    by an amount read from the document drawn so far (still the same for the same seed)."""
    turn = zlib.crc32(repr(salt).encode())
    return items[(draw(st.integers(0, len(items) - 1)) + turn) % len(items)]


# --- mutations -------------------------------------------------------------------------------
# Each takes (draw, spec, manifest) and changes them in place.

Mutation = Callable[[Draw, Data, Data], None]
MUTATIONS: dict[str, Mutation] = {}


def mutation(name: str) -> Callable[[Mutation], Mutation]:
    def register(fn: Mutation) -> Mutation:
        MUTATIONS[name] = fn
        return fn
    return register


def _transform(draw: Draw, spec: Data) -> Data:
    return draw(st.sampled_from(spec["transforms"]))  # type: ignore[no-any-return]


def _destination(draw: Draw, spec: Data) -> Data:
    if not spec.get("destinations"):
        spec["destinations"] = [destination(draw, 0)]
    return draw(st.sampled_from(spec["destinations"]))  # type: ignore[no-any-return]


def _simple(name: str, fn: Callable[[Draw, Data, Data], None]) -> None:
    MUTATIONS[name] = fn


# floe.yaml: structure, names and types
_simple("spec_unknown_top_key", lambda d, s, m: s.update({d(st.sampled_from(
    ["governance", "input_ports", "compute", "owner", "descripton"])): {"x": "y"}}))
_simple("transform_unknown_key", lambda d, s, m: _transform(d, s).update(
    {d(st.sampled_from(["description", "materialized", "depends"])): "x"}))
_simple("metadata_name_bad", lambda d, s, m: s["metadata"].update(name=d(st.sampled_from(
    ["Orders", "1orders", "a" * 64, "or_ders", "", "-x"]))))
_simple("metadata_name_edge", lambda d, s, m: s["metadata"].update(name=d(st.sampled_from(
    ["a", "a" * 63, "x-", "a--b"]))))
_simple("metadata_version_bad", lambda d, s, m: s["metadata"].update(version=d(st.sampled_from(
    ["1.0", "v1.0.0", "1.0.0-rc1", 1]))))
_simple("labels_non_string_key", lambda d, s, m: s["metadata"].update(labels={1: "x"}))
_simple("labels_non_string_value", lambda d, s, m: s["metadata"].update(labels={"tier": 1}))
_simple("description_too_long", lambda d, s, m: s["metadata"].update(
    description="x" * d(st.sampled_from([500, 501]))))
_simple("owner_empty", lambda d, s, m: s["metadata"].update(owner=""))
_simple("transform_name_bad", lambda d, s, m: _transform(d, s).update(name=d(st.sampled_from(
    ["stg-orders", "1stg", "a" * 129, ""]))))
_simple("transform_name_edge", lambda d, s, m: _transform(d, s).update(name=d(st.sampled_from(
    ["_x", "A", "a" * 128]))))
_simple("duplicate_transform_name", lambda d, s, m: s["transforms"].append(
    {"name": s["transforms"][0]["name"]}))
_simple("tier_bad", lambda d, s, m: _transform(d, s).update(tier=d(st.sampled_from(
    ["platinum", "Gold", 1]))))
_simple("tags_not_list", lambda d, s, m: _transform(d, s).update(tags="staging"))
_simple("transforms_empty", lambda d, s, m: s.update(transforms=[]))
_simple("transforms_missing", lambda d, s, m: s.pop("transforms"))
_simple("kind_wrong", lambda d, s, m: s.update(kind=d(st.sampled_from(["Manifest", "floespec"]))))
_simple("api_version_wrong", lambda d, s, m: s.update(apiVersion="floe.dev/v2"))
_simple("schedule_unknown_key", lambda d, s, m: s.update(schedule={"cron": "0 6 * * *",
                                                                   "every": "day"}))
_simple("env_field_in_spec", lambda d, s, m: _transform(d, s).update({d(st.sampled_from(
    ["host", "port", "database", "Endpoint"])): "x"}))
_simple("platform_manifest_empty", lambda d, s, m: s.update(platform={"manifest": ""}))


@mutation("python_field_names_spec")
def _python_names(draw: Draw, spec: Data, manifest: Data) -> None:
    spec["api_version"] = spec.pop("apiVersion")
    for transform in spec["transforms"]:
        for alias, name in (("dependsOn", "depends_on"), ("qualityChecks", "quality_checks")):
            if alias in transform:
                transform[name] = transform.pop(alias)


# qualityChecks
@mutation("quality_check_bad")
def _quality_check_bad(draw: Draw, spec: Data, manifest: Data) -> None:
    check = quality_check(draw)
    problem = draw(st.sampled_from(["no_dimension", "dimension", "severity", "weight_low",
                                    "weight_high", "unknown_key", "empty_name", "params"]))
    if problem == "no_dimension":
        del check["dimension"]
    elif problem == "dimension":
        check["dimension"] = "freshness"
    elif problem == "severity":
        check["severity"] = "error"
    elif problem in ("weight_low", "weight_high"):
        check["custom_weight"] = 0.05 if problem == "weight_low" else 10.5
    elif problem == "unknown_key":
        check["threshold"] = 3
    elif problem == "empty_name":
        check["name"] = ""
    else:
        check["parameters"] = ["not", "a", "mapping"]
    _transform(draw, spec)["qualityChecks"] = [check]


# destinations
_simple("batch_size_edge", lambda d, s, m: _destination(d, s).update(batch_size=d(st.sampled_from(
    [0, 1, 100_000, 100_001, -5]))))
_simple("config_key_count", lambda d, s, m: _destination(d, s).update(config={
    f"k{i}": i for i in range(d(st.sampled_from([50, 51])))}))
_simple("destination_name_pattern", lambda d, s, m: _destination(d, s).update(
    name=d(st.sampled_from(["crm sync", "crm.sync", "crm/sync", "ünï"]))))
_simple("destination_name_length", lambda d, s, m: _destination(d, s).update(
    name=d(st.sampled_from(["a" * 100, "a" * 101, ""]))))
_simple("duplicate_destination_name", lambda d, s, m: s.setdefault("destinations", []).extend(
    [{"name": "dup", "sink_type": "rest_api", "connection_secret_ref": "s"}] * 2))
_simple("secret_ref_bad", lambda d, s, m: _destination(d, s).update(
    connection_secret_ref=d(st.sampled_from(["CRM", "crm-", "crm.key", "a" * 254, ""]))))
_simple("sink_type_empty", lambda d, s, m: _destination(d, s).update(sink_type=""))
_simple("field_mapping_not_strings", lambda d, s, m: _destination(d, s).update(
    field_mapping={"id": 1}))
_simple("destination_unknown_key", lambda d, s, m: _destination(d, s).update(mode="upsert"))
_simple("literal_credential_in_spec", lambda d, s, m: _destination(d, s).update(
    config={d(st.sampled_from(["client_secret", "apiKey", "auth_token", "private_key"])):
            "s3cr3t-value"}))


@mutation("sink_not_approved")
def _sink_not_approved(draw: Draw, spec: Data, manifest: Data) -> None:
    _enterprise(manifest)
    manifest["approved_sinks"] = ["rest_api"]
    _destination(draw, spec)["sink_type"] = "sql_database"


# output ports and ingestion
@mutation("output_ports")
def _output_ports(draw: Draw, spec: Data, manifest: Data) -> None:
    port: Data = {"name": draw(MODEL_NAME)}
    shape = draw(st.sampled_from(["schema", "no_schema", "table", "python_name"]))
    if shape in ("schema", "python_name"):
        port["schema"] = [{"name": "id", "type": "string", "primaryKey": True}]
    if shape == "table":
        port.update(table="analytics.x", format="iceberg")
    spec["output_ports" if shape == "python_name" else "outputPorts"] = [port]


def _ingestion_source(draw: Draw, index: int) -> Data:
    return {"name": f"src-{index}", "sourceType": "filesystem",
            "format": draw(st.sampled_from(["csv", "jsonl", "parquet"])),
            "path": draw(st.sampled_from(["data/orders.csv", "s3://landing/orders/"])),
            "destinationTable": f"raw.t{index}"}


@mutation("ingestion")
def _ingestion(draw: Draw, spec: Data, manifest: Data) -> None:
    source = _ingestion_source(draw, 0)
    problem = draw(st.sampled_from([None, "absolute", "scheme", "no_bucket", "merge", "table",
                                    "credential", "python_name", "no_plugin", "not_dlt"]))
    if problem == "absolute":
        source["path"] = "/data/orders.csv"
    elif problem == "scheme":
        source["path"] = "https://example.com/orders.csv"
    elif problem == "no_bucket":
        source["path"] = "s3:///orders.csv"
    elif problem == "merge":
        source["writeMode"] = "merge"
    elif problem == "table":
        source["destinationTable"] = "orders"
    elif problem == "credential":
        source["path"] = "s3://landing/orders.csv?X-Amz-Signature=abc"
    elif problem == "python_name":
        source["destination_table"] = source.pop("destinationTable")
    spec["ingestion"] = {"sources": [source]}
    plugins = manifest["plugins"]
    if problem != "no_plugin":
        plugins["ingestion"] = {"type": "airbyte" if problem == "not_dlt" else "dlt"}
    plugins.setdefault("storage", {"type": "s3"})
    plugins.setdefault("catalog", {"type": "polaris"})


# DAG: deliberate differences
@mutation("dependency_cycle")
def _cycle(draw: Draw, spec: Data, manifest: Data) -> None:
    transforms = spec["transforms"]
    if len(transforms) == 1:
        transforms.append({"name": transforms[0]["name"] + "_b"})
    transforms[0]["dependsOn"] = [transforms[-1]["name"]]
    transforms[-1]["dependsOn"] = [transforms[0]["name"]]


_simple("unknown_dependency", lambda d, s, m: _transform(d, s).update(dependsOn=["stg_elsewhere"]))
_simple("jinja_expression", lambda d, s, m: s["metadata"].update(
    description="{{ var('team') }}"))
_simple("duplicate_key", lambda d, s, m: s["metadata"].update(
    version=Twice("9.9.9", s["metadata"]["version"])))


# manifest: scope rules C001-C006
def _enterprise(manifest: Data) -> None:
    manifest["scope"] = "enterprise"
    manifest.pop("parent_manifest", None)
    manifest.pop("approved_products", None)


@mutation("scope_combination")
def _scope(draw: Draw, spec: Data, manifest: Data) -> None:
    for key in ("scope", "parent_manifest", "approved_plugins", "approved_products",
                "approved_sinks"):
        manifest.pop(key, None)
    scope = draw(st.sampled_from([None, "enterprise", "domain", "global"]))
    if scope is not None:
        manifest["scope"] = scope
    if draw(st.booleans()):
        manifest["parent_manifest"] = "oci://registry.acme.com/floe/enterprise:v1"
    if draw(st.booleans()):
        manifest["approved_plugins"] = {"compute": ["duckdb"], "orchestrator": ["dagster"]}
    if draw(st.booleans()):
        manifest["approved_products"] = [spec["metadata"]["name"]]
    if draw(st.booleans()):
        manifest["approved_sinks"] = list(SINKS)


@mutation("plugin_not_approved")
def _plugin_not_approved(draw: Draw, spec: Data, manifest: Data) -> None:
    _enterprise(manifest)
    manifest["approved_plugins"] = {"compute": ["snowflake"]}


# manifest: metadata, keys, plugins
_simple("manifest_name", lambda d, s, m: m["metadata"].update(name=d(st.sampled_from(
    ["admin", "default", "system", "floe", "root", "platform-", "1platform", "9", "Acme",
     "a" * 63, "a" * 64, "-acme"]))))
_simple("manifest_unknown_top_key", lambda d, s, m: m.update({d(st.sampled_from(
    ["extensions", "team", "approved_sink"])): {"x": "y"}}))
_simple("manifest_env_key", lambda d, s, m: m.update({d(st.sampled_from(
    ["prod", "environments", "env_overrides", "floe_env"])): {"x": "y"}}))
_simple("python_field_names_manifest", lambda d, s, m: m.update(api_version=m.pop("apiVersion")))
_simple("compute_missing", lambda d, s, m: m["plugins"].pop("compute"))
_simple("orchestrator_missing", lambda d, s, m: m["plugins"].pop("orchestrator"))
_simple("plugin_version_bad", lambda d, s, m: m["plugins"]["compute"].update(version="1.0"))
_simple("plugin_type_blank", lambda d, s, m: m["plugins"]["orchestrator"].update(type="  "))
_simple("plugin_unknown_category", lambda d, s, m: m["plugins"].update(warehouse={"type": "x"}))
_simple("plugins_quality", lambda d, s, m: m["plugins"].update(quality=d(st.sampled_from([
    {"provider": "great_expectations"}, {"provider": "deequ"}, {"type": "soda"},
    {"provider": "soda", "dimension_weights": {"completeness": 0.5}},
    {"provider": "soda", "check_timeout_seconds": 3601},
    {"provider": "soda", "thresholds": {"min_score": 101}}]))))
_simple("labels_in_manifest_defaults", lambda d, s, m: m.update(defaults={1: "x"}))


# manifest: governance, observability, presets, artifacts
_simple("governance_bad", lambda d, s, m: m.update(governance=d(st.sampled_from([
    {"policy_enforcement_level": "block"},
    {"naming": {"pattern": "custom"}},
    {"naming": {"pattern": "custom", "custom_patterns": ["("]}},
    {"naming": {"pattern": "custom", "custom_patterns": ["^stg_"]}},
    {"naming": {"pattern": "snake"}},
    {"quality_gates": {"minimum_test_coverage": 101}},
    {"quality_gates": {"layer_thresholds": {"gold": 100}}},
    {"quality_gates": {"colour": "red"}},
    {"custom_rules": [{"field": "owner"}]},
    {"custom_rules": [{"type": "require_tags_for_prefix", "prefix": "gold_"}]},
    {"policy_overrides": [{"pattern": "x", "action": "exclude", "reason": "y",
                           "policy_types": ["naming"]}]},
    {"policy_overrides": [{"pattern": "x", "action": "exclude", "reason": "y",
                           "policy_types": ["everything"]}]},
    {"data_contracts": {"enforcement": "strict", "auto_generation": {"enabled": False}}},
    {"rbac": {"enabled": True, "token": "x"}},
    {"secret_scanning": {"enabled": True, "custom_patterns": [{"name": "k", "pattern": "K"}]}},
    {"policies": [{"name": "p", "type": "max_transforms", "action": "warn", "message": "m"}]},
    {"policies": [{"name": "p", "type": "max_transforms", "action": "ignore", "message": "m"}]},
    {"data_retention_days": 0}]))))
_simple("observability", lambda d, s, m: m.update(observability=d(st.sampled_from([
    {"logging": {"level": "CRITICAL"}}, {"logging": {"level": "DEBUG", "format": "text"}},
    {"tracing": {"exporter": "jaeger"}}, {"tracing": {"exporter": "console"}},
    {"lineage": {"transport": "kafka"}}, {"lineage": {"transport": "noop"}},
    {"tracing": {"endpoint": "http://localhost:4317"}},
    {"tracing": {"endpoint": "http://10.1.2.3:4317"}},
    {"tracing": {"endpoint": "http://172.20.0.1:4317"}},
    {"tracing": {"endpoint": "http://172.32.0.1:4317"}},
    {"lineage": {"endpoint": "https://marquez.acme.com/api/v1/lineage"}},
    {"lineage": {"endpoint": "ftp://marquez.acme.com"}},
    {"lineage": {"endpoint": "marquez:5000"}}]))))
_simple("resource_presets", lambda d, s, m: m.update(resource_presets={"p": d(st.sampled_from([
    {"cpu_request": "100m", "memory_request": "256Mi"},
    {"cpu_request": "100m", "cpu_limit": "1", "memory_request": "1Gi", "memory_limit": "2Gi"},
    {"requests": {"cpu": "1", "memory": "1Gi"}},
    {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
    {"requests": {"cpu": 1, "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
    {"gpu": 1}]))}))
_simple("artifacts", lambda d, s, m: m.update(artifacts=d(st.sampled_from([
    {"registry": {"uri": "oci://registry.acme.com/floe", "auth": {"type": "anonymous"}}},
    {"registry": {"uri": "https://registry.acme.com", "auth": {"type": "anonymous"}}},
    {"registry": {"uri": "oci://registry.acme.com", "auth": {"type": "basic"}}},
    {"registry": {"uri": "oci://registry.acme.com", "auth": {
        "type": "token", "credentials_ref": {"name": "registry-token"}}}},
    {"registry": {"uri": "oci://registry.acme.com", "auth": {
        "type": "anonymous", "credentials_ref": {"name": "x"}}}},
    {"registry": {"uri": "oci://registry.acme.com"}},
    {"store": "s3"}]))))
_REGISTRY = {"uri": "oci://registry.acme.com/floe", "auth": {"type": "anonymous"}}
_simple("artifacts_deep", lambda d, s, m: m.update(artifacts=d(st.sampled_from([
    {"registry": {**_REGISTRY, "resilience": {"retry": {"max_attempts": 11}}}},
    {"registry": {**_REGISTRY, "resilience": {"circuit_breaker": {"failure_threshold": 2}}}},
    {"registry": {**_REGISTRY, "signing": {"mode": "keyless"}}},
    {"registry": {**_REGISTRY, "signing": {"mode": "keyless",
                                           "oidc_issuer": "https://token.actions.example.com"}}},
    {"registry": {**_REGISTRY, "signing": {"mode": "key-based",
                                           "private_key_ref": {"name": "cosign-key"}}}},
    {"registry": {**_REGISTRY, "verification": {"enabled": True}}},
    {"registry": {**_REGISTRY, "verification": {"trusted_issuers": [
        {"issuer": "https://accounts.example.com", "subject": "ci@acme.com"}]}}},
    {"registry": {**_REGISTRY, "verification": {"trusted_issuers": [
        {"issuer": "https://accounts.example.com", "subject_regex": "(a+)+"}]}}},
    {"registry": {**_REGISTRY, "verification": {"trusted_issuers": [
        {"issuer": "https://accounts.example.com", "subject_regex": "^ci-[a-z]+@acme"}]}}},
    {"registry": {**_REGISTRY, "verification": {"public_key_ref": {"name": "k"},
                                                "grace_period_days": 91}}},
    {"registry": _REGISTRY, "promotion": {}},
    {"registry": _REGISTRY, "promotion": {"environments": []}},
    {"registry": _REGISTRY, "promotion": {"environments": [
        {"name": "dev", "gates": {"policy_compliance": True}},
        {"name": "dev", "gates": {"tests": True}}]}},
    {"registry": _REGISTRY, "promotion": {"environments": [
        {"name": "prod", "gates": {"policy_compliance": False}}]}},
    {"registry": _REGISTRY, "promotion": {"environments": [
        {"name": "prod", "gates": {"security_scan": {"command": "trivy image",
                                                     "block_on_severity": ["HIGH"]}}}]}},
    {"registry": _REGISTRY, "promotion": {"environments": [
        {"name": "prod", "gates": {"smoke": True}}]}},
    {"registry": _REGISTRY, "promotion": {"webhooks": [
        {"url": "https://hooks.acme.com", "events": ["promote", "deploy"]}]}},
    {"registry": _REGISTRY, "promotion": {"audit_backend": "s3",
                                          "default_timeout_seconds": 29}}]))))


@st.composite
def pairs(draw: Draw, first: str | None) -> Pair:
    """A valid pair with the mutation `first` (None: none), and half the time a second one
    drawn at random. Drawing each pair's first mutation here would not spread them evenly
    (Hypothesis favours the first of a list), so the runner asks for each in turn."""
    spec = base_spec(draw)
    manifest = base_manifest(draw, spec)
    names = [first] if first else []
    if first and draw(st.booleans()):
        names.append(pick(draw, sorted(set(MUTATIONS) - {first}), spec))
    applied = []
    for name in names:
        try:
            MUTATIONS[name](draw, spec, manifest)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # an earlier mutation took away what this one changes
        applied.append(name)
    return Pair(spec, manifest, applied)


# --- mutations anywhere: every field's type, presence and neighbours -----------------------


def _places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value below `data`."""
    found: list[tuple[Any, ...]] = []
    children = data.items() if isinstance(data, dict) else enumerate(data) \
        if isinstance(data, list) else ()
    for key, value in children:
        found.append((*path, key))
        found += _places(value, (*path, key))
    return found


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


OTHER_VALUES = [0, 7, -1, 1.5, True, False, None, [], {}, ["x"], {"k": "v"}, "x1"]


@mutation("yaml11_plain")
def _yaml11_plain(draw: Draw, spec: Data, manifest: Data) -> None:
    """A value, or now and then a key, written as a YAML-1.1-ambiguous plain scalar."""
    doc = draw(st.sampled_from([spec, manifest]))
    plain = Plain(pick(draw, YAML11_PLAIN, doc))
    if draw(st.integers(0, 3)) == 0:
        mappings = [p for p in _places(doc) if isinstance(_parent(doc, p)[p[-1]], dict)]
        target = _parent(doc, path)[path[-1]] if (path := pick(draw, [(), *mappings], doc)) \
            else doc
        target[plain] = "x"
        return
    path = pick(draw, [p for p in _places(doc)
                       if not isinstance(_parent(doc, p)[p[-1]], dict | list)], doc)
    _parent(doc, path)[path[-1]] = plain


@mutation("any_value_retyped")
def _retype(draw: Draw, spec: Data, manifest: Data) -> None:
    doc = draw(st.sampled_from([spec, manifest]))
    path = pick(draw, _places(doc), doc)
    _parent(doc, path)[path[-1]] = draw(st.sampled_from(OTHER_VALUES))


@mutation("any_key_dropped")
def _drop(draw: Draw, spec: Data, manifest: Data) -> None:
    doc = draw(st.sampled_from([spec, manifest]))
    path = pick(draw, [p for p in _places(doc) if isinstance(_parent(doc, p), dict)], doc)
    del _parent(doc, path)[path[-1]]


@mutation("any_unknown_key")
def _extra(draw: Draw, spec: Data, manifest: Data) -> None:
    doc = draw(st.sampled_from([spec, manifest]))
    mappings = [()] + [p for p in _places(doc) if isinstance(_parent(doc, p)[p[-1]], dict)]
    path = pick(draw, mappings, doc)
    target = _parent(doc, path)[path[-1]] if path else doc
    target["zz_extra"] = "x"
