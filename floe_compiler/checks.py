"""Stage 4, check: rules the schema alone cannot express.

Rules read the located raw data rather than the parsed models, so they still
run (and point at the exact key) when another part of the file failed to parse:
one run reports every problem.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from floe_compiler.constants import (
    FORBIDDEN_ENVIRONMENT_FIELDS,
    MANIFEST_ENVIRONMENT_FIELDS,
    QUALITY_PROVIDERS,
)
from floe_compiler.credentials import holds_literal_secret, is_credential_key
from floe_compiler.dag import find_cycles
from floe_compiler.diagnostics import Diagnostic, FloeError, diagnostic, did_you_mean
from floe_compiler.errors import (
    DependencyCycleError,
    PluginWhitelistError,
    SinkWhitelistError,
    UnknownDependencyError,
    error_for,
)
from floe_compiler.kinds import dotted
from floe_compiler.loader import Located, Path_

if TYPE_CHECKING:
    from pydantic import BaseModel


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


def keyed(doc: Located, wanted: Callable[[str], bool]) -> Iterator[tuple[Path_, str, Any]]:
    """`walk`, keeping the keys `wanted` accepts. The loader records every key the data
    holds (`Positions.names`): when none is wanted, as in most files, nothing is walked
    (a 100k-transform file holds 33 distinct keys and ~1.8M nodes)."""
    if not any(wanted(name) for name in doc.keys.names()):
        return
    for path, key, value in walk(doc.data):
        if wanted(key):
            yield path, key, value


def _credential_or_environment(key: str) -> bool:
    return is_credential_key(key) or key.lower() in FORBIDDEN_ENVIRONMENT_FIELDS


def check_spec(doc: Located, schema_clean: bool = False) -> list[Diagnostic]:
    """Single-file rules for floe.yaml. `schema_clean`: the file passed the fast path's
    accept check (fastpath.py), which takes no Python field name: the rules that read
    the models would find nothing, so they are not run (nor the models imported)."""
    found: list[Diagnostic] = []
    for path, key, value in keyed(doc, _credential_or_environment):
        if is_credential_key(key) and holds_literal_secret(value):
            found.append(_credential(doc, path, "FLOE-E203"))
        elif key.lower() in FORBIDDEN_ENVIRONMENT_FIELDS:
            line, col = doc.key_at(path)
            found.append(diagnostic(
                "FLOE-E106", f"'{key}' at {dotted(path)} is environment-specific and not "
                "allowed in floe.yaml", file=doc.file, line=line, column=col))
    if not schema_clean:
        from floe_compiler.models.spec import FloeSpec

        found += python_field_names(doc, FloeSpec)
    found += non_text_keys(doc, free_form=lambda path: False)
    found += unique_names(doc, "transforms", "transform")
    found += unique_names(doc, "destinations", "destination")
    found += sync_modes(doc)
    return found


def sync_modes(doc: Located) -> list[Diagnostic]:
    """Each destination's `config.mode`: one its sink type performs, with a primary key
    when the mode needs one. Located at the mode."""
    from floe_compiler.sinks import modes

    found = []
    for path, item in named_items(doc, "destinations"):
        config = item.get("config")
        if not isinstance(config, dict) or "mode" not in config:
            continue
        mode, sink_type, name = config["mode"], item.get("sink_type"), item.get("name")
        if not isinstance(mode, str) or mode not in modes.MODES:
            guess = did_you_mean(str(mode), list(modes.MODES))
            message = f"destination '{name}': config.mode must be one of {', '.join(modes.MODES)}"
            found.append(_at_mode(doc, path, "FLOE-E211", message,
                                  f"Did you mean '{guess}'?" if guess else None))
            continue
        served = (modes.modes_of(sink_type) if isinstance(sink_type, str)
                  and mode != modes.INSERT else None)
        if served is not None and mode not in served:
            why = " (it cannot delete)" if mode == modes.MIRROR else ""
            found.append(_at_mode(
                doc, path, "FLOE-E211", f"destination '{name}': sink type '{sink_type}' cannot "
                f"sync in mode {mode}{why}; it serves {', '.join(served)}"))
        elif mode in modes.KEYED and not config.get("primary_key"):
            found.append(_at_mode(
                doc, path, "FLOE-E212", f"destination '{name}': mode {mode} needs "
                "config.primary_key (the destination column(s) that identify a row)"))
    return found


def _at_mode(doc: Located, path: Path_, code: str, message: str, hint: str | None = None
             ) -> Diagnostic:
    """A finding located at a destination's `config.mode` (a position is looked up only
    for a finding: a file without one never needs its positions)."""
    line, col = doc.value_at((*path, "config", "mode"))
    return diagnostic(code, message, file=doc.file, line=line, column=col, hint=hint)


def check_manifest(doc: Located, schema_clean: bool = False) -> list[Diagnostic]:
    """Single-file rules for manifest.yaml (`schema_clean` as for `check_spec`: the accept
    check takes no unknown top-level key, no Python field name and no non-text key)."""
    found = [_credential(doc, path, "FLOE-W201")
             for path, key, value in keyed(doc, is_credential_key)
             if holds_literal_secret(value)]
    found += scope_rules(doc)
    if not schema_clean:
        from floe_compiler.models.manifest import PlatformManifest

        found += unknown_manifest_keys(doc)
        found += python_field_names(doc, PlatformManifest)
        found += non_text_keys(doc, free_form=lambda path: _free_form(PlatformManifest, path))
    return found


def non_text_keys(doc: Located, free_form: Callable[[Path_], bool]) -> list[Diagnostic]:
    """A key written as a plain number, boolean or null is one for floe-core, which wants
    text wherever it reads names (anywhere in floe.yaml; outside free-form values in a
    manifest)."""
    found = []
    for path, value in doc.typed_keys.items():
        if free_form(path[:-1]):
            continue
        line, col = doc.key_at(path)
        found.append(diagnostic(
            "FLOE-E103", f"key {path[-1]} in {dotted(path[:-1])} is read as a "
            f"{'null' if value is None else type(value).__name__}, not as text",
            file=doc.file, line=line, column=col,
            hint=f'Quote it: "{path[-1]}":'))
    return found


def _free_form(model: type[BaseModel], path: Path_) -> bool:
    """Whether `path` lies inside a value the model takes as it is (typed `Any`)."""
    from pydantic import BaseModel

    from floe_compiler.parse import unwrap_optional

    annotation: Any = model
    for part in path:
        annotation = unwrap_optional(annotation)
        if annotation is Any:
            return True
        origin = typing.get_origin(annotation)
        if origin is list and isinstance(part, int):
            annotation = typing.get_args(annotation)[0]
        elif origin is dict:
            annotation = typing.get_args(annotation)[1]
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = {f.alias or n: f for n, f in annotation.model_fields.items()}
            fields.update(annotation.model_fields)
            if part not in fields:
                return annotation.model_config.get("extra") == "allow"
            annotation = fields[part].annotation
        else:
            return False  # a union of shapes, or a scalar: not free-form
    return unwrap_optional(annotation) is Any


def unknown_manifest_keys(doc: Located) -> list[Diagnostic]:
    """A newer manifest may carry keys this version does not know: a warning, as upstream.
    Environment-specific keys are errors: a manifest serves every environment."""
    from floe_compiler.models.manifest import PlatformManifest

    if not isinstance(doc.data, dict):
        return []
    known = {name for name, field in PlatformManifest.model_fields.items()} | {
        field.alias for field in PlatformManifest.model_fields.values() if field.alias}
    found = []
    for key in doc.data:
        if key in known or not isinstance(key, str):
            continue
        line, col = doc.key_at((key,))
        if key in MANIFEST_ENVIRONMENT_FIELDS:
            found.append(diagnostic(
                "FLOE-E106", f"'{key}' is environment-specific and not allowed in a manifest",
                file=doc.file, line=line, column=col,
                hint="A manifest serves every environment; FLOE_ENV selects one at run time."))
            continue
        guess = did_you_mean(key, sorted(known))
        found.append(diagnostic(
            "FLOE-W122", f"unknown top-level key '{key}' in the manifest is ignored",
            file=doc.file, line=line, column=col,
            hint=f"Did you mean '{guess}'?" if guess else None))
    return found


# (condition on scope, key it constrains, must the key be present, the rule in words)
_SCOPE_RULES = (
    (lambda scope: scope in (None, "enterprise"), "parent_manifest", False,
     "only a domain manifest has a parent_manifest"),
    (lambda scope: scope == "domain", "parent_manifest", True,
     "a domain manifest needs a parent_manifest"),
    (lambda scope: scope != "enterprise", "approved_plugins", False,
     "approved_plugins belongs in an enterprise manifest (scope: enterprise)"),
    (lambda scope: scope != "domain", "approved_products", False,
     "approved_products belongs in a domain manifest (scope: domain)"),
    (lambda scope: scope != "enterprise", "approved_sinks", False,
     "approved_sinks belongs in an enterprise manifest (scope: enterprise)"),
)


def scope_rules(doc: Located) -> list[Diagnostic]:
    """Which keys each `scope` allows and requires (upstream's three-tier rules)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    scope = data.get("scope")
    if scope not in (None, "enterprise", "domain"):
        return []  # the schema reports the scope itself
    found = []
    for applies, key, required, rule in _SCOPE_RULES:
        present = data.get(key) is not None
        if not applies(scope) or present == required:
            continue
        if present:
            line, col = doc.key_at((key,))
        else:
            line, col = doc.key_at(("scope",)) if "scope" in data else (1, 1)
        found.append(diagnostic("FLOE-E120", f"{rule} (scope: {scope or 'none'})",
                                file=doc.file, line=line, column=col))
    return found


@cache
def _python_names(model: Any) -> frozenset[str]:
    """Every field name, in `model` (a model class or an annotation holding some) and the
    models below it, that has an alias."""
    from pydantic import BaseModel

    from floe_compiler.parse import unwrap_optional

    names: set[str] = set()
    seen: set[type] = set()
    todo: list[Any] = [model]
    while todo:
        annotation = unwrap_optional(todo.pop())
        todo.extend(typing.get_args(annotation))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) \
                and annotation not in seen:
            seen.add(annotation)
            for name, field in annotation.model_fields.items():
                if field.alias:
                    names.add(name)
                todo.append(field.annotation)
    return frozenset(names)


