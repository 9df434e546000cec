"""Destinations of a compiled artifact as Dagster assets (the `floe-compiler[dagster]` extra).

    from floe_compiler.dagster import definitions_from_artifact

    defs = definitions_from_artifact("target/compiled_artifacts.json", partitions=4)

Dagster is imported on first use of these names, so that `floe dagster scaffold`
(location.py) works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from floe_compiler.dagster.assets import FloeRunner, definitions_from_artifact

__all__ = ["FloeRunner", "definitions_from_artifact"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from floe_compiler.dagster import assets

        return getattr(assets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
