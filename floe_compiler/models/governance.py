"""The manifest's governance and quality sections, typed as floe-core types them."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from floe_compiler.models.common import FrozenModel

Level = Literal["off", "warn", "strict"]
Percent = Annotated[int, Field(ge=0, le=100)]


class NamingConfig(FrozenModel):
    """Model naming convention."""

    enforcement: Level = Field(default="warn", description="How a misnamed model is treated.")
    pattern: Literal["medallion", "kimball", "custom"] = Field(
        default="medallion", description="Convention model names follow.")
    custom_patterns: list[str] | None = Field(
        default=None, description="Regular expressions, required with pattern: custom.")

    @model_validator(mode="after")
    def _custom_needs_patterns(self) -> NamingConfig:
        if self.pattern == "custom":
            if not self.custom_patterns:
                raise ValueError("custom_patterns is required when pattern is 'custom'")
            for expression in self.custom_patterns:
                try:
                    re.compile(expression)
                except re.error as exc:
                    raise ValueError(f"custom pattern {expression!r} is not a regular "
                                     f"expression: {exc}") from None
        return self


class LayerThresholds(FrozenModel):
    """Minimum test coverage per medallion layer, in percent."""

    bronze: Percent = Field(
        default=50, description="Minimum test coverage of bronze models, in percent.")
    silver: Percent = Field(
        default=80, description="Minimum test coverage of silver models, in percent.")
    gold: Percent = Field(
        default=100, description="Minimum test coverage of gold models, in percent.")


class QualityGatesConfig(FrozenModel):
    """Quality bars a data product must meet."""

    minimum_test_coverage: Percent = Field(default=80,
                                           description="Minimum percentage of tested models.")
    require_descriptions: bool = Field(default=False,
                                       description="Every model needs a description.")
    require_column_descriptions: bool = Field(default=False,
                                              description="Every column needs a description.")
    block_on_failure: bool = Field(default=True, description="A failed gate stops deployment.")
    layer_thresholds: LayerThresholds | None = Field(
        default=None, description="Coverage thresholds per medallion layer.")
    zero_column_coverage_behavior: Literal["report_100_percent", "report_na"] = Field(
        default="report_na", description="How a model without columns counts toward coverage.")


class RequireTagsForPrefix(FrozenModel):
    """Models whose name starts with a prefix must carry tags."""

    type: Literal["require_tags_for_prefix"] = Field(
        default="require_tags_for_prefix", description="Rule kind.")
    prefix: str = Field(min_length=1, description="Model-name prefix the rule applies to.")
    required_tags: list[str] = Field(min_length=1, description="Tags those models must carry.")
    applies_to: str = Field(default="*", description="Glob of the models checked.")


class RequireMetaField(FrozenModel):
    """Models must set a meta field."""

    type: Literal["require_meta_field"] = Field(
        default="require_meta_field", description="Rule kind.")
    field: str = Field(min_length=1, description="Meta field models must set.")
    required: bool = Field(default=True, description="Whether the field is mandatory.")
    applies_to: str = Field(default="*", description="Glob of the models checked.")


class RequireTestsOfType(FrozenModel):
    """Columns must have tests of given types."""

    type: Literal["require_tests_of_type"] = Field(
        default="require_tests_of_type", description="Rule kind.")
    test_types: list[str] = Field(min_length=1, description="Test types columns must have.")
    min_columns: int = Field(default=1, ge=1, description="Columns that must have them.")
    applies_to: str = Field(default="*", description="Glob of the models checked.")


CustomRule = Annotated[RequireTagsForPrefix | RequireMetaField | RequireTestsOfType,
                       Field(discriminator="type")]

POLICY_TYPES = frozenset({"naming", "coverage", "documentation", "semantic", "custom",
                          "data_contract", "rbac", "secret_scanning", "network_policy"})


class PolicyOverride(FrozenModel):
    """An exception to the policies for the models matching `pattern`."""

    pattern: str = Field(min_length=1, description="Glob of the models the exception covers.")
    action: Literal["downgrade", "exclude"] = Field(
        description="Downgrade violations to warnings, or exclude the models.")
    reason: str = Field(min_length=1, description="Why the exception exists.")
    expires: date | None = Field(default=None, description="Date the exception ends.")
    policy_types: list[str] | None = Field(
        default=None, description="Policy types the exception covers (all if absent).")

    @field_validator("policy_types")
    @classmethod
    def _known_types(cls, types: list[str] | None) -> list[str] | None:
        unknown = sorted(set(types or ()) - POLICY_TYPES)
        if unknown:
            raise ValueError(f"unknown policy types {unknown}; known: {sorted(POLICY_TYPES)}")
        return types


class AutoGenerationConfig(FrozenModel):
    """Data contracts generated from output ports."""

    enabled: bool = Field(
        default=True, description="Whether contracts are generated from output ports.")
    include_descriptions: bool = Field(
        default=True, description="Whether column descriptions are copied in.")
    default_classification: Literal["public", "internal", "confidential", "pii", "phi",
                                    "sensitive", "restricted"] = Field(
        default="internal", description="Classification of columns that name none.")


class DriftDetectionConfig(FrozenModel):
    """Detection of schema drift against the contract."""

    enabled: bool = Field(default=True, description="Whether schema drift is detected.")
    fail_on_type_mismatch: bool = Field(
        default=True, description="A changed column type fails the check.")
    fail_on_missing_column: bool = Field(
        default=True, description="A missing column fails the check.")
    warn_on_extra_column: bool = Field(default=True, description="An extra column is a warning.")


class DataContractsConfig(FrozenModel):
    """Data contract policy."""

    enforcement: Level = Field(default="warn", description="How contract violations are treated.")
    auto_generation: AutoGenerationConfig = Field(
        default_factory=AutoGenerationConfig, description="Contract generation from output ports.")
    drift_detection: DriftDetectionConfig = Field(
        default_factory=DriftDetectionConfig, description="Schema drift detection.")
    inheritance_mode: Literal["merge", "override", "strict"] = Field(
        default="merge", description="How product contracts combine with platform ones.")


class RBACConfig(FrozenModel):
    """Access control at compile time."""

    enabled: bool = Field(default=False, description="Whether compile-time access checks run.")
    required_role: str | None = Field(
        default=None, description="Role a principal needs to compile.")
    allow_principal_fallback: bool = Field(
        default=True, description="Whether a principal may stand in for a token.")


class SecretPatternConfig(FrozenModel):
    """A custom secret pattern."""

    name: str = Field(min_length=1, description="Pattern name.")
    pattern: str = Field(min_length=1, description="Regular expression of the secret.")
    severity: Literal["error", "warning"] = Field(
        default="error", description="Severity of a match.")


class SecretScanningConfig(FrozenModel):
    """Secret scanning of the project."""

    enabled: bool = Field(default=False, description="Whether files are scanned for secrets.")
    exclude_patterns: list[str] = Field(
        default_factory=list, description="Globs of files not scanned.")
    custom_patterns: list[SecretPatternConfig] | None = Field(
        default=None, description="Extra secret patterns.")
    severity: Literal["error", "warning"] = Field(
        default="error", description="Severity of a finding.")


class NetworkPoliciesConfig(FrozenModel):
    """Network policies for the product's jobs."""

    enabled: bool = Field(default=False, description="Whether network policies are generated.")
    default_deny: bool = Field(
        default=True, description="Whether traffic is denied unless allowed.")
    custom_egress_rules: list[dict[str, Any]] = Field(
        default_factory=list, description="Extra egress rules, as Kubernetes writes them.")


