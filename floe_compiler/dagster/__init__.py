"""Destinations of a compiled artifact as Dagster assets (the `floe-compiler[dagster]` extra).

    from floe_compiler.dagster import definitions_from_artifact

    defs = definitions_from_artifact("target/compiled_artifacts.json", partitions=4)
"""

from floe_compiler.dagster.assets import FloeRunner, definitions_from_artifact

__all__ = ["FloeRunner", "definitions_from_artifact"]