def python_field_names(doc: Located, model: type[BaseModel]) -> list[Diagnostic]:
    """Upstream also accepts its Python field names (depends_on for dependsOn): so do we,
    with a warning naming the key everyone else writes."""
    from pydantic import BaseModel

    from floe_compiler.parse import unwrap_optional

    found: list[Diagnostic] = []
    present = _python_names(model).intersection(doc.keys.names())
    if not present:
        return found  # no key anywhere is a Python field name: nothing to walk for

    # What each annotation is, worked out once per annotation rather than once per node
    # (100k transforms are 100k visits of one annotation): ("list"|"dict", item annotation),
    # ("model", class), or None where no aliased field lies below.
    shapes: dict[int, tuple[str, Any] | None] = {}

    def shape(annotation: Any) -> tuple[str, Any] | None:
        key = id(annotation)
        if key not in shapes:
            plain = unwrap_optional(annotation)
            origin = typing.get_origin(plain)
            found_shape: tuple[str, Any] | None = None
            if origin is list:
                found_shape = ("list", typing.get_args(plain)[0])
            elif origin is dict:
                found_shape = ("dict", typing.get_args(plain)[1])
            elif isinstance(plain, type) and issubclass(plain, BaseModel) \
                    and _python_names(plain):
                found_shape = ("model", plain)
            shapes[key] = found_shape
        return shapes[key]

    # Per model, once: the fields a visit looks at, (name, key, alias when it may be written
    # by its name, annotation): those with such an alias written somewhere in the file,
    # and those below which such a field lies.
    fields: dict[type, list[tuple[str, str, str | None, Any]]] = {}

    def relevant(model: type[BaseModel]) -> list[tuple[str, str, str | None, Any]]:
        if model not in fields:
            by_name = model.model_config.get("populate_by_name", False)
            fields[model] = [
                (name, field.alias or name, field.alias if by_name else None,
                 field.annotation)
                for name, field in model.model_fields.items()
                if (by_name and field.alias and name in present)
                or (shape(field.annotation) is not None
                    and present.intersection(_python_names(cast(Any, field.annotation))))]
        return fields[model]

    # Walked with a stack of its own (a recursive closure would be a reference cycle
    # holding the document, which the paused collector never frees); the findings are
    # sorted with the rest.
    pending: list[tuple[Any, Any, Path_]] = [(doc.data, model, ())]
    while pending:
        data, annotation, path = pending.pop()
        what = shape(annotation)
        if what is None:
            continue
        form, inner = what
        if form == "list" and isinstance(data, list):
            if shape(inner) is not None:
                pending.extend((item, inner, (*path, index)) for index, item in enumerate(data))
        elif form == "dict" and isinstance(data, dict):
            if shape(inner) is not None:
                pending.extend((value, inner, (*path, key)) for key, value in data.items())
        elif form == "model" and isinstance(data, dict):
            for name, key, alias, field_annotation in relevant(inner):
                if alias and name in data:
                    line, col = doc.key_at((*path, name))
                    found.append(diagnostic(
                        "FLOE-W121", f"'{name}' is floe-core's Python name for '{alias}'",
                        file=doc.file, line=line, column=col,
                        hint=f"Write `{alias}:`, the key the schema and editors know."))
                    key = name if alias not in data else key
                if key in data:
                    pending.append((data[key], field_annotation, (*path, key)))
    return found


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
    first_seen: dict[str, Path_] = {}  # positions are looked up for duplicates only
    found: list[Diagnostic] = []
    for path, item in named_items(doc, list_key):
        name = item.get("name")
        if not isinstance(name, str):
            continue
        if name in first_seen:
            line, col = doc.value_at((*path, "name"))
            first_line = doc.value_at((*first_seen[name], "name"))[0]
            found.append(diagnostic(
                "FLOE-E108", f"duplicate {noun} name '{name}' (first defined at line "
                f"{first_line})", file=doc.file, line=line, column=col))
        else:
            first_seen[name] = path
    return found


