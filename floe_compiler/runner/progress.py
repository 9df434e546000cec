"""Progress on stderr while `floe run` sends batches (stdout carries the JSON report)."""

from __future__ import annotations

import sys
from typing import Any

import click


class ClickProgress:
    """One click progress bar per destination; a plain label line when not on a terminal."""

    def __init__(self, dry_run: bool = False) -> None:
        self._suffix = " (dry run)" if dry_run else ""
        self._bar: Any = None

    def start(self, destination: str, total_rows: int | None) -> None:
        self._bar = click.progressbar(length=total_rows or 0, label=destination + self._suffix,
                                      file=sys.stderr, show_pos=True)
        self._bar.__enter__()

    def advance(self, rows: int) -> None:
        if self._bar is not None:
            self._bar.update(rows)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
