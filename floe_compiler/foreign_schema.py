"""Checking a YAML file against the non-floe JSON Schema its modeline names.

The only module that imports jsonschema: `floe validate` loads it just for files
whose modeline names a local schema other than floe's own. Each violation is a
FLOE-E109 at the offending key or value. Remote `$ref`s are not fetched.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

from floe_compiler.credentials import is_credential_key, mask_url, mask_values
from floe_compiler.diagnostics import Diagnostic, diagnostic
from floe_compiler.kinds import dotted
from floe_compiler.loader import Located
from floe_compiler.modeline import Modeline, parsed_schema

MAX_MESSAGE = 200  # jsonschema quotes whole instances; a long one says nothing more


@lru_cache(maxsize=32)
def _validator(path: Path, mtime_ns: int, size: int) -> Validator:
    schema = parsed_schema(path, mtime_ns, size)
    cls = validators.validator_for(schema, default=Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def check_against_schema(doc: Located, modeline: Modeline) -> list[Diagnostic]:
    """Every violation of the modeline's schema, located; or why it cannot be used."""
    assert modeline.schema_key is not None
    try:
        errors = list(_validator(*modeline.schema_key).iter_errors(doc.data))
    except SchemaError as exc:
        return [_unusable(doc, modeline, f"not a valid JSON Schema ({exc.message})")]
    except Unresolvable as exc:
        return [_unusable(doc, modeline, f"it refers to {exc}, which floe does not fetch")]
    except Exception as exc:  # a schema we cannot run (bad regex, ...): say so, go on
        return [_unusable(doc, modeline, str(exc))]
    return [_located(doc, error, modeline) for error in errors]


def _unusable(doc: Located, modeline: Modeline, why: str) -> Diagnostic:
    target, why = mask_url(modeline.target), mask_values(why, [modeline.target])
    return diagnostic("FLOE-W110", f"cannot use the schema {target} named by the "
                      f"modeline: {why}", file=doc.file, line=modeline.line,
                      column=modeline.column)


def _located(doc: Located, error: ValidationError, modeline: Modeline) -> Diagnostic:
    path = tuple(error.absolute_path)
    line, col = doc.value_at(path)
    message = error.message
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = _unexpected(error.instance, error.schema)
        if extra:
            line, col = doc.key_at((*path, extra[0]))
    if any(is_credential_key(str(part)) for part in path):
        message = f"does not satisfy '{error.validator}' (value not shown)"
    elif len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "..."
    return diagnostic("FLOE-E109", f"{dotted(path)}: {message}", file=doc.file, line=line,
                      column=col, hint=f"Fix the value, or the schema "
                      f"{mask_url(modeline.target)} that the modeline on line {modeline.line} "
                      "names.")


def _unexpected(instance: dict[str, Any], schema: Any) -> list[str]:
    if not isinstance(schema, dict):
        return []
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [key for key in instance
            if key not in known and not any(re.search(p, key) for p in patterns)]
