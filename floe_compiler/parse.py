"""Stage 3, parse: plain data -> frozen model, with Pydantic errors moved onto the YAML.

Each Pydantic error is turned into one `Diagnostic` located at the offending
key (unknown field), at the value (bad value) or at the enclosing mapping
(missing field). Values are quoted only when they are short and not secret.
"""

from __future__ import annotations

import re
import types
import typing
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from floe_compiler.constants import FORBIDDEN_ENVIRONMENT_FIELDS, SEMVER_PATTERN
from floe_compiler.credentials import is_credential_key
from floe_compiler.diagnostics import Diagnostic, diagnostic, did_you_mean
from floe_compiler.kinds import Kind, detect_kind, dotted, show
from floe_compiler.loader import Located, Path_
from floe_compiler.models.manifest import PlatformManifest
from floe_compiler.models.spec import FloeSpec

MODELS: dict[str, type[BaseModel]] = {"FloeSpec": FloeSpec, "Manifest": PlatformManifest}

# Kind, detect_kind and dotted live in kinds.py (no Pydantic); named here as before.
__all__ = ["MODELS", "Kind", "detect_kind", "dotted", "parse", "unwrap_optional"]

M = TypeVar("M", bound=BaseModel)


def parse(doc: Located, model: type[M]) -> tuple[M | None, list[Diagnostic]]:
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    # Converted from the end and dropped one by one: a file can hold 300,000 wrong values,
    # and Pydantic's error dicts and our diagnostics need not be in memory together.
    errors.reverse()
    found: list[Diagnostic] = []
    while errors:
        d = _to_diagnostic(doc, model, errors.pop())
        if d is not None:
            found.append(d)
    return None, found


def _data_path(doc: Located, loc: tuple[int | str, ...]) -> Path_:
    """Drop Pydantic's union-member tags so that the loc names a place in the data."""
    path: list[str | int] = []
    node: Any = doc.data
    for part in loc:
        # Plain dicts and lists only (as loaded); this runs for each of 300,000 errors.
        if type(node) is dict:
            child = node.get(part, _ABSENT) if type(part) is str else _ABSENT
        elif type(node) is list and type(part) is int and 0 <= part < len(node):
            child = node[part]
        else:
            child = _ABSENT
        if child is not _ABSENT:
            node = child
        elif isinstance(node, dict | list):
            path.append(part)  # a missing key: keep it for the message
            break
        else:
            continue  # a type tag such as 'str' or 'function-after[...]'
        path.append(part)
    return tuple(path)


_ABSENT = object()