# ---------------------------------------------------------------------------
# Rules across floe.yaml and its manifest. These return exceptions (each carrying
# its diagnostic) because library users catch them by type.
# ---------------------------------------------------------------------------


def _str_list(value: Any) -> list[str] | None:
    """`value` if it is a list of strings, else None."""
    if not isinstance(value, list):
        return None
    try:
        "".join(value)  # any item but a str raises: 4x the speed of all(isinstance(...))
    except TypeError:
        return None
    return value


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
    approved_of = {category: _str_list(plugins)
                   for category, plugins in approved_by_category.items()}
    for doc, path, category, plugin in _plugin_choices(spec, manifest):
        approved = approved_of.get(category)
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
    for path, item in named_items(spec, "transforms"):
        if isinstance(item.get("compute"), str):
            yield spec, (*path, "compute"), "compute", item["compute"]


def _get(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, dict) else None


def transform_graph(spec: Located) -> tuple[list[str], dict[str, list[str]]]:
    """Transform names in declaration order and each one's dependsOn list."""
    order, depends, _ = _graph(spec)
    return order, depends


def _graph(spec: Located) -> tuple[list[str], dict[str, list[str]], list[tuple[str, int, str]]]:
    """`transform_graph`, and the dependencies not declared before their transform, as
    (transform, index in its dependsOn, dependency): unknown, or pointing forward (or at
    itself). One pass: at 100k transforms a second one over the edges cost 0.1 s."""
    order: list[str] = []
    depends: dict[str, list[str]] = {}
    later: list[tuple[str, int, str]] = []
    items = spec.data.get("transforms") if isinstance(spec.data, dict) else None
    for item in items if isinstance(items, list) else ():
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str) and name not in depends:
            deps = depends[name] = _str_list(item.get("dependsOn")) or []
            order.append(name)
            for j, dep in enumerate(deps):
                if dep not in depends or dep == name:
                    later.append((name, j, dep))
    return order, depends, later


