"""The part of a compiled artifact `floe run` needs, read as plain JSON and checked.

Kept independent of the compiler's artifact model on purpose: the runner accepts
any artifact of this shape, and says exactly where one is not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from floe_compiler.display import clip, printable
from floe_compiler.models.artifact import (
    READABLE_VERSIONS,
    CompiledArtifacts,
    CompiledDestination,
)
from floe_compiler.models.common import (
    DESTINATION_NAME_PATTERN,
    SECRET_NAME_MAX_LENGTH,
    SECRET_NAME_PATTERN,
)
from floe_compiler.reading import TooLarge, read_bounded


class ArtifactError(Exception):
    """The artifact cannot be read or has the wrong shape (exit 2)."""


@dataclass(frozen=True)
class Destination:
    name: str
    sink_type: str
    connection_secret_ref: str
    source_table: str | None
    config: dict[str, Any]
    field_mapping: dict[str, str] | None
    batch_size: int | None
    retry_config: dict[str, Any] | None


@dataclass(frozen=True)
class Artifact:
    path: Path
    product: dict[str, Any]
    destinations: list[Destination]
    schedule: dict[str, Any] | None = None  # cron, timezone, enabled (for an orchestrator)


MAX_ARTIFACT_BYTES = 64 * 1024 * 1024  # 10,000 transforms compile to about 5 MB


def read_artifact(path: Path, max_bytes: int | None = None) -> Artifact:
    """The artifact at `path`, read as the YAML inputs are: bounded (a FIFO does not hang,
    /dev/zero stops at the limit), and refused unless it is the schema version this
    runner knows, with no key it does not know."""
    data = _read_json(path, max_bytes or MAX_ARTIFACT_BYTES)
    if not isinstance(data, dict):
        raise ArtifactError(f"{path}: expected a JSON object (a compiled artifact)")
    version = data.get("schema_version")
    if version not in READABLE_VERSIONS:
        found = "missing" if version is None else f"{_show(version)} is not supported"
        raise ArtifactError(f"{path}: schema_version: {found}; this floe runs artifacts of "
                            f"schema_version {' or '.join(READABLE_VERSIONS)} "
                            "(recompile with `floe compile`)")
    known = {k for k in CompiledArtifacts.model_fields
             if version != "1.0.0" or k != "sink_connectors"}  # 1.1.0 added it
    _no_unknown_keys(f"{path}", data, dict.fromkeys(known))
    if not isinstance(data.get("sink_connectors", {}), dict):
        raise ArtifactError(f"{path}: sink_connectors: expected an object")
    product = data.get("product", {})
    if not isinstance(product, dict):
        raise ArtifactError(f"{path}: product: expected an object")
    items = data.get("destinations", [])
    if not isinstance(items, list):
        raise ArtifactError(f"{path}: destinations: expected a list")
    destinations = [_destination(path, index, item) for index, item in enumerate(items)]
    names = [d.name for d in destinations]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise ArtifactError(f"{path}: destinations[{index}].name: duplicate name '{name}'")
    schedule = data.get("schedule")
    if schedule is not None and not isinstance(schedule, dict):
        raise ArtifactError(f"{path}: schedule: expected an object")
    return Artifact(path, product, destinations, schedule)


def _read_json(path: Path, max_bytes: int) -> Any:
    try:
        raw = read_bounded(path, max_bytes)
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no such file (run `floe compile` first)") from None
    except TooLarge as exc:
        size = f"is {exc.size} bytes" if exc.size is not None else "is larger than that"
        raise ArtifactError(f"{path}: too large: the limit is {max_bytes} bytes and the file "
                            f"{size}") from None
    except OSError as exc:
        raise ArtifactError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ArtifactError(f"{path}: not valid JSON: not UTF-8 text (byte {exc.start})") \
            from None
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path}: not valid JSON: {exc}") from None
    except RecursionError:
        raise ArtifactError(f"{path}: not a compiled artifact: JSON nested too deeply") \
            from None


def _no_unknown_keys(where: str, item: dict[str, Any], known: Mapping[str, object]) -> None:
    unknown = sorted(str(key) for key in item if key not in known)
    if unknown:
        shown = ", ".join(_show(key) for key in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ArtifactError(f"{where}: unknown key(s) {shown}{more} (an artifact from another "
                            f"version of floe? recompile with `floe compile`)")


def _show(value: Any) -> str:
    """A value from the artifact, fit for one line of a message."""
    return printable(clip(repr(value), 80))


def _destination(path: Path, index: int, item: Any) -> Destination:
    where = f"{path}: destinations[{index}]"
    if not isinstance(item, dict):
        raise ArtifactError(f"{where}: expected an object")

    def field(key: str, kind: type | tuple[type, ...], what: str, required: bool = False) -> Any:
        value = item.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ArtifactError(f"{where}.{key}: expected {what}"
                                + ("" if key in item else " (missing)"))
        return value

    _no_unknown_keys(where, item, CompiledDestination.model_fields)
    name = field("name", str, "the destination's name", required=True)
    if not re.fullmatch(DESTINATION_NAME_PATTERN, name):  # fullmatch: `$` allows a final \n
        raise ArtifactError(f"{where}.name: {_show(name)} is not a destination name "
                            "(letters, digits, '-' and '_')")
    ref = field("connection_secret_ref", str, "a Kubernetes Secret name", required=True)
    if len(ref) > SECRET_NAME_MAX_LENGTH or not re.fullmatch(SECRET_NAME_PATTERN, ref):
        # It becomes a directory name: never let it climb out of the secrets root.
        raise ArtifactError(f"{where}.connection_secret_ref: not a Kubernetes Secret name")
    field_mapping = field("field_mapping", dict, "an object of column -> field names")
    if field_mapping and not all(isinstance(v, str) for v in field_mapping.values()):
        raise ArtifactError(f"{where}.field_mapping: every value must be a field name")
    retry_config = field("retry_config", dict, "an object")
    if retry_config is not None:
        from floe_compiler.sinks.base import SinkConfigurationError
        from floe_compiler.sinks.retry import RetryPolicy

        try:  # absurd values (max_attempts: 1100) are refused here, with where they are
            RetryPolicy.from_config(retry_config)
        except SinkConfigurationError as exc:
            raise ArtifactError(f"{where}.{exc}") from None
    batch_size = field("batch_size", int, "a positive integer")
    if batch_size is not None and batch_size < 1:
        raise ArtifactError(f"{where}.batch_size: expected a positive integer")
    return Destination(
        name=name,
        sink_type=field("sink_type", str, "a sink type such as sql_database", required=True),
        connection_secret_ref=ref,
        source_table=field("source_table", str, "an Iceberg table such as gold.orders"),
        config=field("config", dict, "an object") or {},
        field_mapping=field_mapping,
        batch_size=batch_size,
        retry_config=retry_config,
    )
