"""floe_compiler.sinks has floe-core's surface: the same SinkConnector methods, the same
SinkConfig and EgressResult fields (names, types, defaults, order), and the error types
of floe's plugins, with the same constructors. Compared by introspection with the real
floe-core 0.1.0a1 (the errors: floe-ingestion-dlt 0.1.0a1, where they live)."""

from __future__ import annotations

import dataclasses
import inspect
from enum import Enum
from typing import Any

import floe_core.plugins.sink as theirs
import floe_ingestion_dlt.errors as their_errors
import pytest

import floe_compiler.sinks as ours


def fields(cls: type) -> list[tuple[str, str, Any]]:
    """(name, annotation, default) of each field, in order; a factory's product."""
    assert dataclasses.is_dataclass(cls)
    return [(f.name, str(f.type),
             f.default if f.default is not dataclasses.MISSING else
             f.default_factory() if f.default_factory is not dataclasses.MISSING else
             "<required>") for f in dataclasses.fields(cls)]


def parameters(function: Any) -> list[tuple[str, str, Any]]:
    """(name, kind, default) of each parameter; an enum default by its value."""
    return [(p.name, p.kind.name, p.default.value if isinstance(p.default, Enum) else
             p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("name", ["SinkConfig", "EgressResult"])
def test_the_data_model_has_the_same_fields(name: str) -> None:
    assert fields(getattr(ours, name)) == fields(getattr(theirs, name))


def test_sink_connector_has_the_same_abstract_methods() -> None:
    assert ours.SinkConnector.__abstractmethods__ == theirs.SinkConnector.__abstractmethods__
    for method in sorted(theirs.SinkConnector.__abstractmethods__):
        assert parameters(getattr(ours.SinkConnector, method)) == \
            parameters(getattr(theirs.SinkConnector, method)), method


@pytest.mark.parametrize("name", ["SinkConfigurationError", "SinkWriteError",
                                  "SinkConnectionError"])
def test_the_errors_have_the_same_constructor(name: str) -> None:
    mine, upstream = getattr(ours, name), getattr(their_errors, name)
    assert parameters(mine.__init__) == parameters(upstream.__init__)
    made = [cls("refused", source_type="rest_api", destination_table="gold.t",
                pipeline_name="p") for cls in (mine, upstream)]
    assert [str(e) for e in made[:1]] == [str(e) for e in made[1:]]
    assert [(e.message, e.source_type, e.destination_table, e.pipeline_name,
             e.category.value) for e in made[:1]] == \
        [(e.message, e.source_type, e.destination_table, e.pipeline_name,
          e.category.value) for e in made[1:]]


def test_the_error_categories_are_the_same() -> None:
    assert [(c.name, c.value) for c in ours.ErrorCategory] == \
        [(c.name, c.value) for c in their_errors.ErrorCategory]
