"""floe's entry-point scan (`sinks/entry_points.py`) against importlib.metadata, on the
real environment the tests run in and on plugins installed into a directory."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

from floe_compiler.sinks.entry_points import entry_points


def theirs(group: str) -> list[tuple[str, str, str, str, str]]:
    return [(ep.name, ep.value, ep.group, ep.dist.name if ep.dist else "",
             ep.dist.version if ep.dist else "")
            for ep in importlib.metadata.entry_points(group=group)]


def ours(group: str) -> list[tuple[str, str, str, str, str]]:
    return [(ep.name, ep.value, ep.group, ep.distribution, ep.version)
            for ep in entry_points({group})]


def test_every_group_of_this_environment_reads_as_importlib_metadata_reads_it() -> None:
    groups = {ep.group for dist in importlib.metadata.distributions()
              for ep in dist.entry_points}
    assert {"console_scripts", "floe.sinks", "pytest11"} <= groups
    for group in sorted(groups):
        assert ours(group) == theirs(group), group  # the same, in the same order


def test_the_first_distribution_of_a_name_on_sys_path_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for site, version, points in ((first, "1.0", ""), (second, "2.0", "[floe.sinks]\nx = m:X\n"),
                                  (second, "3.0", "[floe.sinks]\ny = n:Y [extra]\n")):
        name = "other" if version == "3.0" else "Floe_Hub.Spot"
        info = site / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\n"
                                       f"Version: {version}\n\nName: not a header\n")
        if points:
            (info / "entry_points.txt").write_text(f"# comment\n{points}")
    monkeypatch.setattr(sys, "path", [str(first), str(second), str(tmp_path / "missing")])
    importlib.invalidate_caches()
    # floe_hub_spot 1.0 (no entry points) hides 2.0; `other` is read, extras and all.
    assert ours("floe.sinks") == theirs("floe.sinks") == [
        ("y", "n:Y [extra]", "floe.sinks", "other", "3.0")]
