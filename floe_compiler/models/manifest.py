"""PlatformManifest: the platform team's manifest.yaml."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core.core_schema import CoreSchema

from floe_compiler.models.artifacts import ArtifactsConfig
from floe_compiler.models.common import (
    MANIFEST_NAME_PATTERN,
    RESERVED_MANIFEST_NAMES,
    SECRET_NAME_MAX_LENGTH,
    SECRET_NAME_PATTERN,
    SEMVER_PATTERN,
    FrozenModel,
)
from floe_compiler.models.governance import ManifestGovernance, QualityConfig


class ManifestMetadata(FrozenModel):
    """Identification and ownership of the platform."""

    name: str = Field(min_length=1, max_length=63, pattern=MANIFEST_NAME_PATTERN,
                      description="Platform name: lowercase letters, digits and '-', starting "
                                  "and ending with a letter or digit; not a reserved name.",
                      examples=["acme-platform"])
    version: str = Field(pattern=SEMVER_PATTERN, description="Manifest version, MAJOR.MINOR.PATCH.",
                         examples=["1.0.0"])
    description: str | None = Field(default=None, max_length=500,
                                    description="Human-readable description.")
    owner: str = Field(min_length=1, description="Owning team or e-mail.",
                       examples=["platform-team@acme.com"])

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name.lower() in RESERVED_MANIFEST_NAMES:
            raise ValueError(f"'{name}' is a reserved name")
        return name


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
    quality: QualityConfig | None = Field(default=None,
                                          description="Data quality provider and scoring.")


PLUGIN_CATEGORIES: tuple[str, ...] = tuple(PluginsConfig.model_fields)


# An endpoint on a loopback, private or link-local address (upstream's SSRF guard).
_PRIVATE_ENDPOINT = re.compile(r"://(?:127\.|192\.168\.|10\.|172\.(?:1[6-9]|2\d|3[01])\.|"
                               r"169\.254\.|::1|localhost)")


def _public_http(endpoint: str | None) -> str | None:
    if endpoint is None:
        return None
    if not re.match(r"https?://", endpoint):
        raise ValueError("endpoint must be an http:// or https:// URL")
    if _PRIVATE_ENDPOINT.search(endpoint):
        raise ValueError("endpoint must not be a loopback, private or link-local address")
    return endpoint


class TracingConfig(FrozenModel):
    """OpenTelemetry tracing of pipeline runs."""

    enabled: bool = Field(default=True, description="Whether runs emit traces.")
    exporter: Literal["otlp", "console", "none"] = Field(default="otlp",
                                                         description="Trace exporter.")
    endpoint: str | None = Field(default=None, description="Collector endpoint.",
                                 examples=["http://otel-collector:4317"])

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, endpoint: str | None) -> str | None:
        return _public_http(endpoint)


class LineageConfig(FrozenModel):
    """OpenLineage events for every run."""

    enabled: bool = Field(default=True, description="Whether runs emit lineage events.")
    transport: Literal["http", "console", "noop"] = Field(default="http",
                                                         description="OpenLineage transport.")
    endpoint: str | None = Field(default=None, description="Lineage backend endpoint.",
                                 examples=["http://marquez:5000"])

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, endpoint: str | None) -> str | None:
        return _public_http(endpoint)


class LoggingConfig(FrozenModel):
    """Log level and format of platform components."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Minimum level logged.")
    format: Literal["json", "text"] = Field(default="json", description="Log line format.")


class ObservabilityConfig(FrozenModel):
    """Tracing, lineage and logging for every data product on the platform."""

    tracing: TracingConfig = Field(default_factory=TracingConfig)
    lineage: LineageConfig = Field(default_factory=LineageConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)


class ResourceQuantities(FrozenModel):
    """Kubernetes quantities for one of requests or limits."""

    cpu: str = Field(description="CPU quantity.", examples=["500m"])
    memory: str = Field(description="Memory quantity.", examples=["512Mi"])


FLAT_PRESET_KEYS = ("cpu_request", "memory_request", "cpu_limit", "memory_limit")


class ResourcePreset(FrozenModel):
    """Kubernetes resource requests and limits; the four flat keys cpu_request,
    memory_request, cpu_limit and memory_limit together are a shorthand for them."""

    requests: ResourceQuantities
    limits: ResourceQuantities

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """Editors accept the shorthand too."""
        flat = {"type": "object", "required": list(FLAT_PRESET_KEYS),
                "properties": {key: {"type": "string"} for key in FLAT_PRESET_KEYS}}
        return {"anyOf": [handler(core_schema), flat]}

    @model_validator(mode="before")
    @classmethod
    def _from_flat_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and all(key in data for key in FLAT_PRESET_KEYS):
            return {"requests": {"cpu": data["cpu_request"], "memory": data["memory_request"]},
                    "limits": {"cpu": data["cpu_limit"], "memory": data["memory_limit"]}}
        return data


class PlatformManifest(FrozenModel):
    """Platform configuration and governance: manifest.yaml. Unknown top-level keys are
    kept (a newer manifest may have them) and reported as warnings."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

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
        examples=[{"small": {"requests": {"cpu": "100m", "memory": "256Mi"},
                             "limits": {"cpu": "500m", "memory": "512Mi"}}}])
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
    artifacts: ArtifactsConfig | None = Field(default=None,
                                              description="Artifact registry and promotion.")
