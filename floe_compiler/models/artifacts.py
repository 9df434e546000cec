"""The manifest's `artifacts` section: the OCI registry, signing and promotion, typed as
floe-core types them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, HttpUrl, ValidationInfo, field_validator, model_validator

from floe_compiler.models.common import SECRET_NAME_MAX_LENGTH, SECRET_NAME_PATTERN, FrozenModel

Enforcement = Literal["enforce", "warn", "off"]


class SecretReference(FrozenModel):
    """A secret held by a secret store, by name."""

    source: Literal["env", "kubernetes", "vault", "external-secrets", "infisical"] = Field(
        default="kubernetes", description="Secret store holding it.")
    name: str = Field(min_length=1, max_length=SECRET_NAME_MAX_LENGTH,
                      pattern=SECRET_NAME_PATTERN, description="Secret name.")
    key: str | None = Field(default=None, description="Key within the secret.")


class RegistryAuth(FrozenModel):
    """How floe authenticates to the registry."""

    type: Literal["anonymous", "basic", "token", "aws-irsa", "azure-managed-identity",
                  "gcp-workload-identity"] = Field(
        description="Authentication method; basic and token need credentials_ref.")
    credentials_ref: SecretReference | None = Field(
        default=None, description="Secret with the registry credentials (basic and token auth).")

    @field_validator("credentials_ref")
    @classmethod
    def _credentials_match_type(cls, ref: SecretReference | None, info: ValidationInfo
                                ) -> SecretReference | None:
        # As upstream: checked when credentials_ref is written, even as null.
        auth = info.data.get("type")
        if auth in ("basic", "token") and ref is None:
            raise ValueError(f"credentials_ref is required for auth type '{auth}'")
        if auth not in ("basic", "token") and ref is not None:
            raise ValueError(f"auth type '{auth}' takes no credentials_ref")
        return ref


class RegistryCache(FrozenModel):
    """Local cache of pulled artifacts."""

    enabled: bool = Field(default=True, description="Whether pulled artifacts are cached.")
    path: str = Field(default="/var/cache/floe/oci", description="Cache directory.")
    max_size_gb: int = Field(default=10, ge=1, description="Cache size limit, in GB.")
    ttl_hours: int = Field(default=24, ge=1, description="How long an entry is kept, in hours.")


class RetryConfig(FrozenModel):
    """Retries of registry calls."""

    max_attempts: int = Field(default=3, ge=1, le=10, description="Attempts, the first included.")
    initial_delay_ms: int = Field(
        default=1000, ge=100, description="Delay before the first retry, in ms.")
    backoff_multiplier: float = Field(
        default=2.0, ge=1.0, le=5.0, description="Factor between successive delays.")
    max_delay_ms: int = Field(default=30000, ge=1000, description="Longest delay, in ms.")
    jitter: bool = Field(default=True, description="Whether delays are randomised.")


class CircuitBreakerConfig(FrozenModel):
    """Stops calling a failing registry for a while."""

    enabled: bool = Field(default=True, description="Whether the breaker is used.")
    failure_threshold: int = Field(default=5, ge=1, description="Failures that open it.")
    recovery_timeout_ms: int = Field(
        default=60000, ge=1000, description="Time before it is tried again, in ms.")
    half_open_requests: int = Field(
        default=1, ge=1, description="Calls let through while it is half open.")


class ResilienceConfig(FrozenModel):
    """Retries and circuit breaking of registry calls."""

    retry: RetryConfig = Field(default_factory=RetryConfig)
    circuit_breaker: CircuitBreakerConfig = Field(default_factory=CircuitBreakerConfig)


class SigningConfig(FrozenModel):
    """How published artifacts are signed (Sigstore)."""

    mode: Literal["keyless", "key-based"] = Field(
        description="Keyless (OIDC identity) or with a private key.")
    oidc_issuer: HttpUrl | None = Field(
        default=None, description="OIDC issuer, for keyless signing.")
    rekor_url: HttpUrl = Field(
        default=HttpUrl("https://rekor.sigstore.io"), description="Transparency log.")
    fulcio_url: HttpUrl = Field(
        default=HttpUrl("https://fulcio.sigstore.dev"), description="Certificate authority.")
    private_key_ref: SecretReference | None = Field(
        default=None, description="Secret with the private key, for key-based signing.")

    @model_validator(mode="after")
    def _mode_needs(self) -> SigningConfig:
        if self.mode == "keyless" and not self.oidc_issuer:
            raise ValueError("keyless signing needs oidc_issuer")
        if self.mode == "key-based" and not self.private_key_ref:
            raise ValueError("key-based signing needs private_key_ref")
        if self.mode == "keyless" and self.private_key_ref:
            raise ValueError("keyless signing takes no private_key_ref")
        return self


# A quantified group, an alternation repeated, an open-ended repetition of a group: the
# shapes whose backtracking can explode (floe-core refuses them in subject_regex).
_BACKTRACKING = re.compile(r"\([^)]*[+*]|\([^)]*\|[^)]*\)\+|\([^)]*\)\{[0-9]+,\}")


class TrustedIssuer(FrozenModel):
    """An identity whose signatures are trusted."""

    issuer: HttpUrl = Field(description="OIDC issuer.")
    subject: str | None = Field(default=None, description="Exact signer identity.")
    subject_regex: str | None = Field(
        default=None, max_length=1000, description="Signer identity, as a regular expression.")

    @field_validator("subject_regex")
    @classmethod
    def _safe_regex(cls, expression: str | None) -> str | None:
        if expression is not None:
            if _BACKTRACKING.search(expression):
                raise ValueError("subject_regex has nested or repeated quantified groups, "
                                 "which can backtrack catastrophically")
            try:
                re.compile(expression)
            except re.error as exc:
                raise ValueError(f"subject_regex is not a regular expression: {exc}") from None
        return expression

    @model_validator(mode="after")
    def _one_subject(self) -> TrustedIssuer:
        if not self.subject and not self.subject_regex:
            raise ValueError("give subject or subject_regex")
        if self.subject and self.subject_regex:
            raise ValueError("give subject or subject_regex, not both")
        return self


class EnvironmentPolicy(FrozenModel):
    """Verification settings of one environment."""

    enforcement: Enforcement = Field(description="What an unverified artifact does there.")
    require_sbom: bool | None = Field(
        default=None, description="Whether an SBOM is required there.")


class VerificationPolicy(FrozenModel):
    """Which signatures a pulled artifact must carry."""

    enabled: bool = Field(default=True, description="Whether signatures are verified.")
    enforcement: Enforcement = Field(
        default="enforce", description="What an unverified artifact does.")
    trusted_issuers: list[TrustedIssuer] = Field(
        default_factory=list, description="Identities whose signatures are trusted.")
    require_rekor: bool = Field(
        default=True, description="Whether a transparency log entry is required.")
    require_sbom: bool = Field(
        default=False, description="Whether an SBOM attestation is required.")
    public_key_ref: SecretReference | None = Field(
        default=None, description="Secret with the public key, for key-based signatures.")
    environments: dict[str, EnvironmentPolicy] = Field(
        default_factory=dict, description="Settings per environment.")
    grace_period_days: int = Field(
        default=7, ge=0, le=90, description="Days an expired certificate is still accepted.")
    private_infrastructure: bool = Field(
        default=False, description="Whether Sigstore runs privately.")

    @model_validator(mode="after")
    def _something_to_trust(self) -> VerificationPolicy:
        if self.enabled and not self.trusted_issuers and not self.public_key_ref:
            raise ValueError("verification needs trusted_issuers or public_key_ref")
        return self


class RegistryConfig(FrozenModel):
    """The OCI registry manifests and artifacts are published to."""

    uri: str = Field(min_length=1, pattern=r"^oci://[a-zA-Z0-9][a-zA-Z0-9.-]*[a-zA-Z0-9]"
                                           r"(:[0-9]+)?(/[a-zA-Z0-9._-]+)*$",
                     examples=["oci://registry.acme.com/floe"], description="Registry URI.")
    auth: RegistryAuth
    tls_verify: bool = Field(
        default=True, description="Whether the registry's TLS certificate is verified.")
    cache: RegistryCache = Field(default_factory=RegistryCache)
    resilience: ResilienceConfig = Field(default_factory=ResilienceConfig)
    signing: SigningConfig | None = None
    verification: VerificationPolicy | None = None


PROMOTION_GATES = ("policy_compliance", "tests", "security_scan", "cost_analysis",
                   "performance_baseline")
WEBHOOK_EVENTS = frozenset({"promote", "rollback", "lock", "unlock"})
SCAN_SEVERITIES = frozenset({"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"})
Gate = Literal["policy_compliance", "tests", "security_scan", "cost_analysis",
               "performance_baseline"]


class SecurityGateConfig(FrozenModel):
    """A security scan run as a promotion gate."""

    command: str = Field(min_length=1, description="Scanner command.")
    block_on_severity: list[str] = Field(
        default_factory=lambda: ["CRITICAL", "HIGH"],
        description="Severities that block the promotion.")
    ignore_unfixed: bool = Field(
        default=False, description="Whether findings without a fix are ignored.")
    scanner_format: Literal["trivy", "grype"] = Field(
        default="trivy", description="Output format of the scanner.")
    timeout_seconds: int = Field(
        default=600, ge=30, le=3600, description="Scan timeout, in seconds.")

    @field_validator("block_on_severity")
    @classmethod
    def _known_severities(cls, severities: list[str]) -> list[str]:
        unknown = sorted(set(severities) - SCAN_SEVERITIES)
        if unknown:
            raise ValueError(f"unknown severities {unknown}; known: {sorted(SCAN_SEVERITIES)}")
        return severities


class AuthorizationConfig(FrozenModel):
    """Who may promote into an environment."""

    allowed_groups: list[str] | None = Field(default=None, description="Groups allowed to promote.")
    allowed_operators: list[str] | None = Field(
        default=None, description="Operators allowed to promote.")
    separation_of_duties: bool = Field(
        default=False, description="Whether the author of a change may not promote it.")


class EnvironmentLock(FrozenModel):
    """A lock that stops promotions into an environment."""

    locked: bool = Field(description="Whether the environment is locked.")
    reason: str | None = Field(default=None, description="Why.")
    locked_by: str | None = Field(default=None, description="Who locked it.")
    locked_at: datetime | None = Field(default=None, description="When.")


class EnvironmentConfig(FrozenModel):
    """One environment artifacts are promoted through."""

    name: str = Field(
        min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_-]*$", description="Environment name.")
    gates: dict[Gate, bool | SecurityGateConfig] = Field(
        description="Gates a promotion into it must pass.")
    gate_timeout_seconds: int = Field(
        default=300, ge=30, le=3600, description="Timeout of each gate, in seconds.")
    authorization: AuthorizationConfig | None = None
    lock: EnvironmentLock | None = None

    @field_validator("gates")
    @classmethod
    def _policy_gate_stays(cls, gates: dict[str, Any]) -> dict[str, Any]:
        if gates.get("policy_compliance") is False:
            raise ValueError("the policy_compliance gate cannot be turned off")
        return gates


class WebhookConfig(FrozenModel):
    """A URL told about promotions."""

    url: str = Field(min_length=1, description="Where events are posted.")
    events: list[str] = Field(min_length=1, description="Events posted.")
    headers: dict[str, str] | None = Field(default=None, description="Extra request headers.")
    timeout_seconds: int = Field(
        default=30, ge=1, le=300, description="Request timeout, in seconds.")
    retry_count: int = Field(default=3, ge=0, le=10, description="Retries of a failed post.")

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: list[str]) -> list[str]:
        unknown = sorted(set(events) - WEBHOOK_EVENTS)
        if unknown:
            raise ValueError(f"unknown events {unknown}; known: {sorted(WEBHOOK_EVENTS)}")
        return events


def _default_environments() -> list[EnvironmentConfig]:
    return [EnvironmentConfig(name="dev", gates={"policy_compliance": True}),
            EnvironmentConfig(name="staging", gates={"policy_compliance": True,
                                                     "tests": True}),
            EnvironmentConfig(name="prod", gates={"policy_compliance": True, "tests": True,
                                                  "security_scan": True})]


class PromotionConfig(FrozenModel):
    """How artifacts move from one environment to the next."""

    environments: list[EnvironmentConfig] = Field(default_factory=_default_environments,
                                                  min_length=1,
                                                  description="Environments, in promotion order.")
    audit_backend: Literal["oci", "s3", "database"] = Field(
        default="oci", description="Where promotions are recorded.")
    default_timeout_seconds: int = Field(
        default=300, ge=30, le=3600, description="Timeout of a promotion, in seconds.")
    webhooks: list[WebhookConfig] | None = Field(
        default=None, description="URLs told about promotions.")
    gate_commands: dict[str, str | SecurityGateConfig] | None = Field(
        default=None, description="Command of each gate.")
    signature_enforcement: Enforcement = Field(
        default="enforce", description="What an unsigned artifact does.")
    secondary_registries: list[str] | None = Field(
        default=None, description="Registries artifacts are copied to.")
    verify_secondary_digests: bool = Field(
        default=True, description="Whether copies are checked by digest.")

    @field_validator("environments")
    @classmethod
    def _distinct_names(cls, environments: list[EnvironmentConfig]) -> list[EnvironmentConfig]:
        names = [e.name for e in environments]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"duplicate environment names: {', '.join(repeated)}")
        return environments


class ArtifactsConfig(FrozenModel):
    """Where compiled artifacts are published and how they are promoted."""

    registry: RegistryConfig
    promotion: PromotionConfig | None = None