# Each did-you-mean looks at every transform name: with thousands of unknown
# dependencies that is quadratic, so only this many distinct names get a suggestion.
MAX_DEPENDENCY_SUGGESTIONS = 20


def check_dependencies(spec: Located) -> tuple[list[FloeError], bool]:
    """Unknown dependencies and cycles; and whether each transform is declared after
    its known dependencies, so that declaration order is a run order (emit's)."""
    order, depends, later = _graph(spec)
    # Of the dependencies not declared before their transform, those declared nowhere
    # are unknown; any other points forward (or at itself): only then can there be a
    # cycle to look for.
    unknown = [(name, j, dep) for name, j, dep in later if dep not in depends]
    forward = len(unknown) < len(later)
    where: dict[str, Path_] = {}  # filled when a finding needs a position

    def dependency_at(name: str, j: int) -> tuple[int, int]:
        if not where:
            for path, item in named_items(spec, "transforms"):
                if isinstance(item.get("name"), str):
                    where.setdefault(item["name"], path)  # the first, as in transform_graph
        return spec.value_at((*where[name], "dependsOn", j))

    suggestions: dict[str, str | None] = {}
    found: list[FloeError] = []
    for name, j, dep in unknown:
        line, col = dependency_at(name, j)
        if dep not in suggestions and len(suggestions) < MAX_DEPENDENCY_SUGGESTIONS:
            suggestions[dep] = did_you_mean(dep, order)
        guess = suggestions.get(dep)
        found.append(UnknownDependencyError(diagnostic(
            "FLOE-W204", f"transform '{name}' depends on '{dep}', which floe.yaml does not "
            "define (fine for a dbt model or source defined elsewhere)",
            file=spec.file, line=line, column=col,
            hint=f"Did you mean '{guess}'?" if guess else None)))
    for cycle in find_cycles(order, depends) if forward else ():
        first, second = cycle[0], cycle[1]
        line, col = dependency_at(first, depends[first].index(second))
        found.append(DependencyCycleError(diagnostic(
            "FLOE-E205", f"dependency cycle: {' -> '.join(cycle)} (-> means 'depends on')",
            file=spec.file, line=line, column=col), cycle))
    return found, not forward


