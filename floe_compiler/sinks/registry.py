"""Installed sink connectors, found through the `floe.sinks` entry-point group.

A plugin package declares, in its pyproject.toml:

    [project.entry-points."floe.sinks"]
    hubspot = "floe_hubspot:HubSpotConnector"

The value may name a SinkConnector subclass, a factory returning one, or an
instance; name the entry point after the sink type it serves. `floe run` loads every
connector entry point, so the report can say which others serve a destination's type.

When floe-core is installed, connectors written against it (`floe_core.plugins.sink.
SinkConnector` subclasses under `floe.sinks` or `floe.ingestion`, such as
floe-ingestion-dlt's `dlt`) are found too and wrapped (`upstream.py`). When several
connectors serve one sink type, floe's built-in wins, unless the destination's
`config.connector` names another (by entry-point or distribution name).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from floe_compiler.sinks.base import SinkConnector
from floe_compiler.sinks.entry_points import EntryPoint, entry_points
from floe_compiler.sinks.upstream import UpstreamConnector, is_upstream, upstream_base

ENTRY_POINT_GROUP = "floe.sinks"
UPSTREAM_ONLY_GROUP = "floe.ingestion"  # floe's plugins: only its SinkConnectors are ours
OUR_DISTRIBUTION = "floe-compiler"


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
    group: str = ENTRY_POINT_GROUP
    upstream: bool = False  # a floe-core connector, run through `UpstreamConnector`

    @property
    def builtin(self) -> bool:
        return self.distribution.split(" ")[0] == OUR_DISTRIBUTION

    def answers_to(self, name: str) -> bool:
        """Whether `config.connector: name` names this connector."""
        return name in (self.name, self.distribution.split(" ")[0], self.distribution)

    def as_dict(self) -> dict[str, str]:
        package, _, version = self.distribution.partition(" ")
        return {"entry_point": self.name, "group": self.group, "distribution": package,
                "version": version, "api": "floe-core" if self.upstream else "floe"}


@dataclass
class Served:
    """The connector chosen for a destination, and why (for the run report)."""

    installed: InstalledConnector
    connector: SinkConnector
    also: list[InstalledConnector] = field(default_factory=list)  # others serving the type
    reason: str = ""

    def as_dict(self) -> dict[str, object]:
        return {**self.installed.as_dict(), "reason": self.reason,
                "also_served_by": [f"{c.name} ({c.distribution})" for c in self.also]}


def _entry_points() -> list[EntryPoint]:
    found = entry_points({ENTRY_POINT_GROUP, UPSTREAM_ONLY_GROUP})
    if not any(ep.group == UPSTREAM_ONLY_GROUP for ep in found) or upstream_base() is None:
        found = [ep for ep in found if ep.group == ENTRY_POINT_GROUP]
    return sorted(found, key=lambda ep: ep.group != ENTRY_POINT_GROUP)  # stable


def _distribution(entry_point: EntryPoint) -> str:
    if not entry_point.distribution:
        return ""
    return f"{entry_point.distribution} {entry_point.version}"


def installed_connectors() -> list[InstalledConnector]:
    """Every connector entry point, loaded, sorted by name (floe.ingestion ones only when
    they are floe-core SinkConnectors)."""
    found = sorted(_entry_points(), key=lambda ep: (ep.name, ep.group))
    return [c for c in (load(ep) for ep in found) if c is not None]


def load(entry_point: EntryPoint) -> InstalledConnector | None:
    """The connector of an entry point (None: a floe.ingestion plugin that is no sink)."""
    installed = InstalledConnector(entry_point.name, entry_point.value,
                                   _distribution(entry_point), group=entry_point.group)
    try:
        target = entry_point.load()
        if entry_point.group == UPSTREAM_ONLY_GROUP and not is_upstream(target):
            return None
        if is_upstream(target):
            installed.upstream = True
            connector: object = UpstreamConnector(
                target() if isinstance(target, type) else target)
        else:
            connector = target if isinstance(target, SinkConnector) else target()
        if not isinstance(connector, SinkConnector):
            raise TypeError(f"{entry_point.value} is not a SinkConnector")
        installed.sink_types = list(connector.list_available_sinks())
        installed.connector = connector
        if installed.upstream:  # started to be asked; started again when it is used
            close_connector(connector)
    except Exception as exc:  # a broken plugin must not break the others or `floe sinks`
        installed.error = f"{type(exc).__name__}: {exc}"
    return installed


def serving(sink_type: str, preferred: str | None = None) -> Served:
    """The connector serving `sink_type`: the one `preferred` names, else floe's built-in,
    else the entry point named after the type, else the first by name."""
    loaded = installed_connectors()
    able = [c for c in loaded if c.connector is not None and sink_type in c.sink_types]
    able.sort(key=lambda c: (not c.builtin, c.name != sink_type, c.name, c.group))
    if preferred:
        named = [c for c in able if c.answers_to(preferred)]
        if not named:
            offered = ", ".join(f"{c.name} ({c.distribution})" for c in able) or "none"
            raise UnknownSinkTypeError(
                f"config.connector '{preferred}' names no installed connector serving "
                f"sink_type '{sink_type}' (serving it: {offered})")
        chosen, reason = named[0], f"config.connector names '{preferred}'"
    elif able:
        chosen = able[0]
        reason = ("the only installed connector serving it" if len(able) == 1 else
                  "floe's built-in wins (set config.connector to choose another)"
                  if chosen.builtin else "first by entry-point name")
    else:
        available = sorted({t for c in loaded for t in c.sink_types})
        broken = [f"{c.name} ({c.error})" for c in loaded if c.error]
        raise UnknownSinkTypeError(
            f"no installed sink connector serves sink_type '{sink_type}' (available: "
            f"{', '.join(available) or 'none'}"
            + (f"; failed to load: {'; '.join(broken)}" if broken else "")
            + "); install the plugin that provides it")
    assert chosen.connector is not None
    return Served(chosen, chosen.connector, [c for c in able if c is not chosen], reason)


def connector_for(sink_type: str) -> SinkConnector:
    """The connector serving `sink_type` (see `serving`)."""
    return serving(sink_type).connector


def close_connector(connector: SinkConnector) -> None:
    """End a connector's lifecycle (a floe-core plugin's shutdown()), when it has one."""
    closer = getattr(connector, "close", None)
    if callable(closer):
        closer()


@dataclass
class SinkTypes:
    """What the installed connectors serve: each sink type with the connector `floe run`
    would choose for it (floe's built-in first), and the plugins that failed to load."""

    served: dict[str, InstalledConnector]
    broken: list[InstalledConnector]


def sink_types() -> SinkTypes:
    """Every sink type installed connectors serve. floe's own built-ins are not imported
    (they are named after the one type each serves); other plugins are loaded and asked
    (floe-core ones started for that, and shut down again)."""
    found: list[InstalledConnector] = []
    for entry_point in _entry_points():
        if entry_point.distribution == OUR_DISTRIBUTION:
            found.append(InstalledConnector(entry_point.name, entry_point.value,
                                            _distribution(entry_point),
                                            sink_types=[entry_point.name]))
            continue
        installed = load(entry_point)
        if installed is not None:
            found.append(installed)
    found.sort(key=lambda c: (not c.builtin, c.name, c.group))
    served: dict[str, InstalledConnector] = {}
    for connector in found:
        for sink_type in connector.sink_types:
            served.setdefault(sink_type, connector)
    return SinkTypes(served, [c for c in found if c.error])