def _to_diagnostic(doc: Located, model: type[BaseModel], err: Any) -> Diagnostic | None:
    kind: str = err["type"]
    path = _data_path(doc, err["loc"])
    where = dotted(path)
    leaf = path[-1] if path else ""
    if kind == "missing":
        line, col = doc.value_at(path[:-1])
        parent = dotted(path[:-1])
        return diagnostic("FLOE-E101", f"missing required field '{leaf}' in {parent}",
                          file=doc.file, line=line, column=col,
                          hint=f"Add `{leaf}:` here.")
    if kind == "extra_forbidden":
        key = str(leaf)
        if model is FloeSpec and (key.lower() in FORBIDDEN_ENVIRONMENT_FIELDS
                                  or is_credential_key(key)):
            return None  # reported, more usefully, by the environment/credential checks
        line, col = doc.key_at(path)
        allowed = _allowed_keys(model, path[:-1])
        guess = did_you_mean(key, allowed)
        hint = f"Did you mean '{guess}'?" if guess else (
            f"Allowed here: {', '.join(sorted(allowed))}." if allowed else None)
        return diagnostic("FLOE-E102", f"unknown field '{key}' in {dotted(path[:-1])}",
                          file=doc.file, line=line, column=col, hint=hint)
    line, col = doc.value_at(path)
    # `approved_plugins: {token: [12345]}` errs at token[0]: any credential key above counts.
    value = err.get("input")
    secret = _secret_path(path) or doc.is_secret(value)
    value = show(value, secret=secret)
    got = f", got {value}" if value else ""
    ctx = err.get("ctx") or {}
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        return diagnostic("FLOE-E105", f"{where}: must be {expected}{got}",
                          file=doc.file, line=line, column=col,
                          hint=_literal_hint(err.get("input"), expected))
    if leaf == "connection_secret_ref" and kind.startswith("string_"):
        return diagnostic("FLOE-E107",
                          f"{where}: {value or 'value'} is not a valid Kubernetes Secret name",
                          file=doc.file, line=line, column=col)
    if kind in ("model_type", "dict_type"):  # Pydantic's message names our class: not useful
        return diagnostic("FLOE-E103", f"{where}: must be a mapping{got}",
                          file=doc.file, line=line, column=col,
                          hint=None if secret else _mapping_hint(model, path, doc, line, col,
                                                                 err.get("input")))
    if kind.endswith("_type") or kind.endswith("_parsing"):
        hint = None
        if kind == "string_type" and isinstance(err.get("input"), int | float | bool):
            hint = _semver_hint(model, path, doc, line, col) \
                or "Quote the value: YAML reads it as a number or boolean."
        return diagnostic("FLOE-E103", f"{where}: {_lower_first(err['msg'])}{got}",
                          file=doc.file, line=line, column=col, hint=hint)
    if kind == "string_pattern_mismatch":
        return diagnostic("FLOE-E104", f"{where}: {value or 'value'} does not match "
                          f"{ctx.get('pattern')}", file=doc.file, line=line, column=col,
                          hint=_pattern_hint(str(ctx.get("pattern", ""))))
    return diagnostic("FLOE-E104", f"{where}: {_lower_first(err['msg'])}{got}",
                      file=doc.file, line=line, column=col)


def _secret_path(path: Path_) -> bool:
    return any(type(part) is str and is_credential_key(part) for part in path)


_PATTERN_HINTS = {
    SEMVER_PATTERN: "Use a semantic version such as 1.0.0 (quote it if YAML reads a number).",
    r"^[a-z][a-z0-9-]*$": "Use lowercase letters, digits and '-', starting with a letter.",
    r"^[a-zA-Z_][a-zA-Z0-9_]*$": "Use a dbt model name: letters, digits and '_'.",
    r"^[a-zA-Z0-9_-]+$": "Use letters, digits, '-' and '_' only.",
}


def _source_token(doc: Located, line: int, col: int) -> str:
    """The plain scalar as written at line:col (YAML reads `1.10` as 1.1: keep the text)."""
    lines = doc.text.splitlines()
    if not 0 < line <= len(lines):
        return ""
    text = lines[line - 1]
    token = text[col - 1:].split(" #", 1)[0].strip()
    before = text[:col - 1]
    if before.count("[") + before.count("{") > before.count("]") + before.count("}"):
        token = re.split(r"[,\]}]", token, maxsplit=1)[0].strip()  # inside `[a, b]`
    return token if len(token) <= 60 else ""


def _semver_hint(model: type[BaseModel], path: Path_, doc: Located, line: int, col: int
                 ) -> str | None:
    """`version: 1.0` is a number to YAML and, quoted, still not MAJOR.MINOR.PATCH: say
    exactly what to write."""
    info = _field_info(model, path)
    patterns = [getattr(m, "pattern", None) for m in info.metadata] if info else []
    token = _source_token(doc, line, col)
    parts = token.split(".")
    if SEMVER_PATTERN not in patterns or not all(p.isdigit() for p in parts) or len(parts) > 3:
        return None
    version = ".".join(parts + ["0"] * (3 - len(parts)))
    return f'Write a semantic version as text: `{path[-1]}: "{version}"`.'