def check_compile_needs(spec: Located, manifest: Located) -> list[FloeError]:
    """What compiling needs from the manifest beyond its schema: a compute and an
    orchestrator plugin, a quality provider floe knows, and dlt for ingestion."""
    plugins = _get(manifest.data, "plugins")
    if not isinstance(plugins, dict):
        return []  # the schema reports it
    found: list[FloeError] = []
    for category, article in (("compute", "a"), ("orchestrator", "an")):
        if plugins.get(category) is None:
            line, col = manifest.key_at(("plugins",))
            found.append(error_for(diagnostic(
                "FLOE-E101", f"missing required field '{category}' in plugins: compiling "
                f"needs {article} {category} plugin", file=manifest.file, line=line, column=col,
                hint=f"Add `{category}:` with the plugin's `type` under plugins.")))
    found += _ingestion_needs(spec, manifest, plugins)
    provider = _get(_get(plugins, "quality"), "provider")
    if isinstance(provider, str) and provider not in QUALITY_PROVIDERS:
        line, col = manifest.value_at(("plugins", "quality", "provider"))
        guess = did_you_mean(provider, QUALITY_PROVIDERS)
        found.append(error_for(diagnostic(
            "FLOE-E105", f"plugins.quality.provider: must be one of "
            f"{', '.join(QUALITY_PROVIDERS)}, got '{provider}'", file=manifest.file,
            line=line, column=col, hint=f"Did you mean '{guess}'?" if guess else None)))
    return found


def _ingestion_needs(spec: Located, manifest: Located, plugins: dict[str, Any]
                     ) -> list[FloeError]:
    """floe.yaml's ingestion sources are loaded by the platform's dlt ingestion plugin."""
    if _get(spec.data, "ingestion") is None:
        return []
    ingestion = plugins.get("ingestion")
    line, col = spec.key_at(("ingestion",))
    if not isinstance(ingestion, dict):
        return [error_for(diagnostic(
            "FLOE-E101", f"ingestion sources need plugins.ingestion in {manifest.file}",
            file=spec.file, line=line, column=col,
            hint="Select the dlt ingestion plugin in the manifest."))]
    found = []
    if ingestion.get("type") != "dlt":
        at = manifest.value_at(("plugins", "ingestion", "type"))
        found.append(error_for(diagnostic(
            "FLOE-E105", "plugins.ingestion.type: ingestion sources in floe.yaml need the "
            "dlt ingestion plugin", file=manifest.file, line=at[0], column=at[1])))
    if isinstance(_get(ingestion, "config"), dict) and "catalog_config" in ingestion["config"]:
        at = manifest.key_at(("plugins", "ingestion", "config", "catalog_config"))
        found.append(error_for(diagnostic(
            "FLOE-E102", "plugins.ingestion.config.catalog_config is no longer read: the "
            "catalog and storage plugins supply it", file=manifest.file, line=at[0],
            column=at[1])))
    return found


def check_project(spec: Located, manifest: Located) -> list[FloeError]:
    """Every rule that needs both files."""
    return [*check_sinks(spec, manifest), *check_plugins(spec, manifest),
            *check_compile_needs(spec, manifest)]
