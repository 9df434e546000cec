"""Stage 4, check: rules the schema alone cannot express.

Rules read the located raw data rather than the parsed models, so they still
run (and point at the exact key) when another part of the file failed to parse:
one run reports every problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from floe_compiler.credentials import holds_literal_secret, is_credential_key
from floe_compiler.dag import find_cycles
from floe_compiler.diagnostics import Diagnostic, FloeError, diagnostic, did_you_mean
from floe_compiler.errors import (
    DependencyCycleError,
    PluginWhitelistError,
    SinkWhitelistError,
    UnknownDependencyError,
)
from floe_compiler.loader import Located, Path_
from floe_compiler.models.common import FORBIDDEN_ENVIRONMENT_FIELDS
from floe_compiler.parse import dotted


def walk(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str, Any]]:
    """Every (path, key, value) of every mapping in the document."""
    if isinstance(data, dict):
        for key, value in data.items():
            child = (*path, key)
            yield child, key, value
            yield from walk(value, child)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from walk(item, (*path, index))


def check_spec(doc: Located) -> list[Diagnostic]:
    """Single-file rules for floe.yaml."""
    found: list[Diagnostic] = []
    for path, key, value in walk(doc.data):
        if is_credential_key(key) and holds_literal_secret(value):
            found.append(_credential(doc, path, "FLOE-E203"))
        elif key.lower() in FORBIDDEN_ENVIRONMENT_FIELDS:
            line, col = doc.key_at(path)
            found.append(diagnostic(
                "FLOE-E106", f"'{key}' at {dotted(path)} is environment-specific and not "
                "allowed in floe.yaml", file=doc.file, line=line, column=col))
    found += unique_names(doc, "transforms", "transform")
    found += unique_names(doc, "destinations", "destination")
    return found


def check_manifest(doc: Located) -> list[Diagnostic]:
    """Single-file rules for manifest.yaml."""
    return [_credential(doc, path, "FLOE-W201")
            for path, key, value in walk(doc.data)
            if is_credential_key(key) and holds_literal_secret(value)]


def _credential(doc: Located, path: Path_, code: str) -> Diagnostic:
    line, col = doc.value_at(path)
    return diagnostic(code, f"{dotted(path)} holds a literal credential (value not shown)",
                      file=doc.file, line=line, column=col)


def named_items(doc: Located, list_key: str) -> Iterator[tuple[Path_, dict[str, Any]]]:
    """(path, item) for each mapping in a top-level list, e.g. `transforms`."""
    items = doc.data.get(list_key) if isinstance(doc.data, dict) else None
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield (list_key, index), item


def unique_names(doc: Located, list_key: str, noun: str) -> list[Diagnostic]:
    first_seen: dict[str, int] = {}
    found: list[Diagnostic] = []
    for path, item in named_items(doc, list_key):
        name = item.get("name")
        if not isinstance(name, str):
            continue
        line, col = doc.value_at((*path, "name"))
        if name in first_seen:
            found.append(diagnostic(
                "FLOE-E108", f"duplicate {noun} name '{name}' (first defined at line "
                f"{first_seen[name]})", file=doc.file, line=line, column=col))
        else:
            first_seen[name] = line
    return found


# ---------------------------------------------------------------------------
# Rules across floe.yaml and its manifest. These return exceptions (each carrying
# its diagnostic) because library users catch them by type.
# ---------------------------------------------------------------------------


def _str_list(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def check_sinks(spec: Located, manifest: Located) -> list[SinkWhitelistError]:
    approved = _str_list(_get(manifest.data, "approved_sinks"))
    if approved is None:  # no whitelist: every sink is allowed
        return []
    found = []
    for path, item in named_items(spec, "destinations"):
        sink_type = item.get("sink_type")
        if not isinstance(sink_type, str) or sink_type in approved:
            continue
        line, col = spec.value_at((*path, "sink_type"))
        guess = did_you_mean(sink_type, approved)
        listed = ", ".join(approved) or "none"
        diag = diagnostic(
            "FLOE-E201", f"sink type '{sink_type}' of destination '{item.get('name')}' is not "
            f"approved by {manifest.file}; approved sinks: [{listed}]",
            file=spec.file, line=line, column=col,
            hint=f"Did you mean '{guess}'?" if guess else None)
        found.append(SinkWhitelistError(sink_type, approved, diag))
    return found


def check_plugins(spec: Located, manifest: Located) -> list[PluginWhitelistError]:
    approved_by_category = _get(manifest.data, "approved_plugins")
    if not isinstance(approved_by_category, dict):
        return []
    found = []
    for doc, path, category, plugin in _plugin_choices(spec, manifest):
        approved = _str_list(approved_by_category.get(category))
        if approved is None or plugin in approved:
            continue
        line, col = doc.value_at(path)
        guess = did_you_mean(plugin, approved)
        diag = diagnostic(
            "FLOE-E202", f"{category} plugin '{plugin}' is not approved; approved {category} "
            f"plugins: [{', '.join(approved)}]", file=doc.file, line=line, column=col,
            hint=f"Did you mean '{guess}'?" if guess else None)
        found.append(PluginWhitelistError(category, plugin, approved, diag))
    return found


def _plugin_choices(spec: Located, manifest: Located
                    ) -> Iterator[tuple[Located, Path_, str, str]]:
    """Every plugin choice in both files: (file, path of the value, category, plugin)."""
    plugins = _get(manifest.data, "plugins")
    if isinstance(plugins, dict):
        for category, selection in plugins.items():
            if isinstance(_get(selection, "type"), str):
                yield manifest, ("plugins", category, "type"), category, selection["type"]
    compute = _get(spec.data, "compute")
    if isinstance(_get(compute, "default"), str):
        yield spec, ("compute", "default"), "compute", compute["default"]
    overrides = _get(compute, "overrides")
    if isinstance(overrides, dict):
        for name, plugin in overrides.items():
            if isinstance(plugin, str):
                yield spec, ("compute", "overrides", name), "compute", plugin
    for path, item in named_items(spec, "transforms"):
        if isinstance(item.get("compute"), str):
            yield spec, (*path, "compute"), "compute", item["compute"]


def _get(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, dict) else None


def transform_graph(spec: Located) -> tuple[list[str], dict[str, list[str]]]:
    """Transform names in declaration order and each one's dependsOn list."""
    order: list[str] = []
    depends: dict[str, list[str]] = {}
    for _, item in named_items(spec, "transforms"):
        name = item.get("name")
        if isinstance(name, str) and name not in depends:
            order.append(name)
            depends[name] = _str_list(item.get("dependsOn")) or []
    return order, depends