def _mapping_hint(model: type[BaseModel], path: Path_, doc: Located, line: int, col: int,
                  value: Any) -> str | None:
    """`schedule: "0 6 * * *"`: show the mapping, with the value under its likely key."""
    if not path:
        return None
    token = _source_token(doc, line, col) if isinstance(value, str) else ""
    leaf = path[-1]
    return _mapping_hint_text(model, tuple([0 if type(p) is int else p for p in path]),
                              dotted(path[:-1]) if isinstance(leaf, int) else None,
                              None if isinstance(leaf, int) else leaf, token)


@cache  # one string for the 300,000 items of a flow list of wrong values, not 300,000
def _mapping_hint_text(model: type[BaseModel], shape: Path_, parent: str | None,
                       leaf: str | None, token: str) -> str | None:
    found = _mapping_fields(model, shape)
    if found is None:
        return None
    fields, text_field = found
    example = f"{{{text_field}: {token}}}" if text_field and token else \
        "{" + ", ".join(f"{f}: ..." for f in fields[:2]) + "}"
    if leaf is None:  # a list item: `transforms: [1]`
        return (f"Each item of `{parent}` is a mapping (fields: "
                f"{', '.join(fields)}): write `- {example}`.")
    return f"`{leaf}` is a mapping (fields: {', '.join(fields)}): write `{leaf}: {example}`."


@cache  # a flow list of 300,000 wrong items asks 300,000 times about one model
def _mapping_fields(model: type[BaseModel], shape: Path_) -> tuple[list[str], str | None] | None:
    """The fields (by alias) of the model at `shape` (list indexes as 0), and the first that
    takes text; None where no model is expected."""
    target = unwrap_optional(_annotation_at(model, shape))
    if not (isinstance(target, type) and issubclass(target, BaseModel)):
        return None
    names = {name: f.alias or name for name, f in target.model_fields.items()}
    text_field = next((names[name] for name, f in target.model_fields.items()
                       if str in _members(f.annotation)), None)
    return list(names.values()), text_field


def _members(annotation: Any) -> tuple[Any, ...]:
    annotation = typing.get_args(annotation)[0] \
        if typing.get_origin(annotation) is typing.Annotated else annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _annotation_at(model: type[BaseModel], path: Path_) -> Any:
    current: Any = model
    for part in path:
        current = _step(current, part)
        if current is None:
            return None
    return current


def _field_info(model: type[BaseModel], path: Path_) -> Any:
    parent = unwrap_optional(_annotation_at(model, path[:-1])) if path else None
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        for name, info in parent.model_fields.items():
            if path[-1] in (name, info.alias):
                return info
    return None


def _pattern_hint(pattern: str) -> str | None:
    return _PATTERN_HINTS.get(pattern)


def _literal_hint(value: Any, expected: str) -> str | None:
    options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",")]
    guess = did_you_mean(str(value), [o for o in options if o])
    return f"Did you mean '{guess}'?" if guess else None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _allowed_keys(model: type[BaseModel], path: Path_) -> list[str]:
    """The keys a model accepts at `path` (for did-you-mean)."""
    return list(fields_at(model, path))


def fields_at(model: type[BaseModel], path: Path_) -> dict[str, FieldInfo]:
    """The fields a model accepts at `path`, by the key written in YAML, in declaration
    order (did-you-mean, and an editor's completion and hover)."""
    current = type_at(model, path)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return {f.alias or name: f for name, f in current.model_fields.items()}
    return {}


def type_at(model: type[BaseModel], path: Path_) -> Any:
    """The type of the value at `path` (`X | None` unwrapped), or None if no field is
    there. An int in `path` is any item of a list."""
    return unwrap_optional(_annotation_at(model, path))


def _step(annotation: Any, part: str | int) -> Any:
    annotation = unwrap_optional(annotation)
    if isinstance(part, int):
        args = typing.get_args(annotation)
        return args[0] if typing.get_origin(annotation) is list and args else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return None
    if typing.get_origin(annotation) is dict:
        return typing.get_args(annotation)[1]
    return None


def unwrap_optional(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation
