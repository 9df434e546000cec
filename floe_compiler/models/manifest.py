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
    """Identification and ownership of the platform."""

    name: str = Field(min_length=1, max_length=63, pattern=FLOE_NAME_PATTERN,
                      description="Platform name: DNS-compatible, lowercase, starts with a letter.",
                      examples=["acme-platform"])
    version: str = Field(pattern=SEMVER_PATTERN, description="Manifest version, MAJOR.MINOR.PATCH.",
                         examples=["1.0.0"])
    description: str | None = Field(default=None, max_length=500,
                                    description="Human-readable description.")
    owner: str = Field(min_length=1, description="Owning team or e-mail.",
                       examples=["platform-team@acme.com"])


class PluginSelection(FrozenModel):
    """The plugin chosen for one platform capability."""

    type: str = Field(min_length=1, pattern=r"\S", description="Plugin name.",
                      examples=["duckdb", "dagster", "polaris"])
    version: str | None = Field(default=None, pattern=SEMVER_PATTERN,
                                description="Plugin version, MAJOR.MINOR.PATCH.",
                                examples=["0.9.0"])
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
    """OpenTelemetry tracing of pipeline runs."""

    enabled: bool = Field(default=True, description="Whether runs emit traces.")
    exporter: str | None = Field(default=None, description="Trace exporter.", examples=["otlp"])
    endpoint: str | None = Field(default=None, description="Collector endpoint.",
                                 examples=["http://otel-collector:4317"])


class LineageConfig(FrozenModel):
    """OpenLineage events for every run."""

    enabled: bool = Field(default=True, description="Whether runs emit lineage events.")
    transport: str | None = Field(default=None, description="OpenLineage transport.",
                                  examples=["http"])
    endpoint: str | None = Field(default=None, description="Lineage backend endpoint.",
                                 examples=["http://marquez:5000"])


class LoggingConfig(FrozenModel):
    """Log level and format of platform components."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="Minimum level logged.")
    format: Literal["json", "text"] = Field(default="json", description="Log line format.")


class ObservabilityConfig(FrozenModel):
    """Tracing, lineage and logging for every data product on the platform."""

    tracing: TracingConfig | None = None
    lineage: LineageConfig | None = None
    logging: LoggingConfig | None = None


class QualityGates(FrozenModel):
    """Quality bars a data product must meet."""

    minimum_test_coverage: int | None = Field(
        default=None, ge=0, le=100, description="Minimum percentage of models with tests.",
        examples=[80])
    require_descriptions: bool | None = Field(
        default=None, description="Every model and column must have a description.")
    block_on_failure: bool | None = Field(
        default=None, description="A failed gate stops the deployment.")


class ManifestGovernance(FrozenModel):
    """Platform-wide policies every data product must follow."""

    pii_encryption: Literal["required", "optional"] | None = Field(
        default=None, description="Whether PII columns must be encrypted.")
    audit_logging: Literal["enabled", "disabled"] | None = Field(
        default=None, description="Whether data access is audit-logged.")
    policy_enforcement_level: Literal["off", "warn", "strict"] | None = Field(
        default=None, description="How policy violations are treated.")
    data_retention_days: int | None = Field(default=None, ge=1,
                                            description="Days data is kept.", examples=[90])
    default_ttl_hours: int | None = Field(default=None, ge=1,
                                          description="Default time-to-live, in hours.")
    snapshot_keep_last: int | None = Field(default=None, ge=1,
                                           description="Iceberg snapshots kept per table.")
    stale_table_recovery_mode: Literal["strict", "repair"] | None = Field(
        default=None, description="How stale tables are recovered.")
    quality_gates: QualityGates | None = None
    # Upstream sub-policies whose structure this compiler passes through unchanged.
    naming: dict[str, Any] | None = Field(default=None, description="Naming conventions.")
    data_contracts: dict[str, Any] | None = Field(default=None,
                                                  description="Data contract policy.")
    custom_rules: list[dict[str, Any]] | None = Field(default=None,
                                                      description="Platform-specific rules.")
    policy_overrides: list[dict[str, Any]] | None = Field(
        default=None, description="Exceptions to the policies above.")
    rbac: dict[str, Any] | None = Field(default=None, description="Access control policy.")
    secret_scanning: dict[str, Any] | None = Field(default=None,
                                                   description="Secret scanning policy.")
    network_policies: dict[str, Any] | None = Field(default=None,
                                                    description="Network policy.")
    policies: list[dict[str, Any]] | None = Field(default=None, description="Further policies.")


class ResourcePreset(FrozenModel):
    """Kubernetes resource requests and limits, as quantities."""

    cpu_request: str | None = Field(default=None, description="CPU request.", examples=["100m"])
    cpu_limit: str | None = Field(default=None, description="CPU limit.", examples=["500m"])
    memory_request: str | None = Field(default=None, description="Memory request.",
                                       examples=["256Mi"])
    memory_limit: str | None = Field(default=None, description="Memory limit.",
                                     examples=["512Mi"])


class PlatformManifest(FrozenModel):
    """Platform configuration and governance: manifest.yaml."""

    api_version: Literal["floe.dev/v1"] = Field(alias="apiVersion",
                                                description="Schema version of this file.")
    kind: Literal["Manifest"] = Field(description="Always Manifest for manifest.yaml.")
    metadata: ManifestMetadata = Field(description="Name, version and owner of the platform.")
    scope: Literal["enterprise", "domain"] | None = Field(
        default=None, description="None for a single platform; enterprise/domain for 3 tiers.")
    parent_manifest: str | None = Field(default=None,
                                        description="OCI URI of the parent (domain scope).")
    plugins: PluginsConfig = Field(description="The plugin chosen for each capability.")
    observability: ObservabilityConfig | None = None
    governance: ManifestGovernance | None = None
    resource_presets: dict[str, ResourcePreset] | None = Field(
        default=None, description="Named resource sizes for jobs.",
        examples=[{"small": {"cpu_request": "100m", "memory_request": "256Mi"}}])
    approved_plugins: dict[str, list[str]] | None = Field(
        default=None, description="Allowed plugin types per category; absent = all allowed.",
        examples=[{"compute": ["duckdb", "snowflake"]}])
    approved_sinks: list[str] | None = Field(
        default=None, description="Allowed reverse-ETL sink types; absent = all allowed.",
        examples=[["rest_api", "sql_database"]])
    approved_products: list[str] | None = Field(
        default=None, description="Names of approved data products.")
    defaults: dict[str, str] | None = Field(default=None,
                                            description="Platform defaults, passed through.")
    artifacts: dict[str, Any] | None = Field(default=None,
                                             description="Artifact settings, passed through.")
