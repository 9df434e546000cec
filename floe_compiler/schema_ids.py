"""The `$id`s of floe's JSON Schemas.

Kept apart from the generator (`schemas.py`) so that `floe validate` can recognise
a modeline naming one of these schemas without generating anything. An `$id` is
versioned with the format it describes: `floe.dev/v1` files, artifact `1.1.0`.
"""

from __future__ import annotations

from floe_compiler.models.artifact import SCHEMA_ID as ARTIFACT_SCHEMA_ID
from floe_compiler.parse import Kind

SPEC_SCHEMA_ID = "https://floe.dev/schemas/floe-spec/v1.json"
MANIFEST_SCHEMA_ID = "https://floe.dev/schemas/manifest/v1.json"

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def draft07_id(schema_id: str) -> str:
    """The `$id` of the draft-07 variant: same name under `schemas/draft-07/`."""
    return schema_id.replace("/schemas/", "/schemas/draft-07/", 1)


# A modeline naming any of these sets the file's kind (either dialect).
KIND_BY_SCHEMA_ID: dict[str, Kind] = {
    SPEC_SCHEMA_ID: "FloeSpec",
    draft07_id(SPEC_SCHEMA_ID): "FloeSpec",
    MANIFEST_SCHEMA_ID: "Manifest",
    draft07_id(MANIFEST_SCHEMA_ID): "Manifest",
}

__all__ = ["ARTIFACT_SCHEMA_ID", "DRAFT_07", "DRAFT_2020_12", "KIND_BY_SCHEMA_ID",
           "MANIFEST_SCHEMA_ID", "SPEC_SCHEMA_ID", "draft07_id"]
