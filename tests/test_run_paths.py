"""`manifests.RunPaths` resolves paths as `Path.resolve()` does, on a real directory tree
with symlinks (relative, absolute, up, down, dangling, looping), drawn by hypothesis."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from floe_compiler.manifests import RunPaths

PARTS = ["a", "b", "c", "up", "down", "abs", "dangling", "loop", "file", "..", ".", ""]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    for directory in ("a/b/c", "b/c", "c"):
        (root / directory).mkdir(parents=True, exist_ok=True)
    (root / "a" / "file").write_text("x")
    links = {"a/up": "..", "a/b/down": "c", "b/abs": str(root / "a" / "b"),
             "c/dangling": "nowhere/at/all", "a/b/c/loop": "../c/loop", "up": "a/b/c/.."}
    for link, target in links.items():
        os.symlink(target, root / link)
    return root


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(["up", "c", "loop"], ["a", "b", "c", "loop", "x"])  # loops: Path.resolve() raises
@given(st.lists(st.sampled_from(PARTS), max_size=7), st.lists(st.sampled_from(PARTS),
                                                               max_size=5))
def test_resolving_agrees_with_path_resolve(tree: Path, first: list[str],
                                            then: list[str]) -> None:
    paths = RunPaths()
    for parts in (first, first, then):  # twice: the second reads what the first learnt
        path = Path(str(tree) + "/" + "/".join(parts))
        assert outcome(paths.resolve, path) == outcome(Path.resolve, path), path
    real = tree.resolve()
    relative = "/".join(then)
    assert outcome(lambda r: paths.under(real, r), relative) \
        == outcome(lambda r: (real / r).resolve(), relative), relative


def outcome(resolve: Callable[[Any], Path], path: Any) -> Path | str:
    """The resolved path, or that a symlink loop was refused (Path.resolve() raises)."""
    try:
        return resolve(path)
    except RuntimeError:
        return "symlink loop"


def test_a_relative_path_resolves_from_the_working_directory(
        tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree / "a")
    for text in ("b/c", "up/b", "b/down", "../b/abs/c", "."):
        assert RunPaths().resolve(Path(text)) == Path(text).resolve(), text
