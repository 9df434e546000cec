"""Exceptions for library users. Each carries the `Diagnostic` the CLI would print.

`compile_project` raises one `CompilationError` (an ExceptionGroup) holding every
error, so callers can handle one kind and let the rest propagate:

    try:
        compile_project("floe.yaml")
    except* SinkWhitelistError as group:
        ...
"""

from __future__ import annotations

from collections.abc import Sequence

from floe_compiler.diagnostics import Diagnostic, FloeError


class SchemaError(FloeError):
    """A file does not match its schema, or cannot be read as YAML."""


class EnvironmentFieldError(FloeError):
    """floe.yaml holds an environment-specific field (host, port, database, ...)."""


class SecretReferenceError(FloeError):
    """`connection_secret_ref` is not a valid Kubernetes Secret name."""


class HardcodedCredentialError(FloeError):
    """A credential is written into a file instead of referenced from a Secret."""


class DuplicateNameError(FloeError):
    """Two transforms or two destinations share a name."""


class UnknownDependencyError(FloeError):
    """`dependsOn` names a transform that floe.yaml does not define (a warning: it may be a
    dbt model defined elsewhere; raised only with `strict`)."""


class DependencyCycleError(FloeError):
    """Transforms depend on each other in a cycle."""

    def __init__(self, diag: Diagnostic, cycle: Sequence[str]) -> None:
        super().__init__(diag)
        self.cycle = list(cycle)


class ManifestNotFoundError(FloeError):
    """The platform manifest could not be located."""


class TemplateError(FloeError):
    """A Jinja expression failed to render."""


class SinkWhitelistError(FloeError):
    """A destination uses a sink type the platform has not approved."""

    def __init__(self, sink_type: str, approved_sinks: Sequence[str], diag: Diagnostic) -> None:
        super().__init__(diag)
        self.sink_type = sink_type
        self.approved_sinks = list(approved_sinks)


class PluginWhitelistError(FloeError):
    """A plugin selection is not in the platform's `approved_plugins` for its category."""

    def __init__(self, category: str, plugin_type: str, approved_plugins: Sequence[str],
                 diag: Diagnostic) -> None:
        super().__init__(diag)
        self.category = category
        self.plugin_type = plugin_type
        self.approved_plugins = list(approved_plugins)


_BY_CODE: dict[str, type[FloeError]] = {
    "FLOE-E106": EnvironmentFieldError,
    "FLOE-E107": SecretReferenceError,
    "FLOE-E108": DuplicateNameError,
    "FLOE-E203": HardcodedCredentialError,
    "FLOE-W201": HardcodedCredentialError,
    "FLOE-W204": UnknownDependencyError,  # an error only with --strict
    "FLOE-E206": ManifestNotFoundError,
}


def error_for(diag: Diagnostic) -> FloeError:
    """The exception for a diagnostic produced without one (schema and file rules)."""
    if diag.code.startswith("FLOE-E3"):
        return TemplateError(diag)
    return _BY_CODE.get(diag.code, SchemaError)(diag)


class CompilationError(ExceptionGroup[FloeError]):
    """Every error found while compiling a project."""

    def __new__(cls, message: str, errors: Sequence[FloeError]) -> CompilationError:
        return super().__new__(cls, message, list(errors))

    def derive(self, excs: Sequence[FloeError]) -> CompilationError:  # type: ignore[override]
        return CompilationError(self.message, excs)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [e.diagnostic for e in self.exceptions if isinstance(e, FloeError)]
