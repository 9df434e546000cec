"""Constants shared with the upstream floe project: names, patterns and bounds.

The patterns are copied exactly from upstream floe-core so that a file valid
there is valid here and vice versa. No Pydantic here: the checks of a clean file
(`floe validate`'s fast path) read them without importing the models.
"""

from __future__ import annotations

API_VERSION = "floe.dev/v1"

FLOE_NAME_PATTERN = r"^[a-z][a-z0-9-]*$"
SEMVER_PATTERN = r"^\d+\.\d+\.\d+$"
# A manifest's name may start with a digit but not end with '-' (upstream's NAME_PATTERN).
MANIFEST_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$|^[a-z0-9]$"
RESERVED_MANIFEST_NAMES = frozenset({"default", "system", "floe", "admin", "root"})
DBT_MODEL_NAME_PATTERN = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
DESTINATION_NAME_PATTERN = r"^[a-zA-Z0-9_-]+$"
# Kubernetes Secret names (DNS subdomain without dots), as upstream's SECRET_NAME_PATTERN.
SECRET_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$|^[a-z0-9]$"
SECRET_NAME_MAX_LENGTH = 253
# Upstream's bounds on a destination.
MAX_BATCH_SIZE = 100_000
MAX_CONFIG_KEYS = 50

# Keys that tie a floe.yaml to one environment (upstream FR-014). They belong in
# the platform manifest or in a Kubernetes Secret.
FORBIDDEN_ENVIRONMENT_FIELDS = frozenset({
    "database", "schema", "host", "port", "username", "password", "credentials",
    "connection_string", "endpoint", "access_key", "secret_key", "token", "api_key",
})

# Top-level manifest keys that tie it to one environment (upstream's list).
MANIFEST_ENVIRONMENT_FIELDS = frozenset({
    "env_overrides", "environments", "environment", "env", "dev", "staging", "prod",
    "production", "target_env", "floe_env",
})

# The data quality providers floe-core compiles for.
QUALITY_PROVIDERS = ("great_expectations", "soda", "dbt_expectations")
