"""What the command line's arguments name, as pipeline sources: files, directories (every
floe.yaml and manifest.yaml below them) and `-`, standard input."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from floe_compiler.diagnostics import Diagnostic, diagnostic
from floe_compiler.pipeline import Source

STDIN = Path("-")
STDIN_NAME = "<stdin>"
FLOE_FILE_NAMES = frozenset({"floe.yaml", "floe.yml", "manifest.yaml", "manifest.yml"})
GIT_TIMEOUT_SECONDS = 30


def sources_for(paths: Sequence[Path], stdin: BinaryIO, *, stdin_filename: str | None,
                max_bytes: int) -> tuple[list[Source], list[Diagnostic]]:
    """One source per file: a directory stands for the floe files below it, `-` for standard
    input (named, for kind detection and the manifest search, by `stdin_filename`)."""
    sources: list[Source] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if path == STDIN:
            # One byte past the limit is enough for the loader to say FLOE-E009.
            data = stdin.read(max_bytes + 1)
            name = stdin_filename or STDIN_NAME
            sources.append(Source(name, data, Path(stdin_filename) if stdin_filename
                                  else Path.cwd() / STDIN_NAME))
        elif path.is_dir():
            found = floe_files_under(path)
            if not found:
                problems.append(diagnostic(
                    "FLOE-E001", "no floe.yaml or manifest.yaml (.yml) below this directory",
                    file=str(path), hint="Pass the directory that holds the product's files."))
            sources += [Source.from_path(p) for p in found]
        else:
            sources.append(Source.from_path(path))
    return sources, problems


def floe_files_under(directory: Path) -> list[Path]:
    """floe.yaml / manifest.yaml files below `directory`, sorted. In a git work tree, what
    git would track (.gitignore honoured); elsewhere every such file outside hidden
    directories."""
    listed = _git_files(directory)
    if listed is None:
        listed = []
        for top, dirs, files in os.walk(directory):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            listed += [Path(top) / f for f in files if f in FLOE_FILE_NAMES]
    return sorted(p for p in listed if p.name in FLOE_FILE_NAMES and p.is_file())


def _git_files(directory: Path) -> list[Path] | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(directory), "ls-files", "-z", "--cached", "--others",
             "--exclude-standard", "--", *(f":(glob)**/{name}" for name in FLOE_FILE_NAMES)],
            capture_output=True, timeout=GIT_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.SubprocessError):  # no git, or it hung
        return None
    if proc.returncode != 0:  # not a work tree
        return None
    return [directory / name for name in proc.stdout.decode("utf-8", "surrogateescape")
            .split("\0") if name]
