"""The frozen base model, and the constants (floe_compiler.constants) the models use."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from floe_compiler.constants import (
    API_VERSION,
    DBT_MODEL_NAME_PATTERN,
    DESTINATION_NAME_PATTERN,
    FLOE_NAME_PATTERN,
    FORBIDDEN_ENVIRONMENT_FIELDS,
    MANIFEST_ENVIRONMENT_FIELDS,
    MANIFEST_NAME_PATTERN,
    MAX_BATCH_SIZE,
    MAX_CONFIG_KEYS,
    QUALITY_PROVIDERS,
    RESERVED_MANIFEST_NAMES,
    SECRET_NAME_MAX_LENGTH,
    SECRET_NAME_PATTERN,
    SEMVER_PATTERN,
)

# The constants are re-exported: the models' modules read them from here.
__all__ = [
    'API_VERSION', 'DBT_MODEL_NAME_PATTERN', 'DESTINATION_NAME_PATTERN', 'FLOE_NAME_PATTERN',
    'FORBIDDEN_ENVIRONMENT_FIELDS', 'MANIFEST_ENVIRONMENT_FIELDS', 'MANIFEST_NAME_PATTERN',
    'MAX_BATCH_SIZE', 'MAX_CONFIG_KEYS', 'QUALITY_PROVIDERS', 'RESERVED_MANIFEST_NAMES',
    'SECRET_NAME_MAX_LENGTH', 'SECRET_NAME_PATTERN', 'SEMVER_PATTERN', 'FrozenModel']


class FrozenModel(BaseModel):
    """Immutable, and unknown keys are errors (a typo must never pass silently)."""

    # defer_build: a model's validator is built on first use, so validating only floe.yaml
    # never builds the manifest's (measured: -4 ms of ~190 ms per `floe validate floe.yaml`).
    # Fields are described with `Field(description=...)`, not attribute docstrings: reading
    # those (use_attribute_docstrings) re-parses each class's source at import, ~50 ms of
    # every `floe compile`.
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=False,
                              defer_build=True)

    def model_post_init(self, context: Any, /) -> None:
        # Pydantic gives each instance a set of the fields it was given: 728 bytes for five,
        # more than the rest of a transform's model (73 MB at 100k transforms). Instances
        # given the same fields share one; Pydantic copies it before it would change it
        # (model_copy), and a frozen model's fields are never set later.
        given = self.__pydantic_fields_set__
        object.__setattr__(self, "__pydantic_fields_set__",
                           _FIELDS_SETS.setdefault(frozenset(given), given))


_FIELDS_SETS: dict[frozenset[str], set[str]] = {}