class PolicyDefinition(FrozenModel):
    """A further named policy."""

    name: str = Field(min_length=1, description="Policy name.")
    type: Literal["required_tags", "naming_convention", "max_transforms", "custom"] = Field(
        description="Policy kind.")
    action: Literal["warn", "error", "block"] = Field(description="What a violation does.")
    message: str = Field(min_length=1, description="Message shown on a violation.")
    config: dict[str, Any] = Field(default_factory=dict, description="Policy-specific settings.")


class ManifestGovernance(FrozenModel):
    """Platform-wide policies every data product must follow."""

    pii_encryption: Literal["required", "optional"] | None = Field(
        default=None, description="Whether PII columns must be encrypted.")
    audit_logging: Literal["enabled", "disabled"] | None = Field(
        default=None, description="Whether data access is audit-logged.")
    policy_enforcement_level: Level | None = Field(
        default=None, description="How policy violations are treated.")
    data_retention_days: int | None = Field(default=None, ge=1,
                                            description="Days data is kept.", examples=[90])
    default_ttl_hours: int | None = Field(default=None, ge=1,
                                          description="Default time-to-live, in hours.")
    snapshot_keep_last: int | None = Field(default=None, ge=1,
                                           description="Iceberg snapshots kept per table.")
    stale_table_recovery_mode: Literal["strict", "repair"] | None = Field(
        default=None, description="How stale tables are recovered.")
    naming: NamingConfig | None = Field(default=None, description="Model naming convention.")
    quality_gates: QualityGatesConfig | None = None
    custom_rules: list[CustomRule] | None = Field(default=None,
                                                  description="Platform-specific rules.")
    policy_overrides: list[PolicyOverride] | None = Field(
        default=None, description="Exceptions to the policies above.")
    data_contracts: DataContractsConfig | None = Field(
        default=None, description="Data contract policy.")
    rbac: RBACConfig | None = Field(default=None, description="Access control at compile time.")
    secret_scanning: SecretScanningConfig | None = Field(
        default=None, description="Secret scanning policy.")
    network_policies: NetworkPoliciesConfig | None = Field(
        default=None, description="Network policy generation.")
    policies: list[PolicyDefinition] | None = Field(default=None, description="Further policies.")


