"""FloeSpec: the data engineer's floe.yaml."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, field_validator, model_validator

from floe_compiler.models.common import (
    DBT_MODEL_NAME_PATTERN,
    DESTINATION_NAME_PATTERN,
    FLOE_NAME_PATTERN,
    MAX_BATCH_SIZE,
    MAX_CONFIG_KEYS,
    SECRET_NAME_MAX_LENGTH,
    SECRET_NAME_PATTERN,
    SEMVER_PATTERN,
    FrozenModel,
)


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


class QualityCheck(FrozenModel):
    """One data quality check on a model, as upstream's QualityCheck."""

    name: str = Field(min_length=1, description="Check name.", examples=["orders_not_null"])
    type: str = Field(min_length=1, description="Check type.", examples=["not_null"])
    column: str | None = Field(default=None, description="Column checked, if any.")
    dimension: Literal["completeness", "accuracy", "validity", "consistency", "timeliness"] = \
        Field(description="Quality dimension the check measures.")
    severity: Literal["critical", "warning", "info"] = Field(
        default="warning", description="How much a failure weighs.")
    custom_weight: float | None = Field(default=None, ge=0.1, le=10.0,
                                        description="Weight overriding the severity's.")
    parameters: dict[str, Any] = Field(default_factory=dict,
                                       description="Check-specific parameters.")
    enabled: bool = Field(default=True, description="Whether the check runs.")


class TransformSpec(FrozenModel):
    """One dbt model of the data product."""

    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(min_length=1, max_length=128, pattern=DBT_MODEL_NAME_PATTERN,
                      description="dbt model name.", examples=["stg_customers"])
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
    quality_checks: list[QualityCheck] | None = Field(
        default=None, alias="qualityChecks", description="Quality checks for this model.")


class ScheduleSpec(FrozenModel):
    """When the product runs."""

    cron: str | None = Field(default=None, description="Cron expression.",
                             examples=["0 6 * * *"])
    timezone: str = Field(default="UTC", description="IANA time zone.",
                          examples=["UTC", "America/New_York"])
    enabled: bool = Field(default=True, description="Whether the schedule is active.")


class OutputPortColumn(FrozenModel):
    """One column of an output port's schema."""

    name: str = Field(min_length=1, max_length=128, pattern=DBT_MODEL_NAME_PATTERN,
                      description="Column name.", examples=["customer_id"])
    type: str = Field(description="Logical type (ODCS v3).", examples=["string", "integer"])
    description: str | None = Field(default=None, max_length=500,
                                    description="What the column holds.")
    required: bool = Field(default=False, description="Whether the column is non-nullable.")
    primary_key: bool = Field(default=False, alias="primaryKey",
                              description="Whether the column is (part of) the primary key.")
    classification: str | None = Field(default=None, description="Data classification.",
                                       examples=["pii", "public"])


class OutputPort(FrozenModel):
    """A table the data product exposes; its data contract is generated from it."""

    name: str = Field(min_length=1, max_length=128, pattern=DBT_MODEL_NAME_PATTERN,
                      description="Port name (letters, digits and '_').", examples=["customers"])
    description: str | None = Field(default=None, max_length=500,
                                    description="What consumers get from this port.")
    owner: str | None = Field(default=None, min_length=1, description="Owner e-mail or team.")
    schema_: Annotated[list[OutputPortColumn], Field(
        alias="schema", min_length=1, description="The port's columns, at least one.")]


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
    batch_size: int | None = Field(default=None, ge=1, le=MAX_BATCH_SIZE,
                                   description="Rows per batch.", examples=[500])

    @field_validator("config")
    @classmethod
    def _bounded_config(cls, config: dict[str, Any] | None) -> dict[str, Any] | None:
        if config is not None and len(config) > MAX_CONFIG_KEYS:
            raise ValueError(f"config has {len(config)} keys; at most {MAX_CONFIG_KEYS} "
                             "are allowed")
        return config


# Query or fragment words that mean a credential rides in an ingestion path.
_CREDENTIAL_WORDS = ("credential", "access_key", "secret_key", "token", "api_key", "password",
                     "signature", "awsaccesskeyid", "aws_access_key_id",
                     "aws_secret_access_key")


def _mentions_credential(text: str) -> bool:
    lowered = text.lower()
    squeezed = re.sub(r"[^a-z0-9]", "", lowered)
    return any(word in lowered or word.replace("_", "") in squeezed
               for word in _CREDENTIAL_WORDS)


