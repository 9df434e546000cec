"""PlatformManifest: the platform team's manifest.yaml."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from floe_compiler.models.common import (
    FLOE_NAME_PATTERN,
    SECRET_NAME_MAX_LENGTH,
    SECRET_NAME_PATTERN,
    SEMVER_PATTERN,
    FrozenModel,
)


class ManifestMetadata(FrozenModel):
    name: str = Field(min_length=1, max_length=63, pattern=FLOE_NAME_PATTERN,
                      examples=["acme-platform"])
    version: str = Field(pattern=SEMVER_PATTERN, examples=["1.0.0"])
    description: str | None = Field(default=None, max_length=500)
    owner: str = Field(min_length=1, description="Owning team or e-mail.",
                       examples=["platform-team@acme.com"])


class PluginSelection(FrozenModel):
    """The plugin chosen for one platform capability."""

    type: str = Field(min_length=1, pattern=r"\S", description="Plugin name.",
                      examples=["duckdb", "dagster", "polaris"])
    version: str | None = Field(default=None, pattern=SEMVER_PATTERN, examples=["0.9.0"])
    config: dict[str, Any] | None = Field(default=None,
                                          description="Plugin-specific configuration.")
    connection_secret_ref: str | None = Field(
        default=None, max_length=SECRET_NAME_MAX_LENGTH, pattern=SECRET_NAME_PATTERN,
        description="Kubernetes Secret with the plugin's credentials.",
        examples=["polaris-credentials"])


class PluginsConfig(FrozenModel):
    """Plugin selections for the platform's capability categories."""

    compute: PluginSelection | None = Field(default=None, description="duckdb, snowflake, spark…")
    orchestrator: PluginSelection | None = Field(default=None, description="dagster, airflow…")
    catalog: PluginSelection | None = Field(default=None, description="polaris, glue, hive")
    storage: PluginSelection | None = Field(default=None, description="s3, gcs, azure-blob…")
    semantic_layer: PluginSelection | None = Field(default=None, description="cube…")
    ingestion: PluginSelection | None = Field(default=None, description="dlt, airbyte")
    secrets: PluginSelection | None = Field(default=None, description="k8s-secrets, eso, vault")
    telemetry_backend: PluginSelection | None = Field(default=None, description="jaeger…")
    lineage_backend: PluginSelection | None = Field(default=None, description="marquez…")
    identity: PluginSelection | None = Field(default=None, description="k8s-rbac, custom")
    dbt: PluginSelection | None = Field(default=None, description="core, fusion")
    quality: PluginSelection | None = Field(default=None, description="great_expectations…")


PLUGIN_CATEGORIES: tuple[str, ...] = tuple(PluginsConfig.model_fields)


class TracingConfig(FrozenModel):
    enabled: bool = True
    exporter: str | None = Field(default=None, examples=["otlp"])
    endpoint: str | None = None


class LineageConfig(FrozenModel):
    enabled: bool = True
    transport: str | None = Field(default=None, examples=["http"])
    endpoint: str | None = None


class LoggingConfig(FrozenModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    format: Literal["json", "text"] = "json"


class ObservabilityConfig(FrozenModel):
    tracing: TracingConfig | None = None
    lineage: LineageConfig | None = None
    logging: LoggingConfig | None = None


class QualityGates(FrozenModel):
    minimum_test_coverage: int | None = Field(default=None, ge=0, le=100)
    require_descriptions: bool | None = None
    block_on_failure: bool | None = None


class ManifestGovernance(FrozenModel):
    """Platform-wide policies every data product must follow."""

    pii_encryption: Literal["required", "optional"] | None = None
    audit_logging: Literal["enabled", "disabled"] | None = None
    policy_enforcement_level: Literal["off", "warn", "strict"] | None = None
    data_retention_days: int | None = Field(default=None, ge=1)
    default_ttl_hours: int | None = Field(default=None, ge=1)
    snapshot_keep_last: int | None = Field(default=None, ge=1)
    stale_table_recovery_mode: Literal["strict", "repair"] | None = None
    quality_gates: QualityGates | None = None
    # Upstream sub-policies whose structure this compiler passes through unchanged.
    naming: dict[str, Any] | None = None
    data_contracts: dict[str, Any] | None = None
    custom_rules: list[dict[str, Any]] | None = None
    policy_overrides: list[dict[str, Any]] | None = None
    rbac: dict[str, Any] | None = None
    secret_scanning: dict[str, Any] | None = None
    network_policies: dict[str, Any] | None = None
    policies: list[dict[str, Any]] | None = None


class ResourcePreset(FrozenModel):
    cpu_request: str | None = Field(default=None, examples=["100m"])
    cpu_limit: str | None = Field(default=None, examples=["500m"])
    memory_request: str | None = Field(default=None, examples=["256Mi"])
    memory_limit: str | None = Field(default=None, examples=["512Mi"])


class PlatformManifest(FrozenModel):
    """Platform configuration and governance: manifest.yaml."""

    api_version: Literal["floe.dev/v1"] = Field(alias="apiVersion")
    kind: Literal["Manifest"] = Field(description="Always Manifest for manifest.yaml.")
    metadata: ManifestMetadata
    scope: Literal["enterprise", "domain"] | None = Field(
        default=None, description="None for a single platform; enterprise/domain for 3 tiers.")
    parent_manifest: str | None = Field(default=None,
                                        description="OCI URI of the parent (domain scope).")
    plugins: PluginsConfig
    observability: ObservabilityConfig | None = None
    governance: ManifestGovernance | None = None
    resource_presets: dict[str, ResourcePreset] | None = None
    approved_plugins: dict[str, list[str]] | None = Field(
        default=None, description="Allowed plugin types per category; absent = all allowed.",
        examples=[{"compute": ["duckdb", "snowflake"]}])
    approved_sinks: list[str] | None = Field(
        default=None, description="Allowed reverse-ETL sink types; absent = all allowed.",
        examples=[["rest_api", "sql_database"]])
    approved_products: list[str] | None = None
    defaults: dict[str, str] | None = None
    artifacts: dict[str, Any] | None = None
