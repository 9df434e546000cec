"""CompiledArtifacts: what `floe compile` emits, and what `floe run` consumes.

Self-describing like dbt's artifacts: `schema_version` names the JSON Schema whose
`$id` is `SCHEMA_ID`. Bump the version on any incompatible change.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import ConfigDict, Field

from floe_compiler.models.common import FrozenModel
from floe_compiler.models.spec import ScheduleSpec

SCHEMA_VERSION: Final = "1.1.0"  # 1.1.0 added `sink_connectors`
# What `floe run` reads: 1.0.0 is 1.1.0 without `sink_connectors`.
READABLE_VERSIONS: Final = ("1.0.0", SCHEMA_VERSION)
SCHEMA_ID = f"https://floe.dev/schemas/compiled-artifacts/v{SCHEMA_VERSION}.json"

DEFAULT_RETRY: dict[str, Any] = {
    "max_attempts": 5,
    "initial_backoff_seconds": 0.5,
    "max_backoff_seconds": 30.0,
}


class InputFile(FrozenModel):
    path: str = Field(description="Path relative to the floe.yaml's directory.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Inputs(FrozenModel):
    spec: InputFile
    manifest: InputFile


class ProductInfo(FrozenModel):
    name: str
    version: str
    description: str | None = None
    owner: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class PlatformInfo(FrozenModel):
    name: str
    version: str
    owner: str
    scope: str | None = None


class ResolvedPlugin(FrozenModel):
    type: str
    version: str | None = None
    config: dict[str, Any] = Field(default_factory=dict,
                                   description="Plugin configuration; credentials redacted.")
    connection_secret_ref: str | None = None


class CompiledTransform(FrozenModel):
    name: str
    compute: str | None = Field(description="Resolved compute plugin.")
    tier: str | None = None
    tags: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)


class Edge(FrozenModel):
    upstream: str
    downstream: str


class CompiledDestination(FrozenModel):
    """A destination shaped like `SinkConfig`, plus where its data and credentials live."""

    name: str
    sink_type: str
    connection_secret_ref: str = Field(description="Kubernetes Secret, resolved at run time.")
    source_table: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    field_mapping: dict[str, str] | None = None
    batch_size: int | None = None
    retry_config: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_RETRY))


class SinkConnectorInfo(FrozenModel):
    """The connector that served a sink type when the artifact was compiled."""

    entry_point: str = Field(description="Its entry point's name.")
    group: str = Field(description="Its entry-point group: floe.sinks or floe.ingestion.")
    distribution: str = Field(description="The package that provides it.")
    version: str = Field(description="That package's version.")
    api: Literal["floe", "floe-core"] = Field(
        description="Whose SinkConnector it implements: floe-compiler's or floe-core's.")


class TemplateUsage(FrozenModel):
    """Which templating inputs shaped this artifact: names only, never values."""

    env_vars: list[str] = Field(default_factory=list)
    vars: list[str] = Field(default_factory=list)


class CompiledArtifacts(FrozenModel):
    """The compiled data product: deterministic, secret-free, ready for `floe run`."""

    model_config = ConfigDict(title="CompiledArtifacts")

    schema_version: Literal["1.1.0"] = SCHEMA_VERSION
    compiler_version: str
    compiled_at: str | None = Field(
        default=None, description="Set only with SOURCE_DATE_EPOCH or --timestamp.")
    inputs: Inputs
    product: ProductInfo
    platform: PlatformInfo
    plugins: dict[str, ResolvedPlugin]
    governance: dict[str, Any] = Field(default_factory=dict)
    transforms: list[CompiledTransform] = Field(description="In topological order.")
    edges: list[Edge]
    schedule: ScheduleSpec | None = None
    destinations: list[CompiledDestination] = Field(default_factory=list)
    templating: TemplateUsage = Field(default_factory=TemplateUsage)
    sink_connectors: dict[str, SinkConnectorInfo] = Field(
        default_factory=dict,
        description="Per sink type used by a destination: the installed connector that "
                    "served it at compile time (absent: none did, FLOE-W210).")
