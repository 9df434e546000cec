"""CompiledArtifacts: what `floe compile` emits, and what `floe run` consumes.

Self-describing like dbt's artifacts: `schema_version` names the JSON Schema whose
`$id` is `SCHEMA_ID`. Bump the version on any incompatible change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, ConfigDict, Field, with_config

from floe_compiler.models.common import FrozenModel

SCHEMA_VERSION: Final = "1.1.0"  # 1.1.0 added `sink_connectors`
# What `floe run` reads: 1.0.0 is 1.1.0 without `sink_connectors`.
READABLE_VERSIONS: Final = ("1.0.0", SCHEMA_VERSION)
SCHEMA_ID = f"https://floe.dev/schemas/compiled-artifacts/v{SCHEMA_VERSION}.json"

DEFAULT_RETRY: dict[str, Any] = {
    "max_attempts": 5,
    "initial_backoff_seconds": 0.5,
    "max_backoff_seconds": 30.0,
}


def _sorted_keys(value: Any) -> Any:
    """`value` with the keys of every mapping in it sorted, lists keeping their order."""
    if isinstance(value, dict):
        return {key: _sorted_keys(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


# Free-form mappings hold their keys sorted, however the artifact was made (by `floe
# compile`, read from a file, or built by hand).
Sorted = AfterValidator(_sorted_keys)


class ArtifactModel(FrozenModel):
    """A part of the artifact. Its fields are declared in sorted order, and its free-form
    mappings are `Sorted`: serialized as they are, the JSON has every key sorted, with no
    copy of the artifact to sort (emit.to_json; tests/test_compile.py checks both)."""


class InputFile(ArtifactModel):
    path: str = Field(description="Path relative to the floe.yaml's directory.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Inputs(ArtifactModel):
    manifest: InputFile
    spec: InputFile


class ProductInfo(ArtifactModel):
    description: str | None = None
    labels: Annotated[dict[str, str], Sorted] = Field(default_factory=dict)
    name: str
    owner: str | None = None
    version: str


class PlatformInfo(ArtifactModel):
    name: str
    owner: str
    scope: str | None = None
    version: str


class ResolvedPlugin(ArtifactModel):
    config: Annotated[dict[str, Any], Sorted] = Field(
        default_factory=dict, description="Plugin configuration; credentials redacted.")
    connection_secret_ref: str | None = None
    type: str
    version: str | None = None


# Transforms and edges, the artifact's most numerous parts (100k transforms make 200k
# edges), are frozen slotted dataclasses, not models: Pydantic validates and serializes
# them alike, but an instance takes ~60 bytes instead of ~500 and validates 3-4x faster.
_PART = ConfigDict(extra="forbid")


@with_config(_PART)
@dataclass(frozen=True, slots=True, kw_only=True)
class CompiledTransform:  # a transform, its compute plugin resolved
    compute: Annotated[str | None, Field(description="Resolved compute plugin.")]
    depends_on: list[str] = field(default_factory=list)
    name: str
    tags: list[str] = field(default_factory=list)
    tier: str | None = None


@with_config(_PART)
@dataclass(frozen=True, slots=True, kw_only=True)
class Edge:  # `upstream` runs before `downstream`: one per dependsOn entry
    downstream: str
    upstream: str


class CompiledDestination(ArtifactModel):
    """A destination shaped like `SinkConfig`, plus where its data and credentials live."""

    batch_size: int | None = None
    config: Annotated[dict[str, Any], Sorted] = Field(default_factory=dict)
    connection_secret_ref: str = Field(description="Kubernetes Secret, resolved at run time.")
    field_mapping: Annotated[dict[str, str], Sorted] | None = None
    name: str
    retry_config: Annotated[dict[str, Any], Sorted] = Field(
        default_factory=lambda: dict(DEFAULT_RETRY))
    sink_type: str
    source_table: str | None = None


class CompiledSchedule(ArtifactModel):
    """floe.yaml's `schedule`, for an orchestrator."""

    cron: str | None = Field(default=None, description="Cron expression.")
    enabled: bool = Field(default=True, description="Whether the schedule is active.")
    timezone: str = Field(default="UTC", description="IANA time zone.")


class SinkConnectorInfo(ArtifactModel):
    """The connector that served a sink type when the artifact was compiled."""

    api: Literal["floe", "floe-core"] = Field(
        description="Whose SinkConnector it implements: floe-compiler's or floe-core's.")
    distribution: str = Field(description="The package that provides it.")
    entry_point: str = Field(description="Its entry point's name.")
    group: str = Field(description="Its entry-point group: floe.sinks or floe.ingestion.")
    version: str = Field(description="That package's version.")


class TemplateUsage(ArtifactModel):
    """Which templating inputs shaped this artifact: names only, never values."""

    env_vars: list[str] = Field(default_factory=list)
    vars: list[str] = Field(default_factory=list)


class CompiledArtifacts(ArtifactModel):
    """The compiled data product: deterministic, secret-free, ready for `floe run`."""

    model_config = ConfigDict(title="CompiledArtifacts")

    compiled_at: str | None = Field(
        default=None, description="Set only with SOURCE_DATE_EPOCH or --timestamp.")
    compiler_version: str
    destinations: list[CompiledDestination] = Field(default_factory=list)
    edges: list[Edge]
    governance: Annotated[dict[str, Any], Sorted] = Field(default_factory=dict)
    inputs: Inputs
    platform: PlatformInfo
    plugins: Annotated[dict[str, ResolvedPlugin], Sorted]
    product: ProductInfo
    schedule: CompiledSchedule | None = None
    schema_version: Literal["1.1.0"] = SCHEMA_VERSION
    sink_connectors: Annotated[dict[str, SinkConnectorInfo], Sorted] = Field(
        default_factory=dict,
        description="Per sink type used by a destination: the installed connector that "
                    "served it at compile time (absent: none did, FLOE-W210).")
    templating: TemplateUsage = Field(default_factory=TemplateUsage)
    transforms: list[CompiledTransform] = Field(description="In topological order.")