# Each did-you-mean looks at every transform name: with thousands of unknown
# dependencies that is quadratic, so only this many distinct names get a suggestion.
MAX_DEPENDENCY_SUGGESTIONS = 20


def check_dependencies(spec: Located) -> list[FloeError]:
    order, depends = transform_graph(spec)
    known = set(order)
    where: dict[str, Path_] = {}
    for path, item in named_items(spec, "transforms"):
        if isinstance(item.get("name"), str):
            where.setdefault(item["name"], path)  # the first one, as in transform_graph
    suggestions: dict[str, str | None] = {}
    found: list[FloeError] = []
    for name in order:
        for j, dep in enumerate(depends[name]):
            if dep in known:
                continue
            line, col = spec.value_at((*where[name], "dependsOn", j))
            if dep not in suggestions and len(suggestions) < MAX_DEPENDENCY_SUGGESTIONS:
                suggestions[dep] = did_you_mean(dep, order)
            guess = suggestions.get(dep)
            found.append(UnknownDependencyError(diagnostic(
                "FLOE-W204", f"transform '{name}' depends on '{dep}', which floe.yaml does not "
                "define (fine for a dbt model or source defined elsewhere)",
                file=spec.file, line=line, column=col,
                hint=f"Did you mean '{guess}'?" if guess else None)))
    for cycle in find_cycles(order, depends):
        first, second = cycle[0], cycle[1]
        j = depends[first].index(second)
        line, col = spec.value_at((*where[first], "dependsOn", j))
        found.append(DependencyCycleError(diagnostic(
            "FLOE-E205", f"dependency cycle: {' -> '.join(cycle)} (-> means 'depends on')",
            file=spec.file, line=line, column=col), cycle))
    return found


def check_project(spec: Located, manifest: Located) -> list[FloeError]:
    """Every rule that needs both files."""
    return [*check_sinks(spec, manifest), *check_plugins(spec, manifest)]