# --- plugins.quality ----------------------------------------------------------------------

Weight = Annotated[float, Field(ge=0, le=1.0)]
Severity = Literal["critical", "warning", "info"]


def _default_severity_weights() -> dict[Severity, float]:
    return {"critical": 3.0, "warning": 1.0, "info": 0.5}


class DimensionWeights(FrozenModel):
    """Weights of the quality dimensions; they add up to 1."""

    completeness: Weight = Field(default=0.25, description="Weight of completeness checks.")
    accuracy: Weight = Field(default=0.25, description="Weight of accuracy checks.")
    validity: Weight = Field(default=0.2, description="Weight of validity checks.")
    consistency: Weight = Field(default=0.15, description="Weight of consistency checks.")
    timeliness: Weight = Field(default=0.15, description="Weight of timeliness checks.")

    @model_validator(mode="after")
    def _sum_to_one(self) -> DimensionWeights:
        total = (self.completeness + self.accuracy + self.validity + self.consistency
                 + self.timeliness)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"dimension weights must add up to 1.0, not {total}")
        return self


class CalculationParameters(FrozenModel):
    """How the quality score is computed."""

    baseline_score: Percent = Field(default=70, description="Score before any check result.")
    max_positive_influence: Percent = Field(
        default=30, description="Most the score can rise above the baseline.")
    max_negative_influence: Percent = Field(
        default=50, description="Most the score can fall below the baseline.")
    severity_weights: dict[Severity, float] = Field(
        default_factory=_default_severity_weights, description="Weight of each severity.")


class QualityThresholds(FrozenModel):
    """Score thresholds."""

    min_score: Percent = Field(default=70, description="Score below which deployment is blocked.")
    warn_score: Percent = Field(default=85, description="Score below which a warning is shown.")


class GateTier(FrozenModel):
    """Quality requirements of one tier."""

    min_test_coverage: Annotated[float, Field(ge=0, le=100)] = Field(
        default=0, description="Minimum percentage of tested columns.")
    required_tests: list[str] = Field(
        default_factory=list, description="Test types that must be present.")
    min_score: Percent = Field(default=0, description="Minimum quality score.")
    overridable: bool = Field(
        default=True, description="Whether domains and products may change it.")


class TierGates(FrozenModel):
    """Quality requirements per tier."""

    bronze: GateTier = Field(
        default_factory=GateTier, description="Requirements for bronze models.")
    silver: GateTier = Field(default_factory=lambda: GateTier(
        min_test_coverage=80, required_tests=["not_null", "unique"], min_score=75),
        description="Requirements for silver models.")
    gold: GateTier = Field(default_factory=lambda: GateTier(
        min_test_coverage=100, required_tests=["not_null", "unique", "accepted_values",
                                               "relationships"], min_score=90),
                                               description="Requirements for gold models.")


class QualityConfig(FrozenModel):
    """The data quality plugin and how it scores."""

    provider: str = Field(min_length=1, description="Quality provider.",
                          examples=["great_expectations", "dbt_expectations"])
    quality_gates: TierGates = Field(
        default_factory=TierGates, description="Requirements per tier.")
    dimension_weights: DimensionWeights = Field(
        default_factory=DimensionWeights, description="Weight of each quality dimension.")
    calculation: CalculationParameters = Field(
        default_factory=CalculationParameters, description="How the score is computed.")
    thresholds: QualityThresholds = Field(
        default_factory=QualityThresholds, description="Score thresholds.")
    check_timeout_seconds: int = Field(
        default=300, ge=1, le=3600, description="Timeout of one check, in seconds.")
    enabled: bool = Field(default=True, description="Whether quality checks run.")
