"""Installed sink connectors, found through the `floe.sinks` entry-point group.

A plugin package declares, in its pyproject.toml:

    [project.entry-points."floe.sinks"]
    hubspot = "floe_hubspot:HubSpotConnector"

The value may name a SinkConnector subclass, a factory returning one, or an
instance. Naming the entry point after the sink type it serves lets `floe run`
load just that plugin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from floe_compiler.sinks.base import SinkConnector

ENTRY_POINT_GROUP = "floe.sinks"


class UnknownSinkTypeError(LookupError):
    pass


@dataclass
class InstalledConnector:
    """One entry point: the connector it yields, or why it could not be loaded."""

    name: str
    target: str  # module:attribute
    distribution: str  # "package version", or "" when unknown
    connector: SinkConnector | None = None
    sink_types: list[str] = field(default_factory=list)
    error: str = ""


def installed_connectors() -> list[InstalledConnector]:
    """Every `floe.sinks` entry point, loaded, sorted by name."""
    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    return [load(ep) for ep in found]


def load(entry_point: EntryPoint) -> InstalledConnector:
    dist = entry_point.dist
    installed = InstalledConnector(entry_point.name, entry_point.value,
                                   f"{dist.name} {dist.version}" if dist else "")
    try:
        target = entry_point.load()
        connector = target if isinstance(target, SinkConnector) else target()
        if not isinstance(connector, SinkConnector):
            raise TypeError(f"{entry_point.value} is not a SinkConnector")
        installed.sink_types = list(connector.list_available_sinks())
        installed.connector = connector
    except Exception as exc:  # a broken plugin must not break the others or `floe sinks`
        installed.error = f"{type(exc).__name__}: {exc}"
    return installed


def connector_for(sink_type: str) -> SinkConnector:
    """The connector serving `sink_type`: the entry point of that name first, then any."""
    candidates = sorted(entry_points(group=ENTRY_POINT_GROUP),
                        key=lambda ep: (ep.name != sink_type, ep.name))
    loaded: list[InstalledConnector] = []
    for entry_point in candidates:
        installed = load(entry_point)
        if installed.connector is not None and sink_type in installed.sink_types:
            return installed.connector
        loaded.append(installed)
    available = sorted({t for c in loaded for t in c.sink_types})
    broken = [f"{c.name} ({c.error})" for c in loaded if c.error]
    raise UnknownSinkTypeError(
        f"no installed sink connector serves sink_type '{sink_type}' (available: "
        f"{', '.join(available) or 'none'}"
        + (f"; failed to load: {'; '.join(broken)}" if broken else "")
        + "); install the plugin that provides it")
