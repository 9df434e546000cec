"""FloeSpec: the data engineer's floe.yaml."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from floe_compiler.models.common import (
    DBT_MODEL_NAME_PATTERN,
    DESTINATION_NAME_PATTERN,
    FLOE_NAME_PATTERN,
    SECRET_NAME_MAX_LENGTH,
    SECRET_NAME_PATTERN,
    SEMVER_PATTERN,
    FrozenModel,
)

Enforcement = Literal["off", "warn", "strict"]


class FloeMetadata(FrozenModel):
    """Identification and ownership of the data product."""

    name: str = Field(min_length=1, max_length=63, pattern=FLOE_NAME_PATTERN,
                      description="Product name: DNS-compatible, lowercase, starts with a letter.",
                      examples=["customer-360"])
    version: str = Field(pattern=SEMVER_PATTERN, description="Product version, MAJOR.MINOR.PATCH.",
                         examples=["1.0.0"])
    description: str | None = Field(default=None, max_length=500,
                                    description="Human-readable description.")
    owner: str | None = Field(default=None, min_length=1, description="Owner e-mail or team.",
                              examples=["analytics-team@acme.com"])
    labels: dict[str, str] | None = Field(default=None, description="Key-value labels.",
                                          examples=[{"domain": "analytics", "tier": "gold"}])


class PlatformRef(FrozenModel):
    """Where the governing platform manifest lives."""

    manifest: str = Field(min_length=1,
                          description="Path (relative to floe.yaml) or OCI URI of manifest.yaml.",
                          examples=["../manifest.yaml", "oci://registry.acme.com/floe/platform:v1"])


class TransformSpec(FrozenModel):
    """One dbt model of the data product."""

    name: str = Field(min_length=1, max_length=128, pattern=DBT_MODEL_NAME_PATTERN,
                      description="dbt model name.", examples=["stg_customers"])
    description: str | None = Field(default=None, max_length=500,
                                    description="What the model produces.")
    compute: str | None = Field(default=None,
                                description="Compute plugin override (default: the platform's).",
                                examples=["duckdb", "spark"])
    tags: list[str] | None = Field(default=None, description="dbt tags for selection.",
                                   examples=[["staging"]])
    depends_on: list[str] | None = Field(default=None, alias="dependsOn",
                                         description="Transforms that must run first.",
                                         examples=[["stg_customers"]])
    tier: Literal["bronze", "silver", "gold"] | None = Field(
        default=None, description="Medallion tier of the model.")
    quality_checks: list[dict[str, Any]] | None = Field(
        default=None, alias="qualityChecks", description="Quality checks for this model.")


class ScheduleSpec(FrozenModel):
    """When the product runs."""

    cron: str | None = Field(default=None, description="Cron expression.",
                             examples=["0 6 * * *"])
    timezone: str = Field(default="UTC", description="IANA time zone.",
                          examples=["UTC", "America/New_York"])
    enabled: bool = Field(default=True, description="Whether the schedule is active.")


class OutputPort(FrozenModel):
    """A table the data product exposes."""

    name: str = Field(min_length=1, max_length=128, pattern=DBT_MODEL_NAME_PATTERN,
                      description="Port name (letters, digits and '_').", examples=["customers"])
    description: str | None = Field(default=None, max_length=500,
                                    description="What consumers get from this port.")
    owner: str | None = Field(default=None, min_length=1, description="Owner e-mail or team.")
    table: str | None = Field(default=None, description="Fully qualified table.",
                              examples=["analytics.customer_360.mart_customer_360"])
    format: str | None = Field(default=None, description="Table format.",
                               examples=["iceberg"])


class InputPort(FrozenModel):
    """Another data product this one reads."""

    name: str = Field(min_length=1, max_length=128, pattern=DBT_MODEL_NAME_PATTERN,
                      description="Port name (letters, digits and '_').",
                      examples=["crm_customers"])
    description: str | None = Field(default=None, max_length=500,
                                    description="What this product reads from it.")
    source: str = Field(min_length=1, description="The other product's table, as product.port.",
                        examples=["crm.customers"])
    contract: str | None = Field(default=None, description="URN of the data contract it honours.",
                                 examples=["urn:datacontract:acme:crm:customers:1.0.0"])


class DataContractsSpec(FrozenModel):
    """How this product's data contracts are enforced."""

    enforcement: Enforcement = Field(default="warn",
                                     description="How data contract violations are treated.")


class ProductGovernance(FrozenModel):
    """Product-level governance settings (the manifest's policies still apply)."""

    data_contracts: DataContractsSpec | None = Field(
        default=None, description="Data contract enforcement for this product.")


class ComputeSpec(FrozenModel):
    """Compute plugin selection for this product."""

    default: str | None = Field(default=None,
                                description="Compute plugin for every transform "
                                            "(default: the platform's).",
                                examples=["duckdb"])
    overrides: dict[str, str] | None = Field(
        default=None, description="Per-transform compute plugin.",
        examples=[{"int_customer_orders": "spark"}])


class DestinationConfig(FrozenModel):
    """A reverse-ETL destination: where a gold table is pushed after the run."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "salesforce-sync", "sink_type": "rest_api",
        "connection_secret_ref": "salesforce-credentials",
        "source_table": "gold.customer_360", "batch_size": 500,
    }]})

    name: str = Field(min_length=1, max_length=100, pattern=DESTINATION_NAME_PATTERN,
                      description="Destination identifier (letters, digits, '-' and '_').",
                      examples=["salesforce-sync"])
    sink_type: str = Field(min_length=1, description="Sink connector type.",
                           examples=["rest_api", "sql_database"])
    connection_secret_ref: str = Field(
        max_length=SECRET_NAME_MAX_LENGTH, pattern=SECRET_NAME_PATTERN,
        description="Name of the Kubernetes Secret holding the connection credentials.",
        examples=["salesforce-credentials"])
    source_table: str | None = Field(default=None, description="Iceberg gold table to read.",
                                     examples=["gold.customer_360"])
    config: dict[str, Any] | None = Field(default=None,
                                          description="Sink-specific, non-secret configuration.")
    field_mapping: dict[str, str] | None = Field(
        default=None, description="Source column -> destination field.",
        examples=[{"customer_id": "External_Id__c"}])
    batch_size: int | None = Field(default=None, ge=1, description="Rows per batch.",
                                   examples=[500])


class FloeSpec(FrozenModel):
    """A data product: floe.yaml."""

    api_version: Literal["floe.dev/v1"] = Field(alias="apiVersion",
                                                description="Schema version of this file.")
    kind: Literal["FloeSpec"] = Field(description="Always FloeSpec for floe.yaml.")
    metadata: FloeMetadata = Field(description="Name, version and owner of the product.")
    platform: PlatformRef | None = Field(default=None,
                                         description="The platform manifest that governs it.")
    transforms: Annotated[list[TransformSpec], Field(min_length=1,
                                                     description="dbt models, at least one.")]
    schedule: ScheduleSpec | None = Field(default=None, description="When the product runs.")
    destinations: list[DestinationConfig] | None = Field(
        default=None, description="Reverse-ETL destinations.")
    output_ports: list[OutputPort] | None = Field(
        default=None, description="Tables this product exposes to others.")
    input_ports: list[InputPort] | None = Field(
        default=None, description="Other data products this one reads.")
    governance: ProductGovernance | None = Field(
        default=None, description="Product-level governance; the manifest's policies apply too.")
    compute: ComputeSpec | None = Field(
        default=None, description="Compute plugin selection, overall and per transform.")
