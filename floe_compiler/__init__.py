"""floe-compiler: validate and compile floe data products against their platform manifest.

Library use:

    from floe_compiler import compile_project, SinkWhitelistError

    try:
        artifact = compile_project("floe.yaml")
    except* SinkWhitelistError as group:
        ...

Names are imported on first use, so `import floe_compiler` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; at run time each name is imported on first use
    from floe_compiler.diagnostics import Diagnostic, FloeError, Severity
    from floe_compiler.errors import (
        CompilationError,
        DependencyCycleError,
        DuplicateNameError,
        EnvironmentFieldError,
        HardcodedCredentialError,
        ManifestNotFoundError,
        PluginWhitelistError,
        SchemaError,
        SecretReferenceError,
        SinkWhitelistError,
        TemplateError,
        UnknownDependencyError,
    )
    from floe_compiler.models import DestinationConfig, FloeSpec, PlatformManifest
    from floe_compiler.models.artifact import CompiledArtifacts
    from floe_compiler.pipeline import Options, Source, compile_project, run, validate_paths

__version__ = "0.2.0"
# The project's home: pre-commit's `repo:` and the links to each code's documentation.
REPOSITORY = "https://github.com/floe-compiler/floe-compiler"

_EXPORTS = {
    "compile_project": "floe_compiler.pipeline",
    "validate_paths": "floe_compiler.pipeline",
    "Source": "floe_compiler.pipeline",
    "run": "floe_compiler.pipeline",
    "Options": "floe_compiler.pipeline",
    "Diagnostic": "floe_compiler.diagnostics",
    "Severity": "floe_compiler.diagnostics",
    "FloeError": "floe_compiler.diagnostics",
    "CompilationError": "floe_compiler.errors",
    "SinkWhitelistError": "floe_compiler.errors",
    "PluginWhitelistError": "floe_compiler.errors",
    "SchemaError": "floe_compiler.errors",
    "EnvironmentFieldError": "floe_compiler.errors",
    "SecretReferenceError": "floe_compiler.errors",
    "HardcodedCredentialError": "floe_compiler.errors",
    "DuplicateNameError": "floe_compiler.errors",
    "UnknownDependencyError": "floe_compiler.errors",
    "DependencyCycleError": "floe_compiler.errors",
    "ManifestNotFoundError": "floe_compiler.errors",
    "TemplateError": "floe_compiler.errors",
    "FloeSpec": "floe_compiler.models",
    "PlatformManifest": "floe_compiler.models",
    "DestinationConfig": "floe_compiler.models",
    "CompiledArtifacts": "floe_compiler.models.artifact",
}

__all__ = [  # a literal, so that tools see the re-exports
    "REPOSITORY",
    "CompilationError",
    "CompiledArtifacts",
    "DependencyCycleError",
    "DestinationConfig",
    "Diagnostic",
    "DuplicateNameError",
    "EnvironmentFieldError",
    "FloeError",
    "FloeSpec",
    "HardcodedCredentialError",
    "ManifestNotFoundError",
    "Options",
    "PlatformManifest",
    "PluginWhitelistError",
    "SchemaError",
    "SecretReferenceError",
    "Severity",
    "SinkWhitelistError",
    "Source",
    "TemplateError",
    "UnknownDependencyError",
    "__version__",
    "compile_project",
    "run",
    "validate_paths",
]


if not TYPE_CHECKING:  # hidden from type checkers, so that a misspelt name is an error

    def __getattr__(name: str) -> Any:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'floe_compiler' has no attribute {name!r}")
        import importlib

        return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