class IngestionSource(FrozenModel):
    """One file source loaded into an Iceberg table before the transforms run."""

    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$",
                      description="Source name (letters, digits, '-' and '_').",
                      examples=["raw_orders"])
    source_type: Literal["filesystem"] = Field(alias="sourceType",
                                               description="Kind of source.")
    format: Literal["csv", "jsonl", "parquet"] = Field(description="File format.")
    path: str = Field(min_length=1, description="Relative path, or s3://, gs://, az:// URI.",
                      examples=["data/orders.csv", "s3://landing/orders/"])
    destination_table: str = Field(alias="destinationTable", min_length=1,
                                   description="Target table as namespace.table.",
                                   examples=["raw.orders"])
    write_mode: Literal["append", "replace", "merge"] = Field(
        default="append", alias="writeMode", description="How loaded rows are written.")
    schema_contract: Literal["evolve", "freeze"] = Field(
        default="evolve", alias="schemaContract", description="Whether the schema may change.")
    cursor_field: str | None = Field(default=None, alias="cursorField",
                                     description="Column for incremental loads.")
    primary_key: str | list[str] | None = Field(default=None, alias="primaryKey",
                                                description="Key column(s); needed for merge.")

    @field_validator("destination_table")
    @classmethod
    def _namespace_dot_table(cls, table: str) -> str:
        parts = table.split(".")
        if len(parts) != 2 or not all(p and p == p.strip() for p in parts):
            raise ValueError("destinationTable must be namespace.table")
        return table

    @field_validator("path")
    @classmethod
    def _portable_path(cls, path: str) -> str:
        if path != path.strip() or not path.strip():
            raise ValueError("path must not be blank or start or end with whitespace")
        url = urlsplit(path)
        if _mentions_credential(url.query) or _mentions_credential(url.fragment):
            raise ValueError("path must not carry credentials in its query or fragment")
        if url.scheme:
            if url.scheme not in ("s3", "gs", "az"):
                raise ValueError("path URI scheme must be s3://, gs:// or az://")
            if url.username or url.password or "@" in url.netloc:
                raise ValueError("path must not embed credentials")
            if not url.netloc:
                raise ValueError("an object-store path needs a bucket or container")
        elif path.startswith("/"):
            raise ValueError("a local path must be relative")
        elif "://" in path:
            raise ValueError("path URI scheme must be s3://, gs:// or az://")
        return path

    @field_validator("primary_key")
    @classmethod
    def _named_keys(cls, key: str | list[str] | None) -> str | list[str] | None:
        keys = [key] if isinstance(key, str) else key
        if keys is not None and (not keys or any(not k.strip() for k in keys)):
            raise ValueError("primaryKey must name at least one non-blank column")
        return key

    @model_validator(mode="after")
    def _merge_needs_key(self) -> IngestionSource:
        if self.write_mode == "merge" and not self.primary_key:
            raise ValueError("primaryKey is required when writeMode is merge")
        return self


class IngestionSpec(FrozenModel):
    """Files this product loads itself."""

    sources: list[IngestionSource] = Field(min_length=1, description="At least one source.")

    @field_validator("sources")
    @classmethod
    def _distinct(cls, sources: list[IngestionSource]) -> list[IngestionSource]:
        for what, values in (("source names", [s.name for s in sources]),
                             ("destination tables", [s.destination_table for s in sources])):
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                raise ValueError(f"duplicate ingestion {what}: {', '.join(repeated)}")
        return sources


class FloeSpec(FrozenModel):
    """A data product: floe.yaml."""

    model_config = ConfigDict(populate_by_name=True)

    api_version: Literal["floe.dev/v1"] = Field(alias="apiVersion",
                                                description="Schema version of this file.")
    kind: Literal["FloeSpec"] = Field(description="Always FloeSpec for floe.yaml.")
    metadata: FloeMetadata = Field(description="Name, version and owner of the product.")
    platform: PlatformRef | None = Field(default=None,
                                         description="The platform manifest that governs it.")
    transforms: Annotated[list[TransformSpec], Field(min_length=1,
                                                     description="dbt models, at least one.")]
    schedule: ScheduleSpec | None = Field(default=None, description="When the product runs.")
    output_ports: list[OutputPort] | None = Field(
        default=None, alias="outputPorts",
        description="Tables this product exposes; their data contracts are generated.")
    destinations: list[DestinationConfig] | None = Field(
        default=None, description="Reverse-ETL destinations.")
    ingestion: IngestionSpec | None = Field(default=None,
                                            description="Files this product loads itself.")
