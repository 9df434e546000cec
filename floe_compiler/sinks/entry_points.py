"""Installed entry points of some groups, read straight from the distributions' files.

`floe validate` looks the installed sink connectors up for every floe.yaml that has
destinations (FLOE-W210). Through importlib.metadata that cost ~35 ms of a ~100 ms
pre-commit run: ~20 ms to import it (it brings in the email package) and ~10 ms to
build a Distribution per installed package. This reads the same files the same way,
and no more than the groups asked for need:

- each sys.path directory, in order: its `*.dist-info` and `*.egg-info` directories,
  or the `EGG-INFO` of a directory `*.egg` on sys.path;
- one distribution per normalized name, the first found, as importlib.metadata's
  `entry_points()` keeps it (one without entry points still hides a later one);
- `entry_points.txt`: `[group]` sections of `name = value` lines;
- the distribution's `Name` and `Version` from the headers of its METADATA (PKG-INFO
  for eggs), read only for a distribution that has an entry point asked for.

Zip files on sys.path (zipped eggs) are not searched; importlib.metadata would. A test
compares every group of the test environment with importlib.metadata's answer.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EntryPoint:
    name: str
    value: str  # module:attribute, maybe with [extras]
    group: str
    distribution: str  # the distribution's Name, "" if its metadata has none
    version: str

    def load(self) -> Any:
        """The object the value names, imported as importlib.metadata loads it."""
        module, _, attributes = self.value.partition(":")
        target: Any = importlib.import_module(module.strip())
        for attribute in attributes.split("[")[0].strip().split("."):
            if attribute:
                target = getattr(target, attribute)
        return target


def entry_points(groups: Collection[str]) -> list[EntryPoint]:
    """The entry points of these groups, in the order importlib.metadata lists them."""
    found: list[EntryPoint] = []
    seen: set[str] = set()
    for directory, stem in _distributions():
        name = _normalize(stem)
        if name in seen:
            continue
        seen.add(name)
        found += _read(directory, groups)
    return found


def _distributions() -> Iterator[tuple[str, str]]:
    """(metadata directory, name from its file name) of each distribution on sys.path."""
    for root in sys.path:
        try:
            children = os.listdir(root or ".")
        except OSError:  # missing, a file, or a zip file
            continue
        base = os.path.basename(root).lower()
        infos: dict[str, list[str]] = {}  # by name, in first-seen order, as importlib's
        eggs: list[tuple[str, str]] = []
        for child in children:
            low = child.lower()
            if low.endswith((".dist-info", ".egg-info")):
                stem = low.rpartition(".")[0].partition("-")[0]
                infos.setdefault(_normalize(stem), []).append(os.path.join(root, child))
            elif base.endswith(".egg") and low == "egg-info":
                eggs.append((os.path.join(root, child), base.rpartition(".")[0].partition("-")[0]))
        for name, paths in infos.items():
            for path in paths:
                yield path, name
        yield from eggs


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def _read(directory: str, groups: Collection[str]) -> list[EntryPoint]:
    try:
        with open(os.path.join(directory, "entry_points.txt"), encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return []
    pairs: list[tuple[str, str, str]] = []
    group = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line.strip("[]")
        elif group is not None and group in groups:
            name, _, value = line.partition("=")
            pairs.append((name.strip(), value.strip(), group))
    if not pairs:
        return []
    name, version = _name_and_version(directory)
    return [EntryPoint(n, v, g, name, version) for n, v, g in pairs]


def _name_and_version(directory: str) -> tuple[str, str]:
    """`Name` and `Version` from the metadata's headers (they end at the first blank line)."""
    headers: dict[str, str] = {}
    for file in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(directory, file), encoding="utf-8") as handle:
                for line in handle:
                    if not line.strip():
                        break
                    key, colon, value = line.partition(":")
                    if colon and key in ("Name", "Version") and key not in headers:
                        headers[key] = value.strip()
            break
        except (OSError, UnicodeDecodeError):
            continue
    return headers.get("Name", ""), headers.get("Version", "")
