"""Timing helpers: whole-process wall time, medians, and peak memory of a child process."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

# Measure installed code as installed: pip byte-compiles packages, so the .pyc files of
# an editable checkout must be allowed to be written (some shells set
# PYTHONDONTWRITEBYTECODE, which would recompile floe's modules on every start).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(argv: Sequence[str], repeat: int, ok: Sequence[int] = (0,)) -> float:
    """Median wall time of running `argv` to completion, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, check=False, env=ENV)
        times.append(time.perf_counter() - start)
        if proc.returncode not in ok:
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n"
                               f"{proc.stdout.decode()[-2000:]}{proc.stderr.decode()[-2000:]}")
    return statistics.median(times)


def interleaved(commands: dict[str, Sequence[str]], repeat: int) -> dict[str, float]:
    """Median wall time of each command, runs interleaved so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # warm-up: byte-compile, fill the OS file cache
        wall(argv, 1)
    for _ in range(repeat):
        for name, argv in commands.items():
            times[name].append(wall(argv, 1))
    return {name: statistics.median(values) for name, values in times.items()}


def child(code: str, *args: str) -> dict[str, float]:
    """Run `code` in a fresh interpreter; it prints one JSON object, which is returned."""
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, check=False, env=ENV)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result
