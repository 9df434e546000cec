"""Colour (--color, NO_COLOR, FORCE_COLOR, a terminal) and -q, as ruff users expect them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import VALID_SPEC, Write

ESC = "\x1b["
BROKEN = VALID_SPEC.replace("version: 1.0.0", "version: '1.0'")


def floe(*args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run([sys.executable, "-m", "floe_compiler", *map(str, args)],
                          capture_output=True, text=True, timeout=60, env={**clean, **env})


@pytest.mark.parametrize(("args", "env", "colored"), [
    ((), {}, False),                                        # a pipe: no colour
    ((), {"FORCE_COLOR": "1"}, True),
    ((), {"FORCE_COLOR": "0"}, False),
    ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),     # NO_COLOR wins over FORCE_COLOR
    (("--color", "always"), {"NO_COLOR": "1"}, True),       # the flag wins over both
    (("--color", "never"), {"FORCE_COLOR": "1"}, False),
])
def test_colour_follows_the_flag_then_the_environment(write: Write, args: tuple[str, ...],
                                                      env: dict[str, str], colored: bool) -> None:
    proc = floe("validate", *args, write("floe.yaml", BROKEN), **env)
    assert proc.returncode == 1
    assert (ESC in proc.stdout) is colored
    if colored:
        assert f"{ESC}1;31mFLOE-E104 error:{ESC}0m" in proc.stdout
        assert f"{ESC}36mhint:{ESC}0m" in proc.stdout


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("no_color", ["", "1"])
def test_a_terminal_gets_colour_unless_no_color(write: Write, no_color: str) -> None:
    path = write("floe.yaml", BROKEN)
    leader, follower = os.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    if no_color:
        env["NO_COLOR"] = no_color
    proc = subprocess.Popen([sys.executable, "-m", "floe_compiler", "validate", str(path)],
                            stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=60) == 1
    assert (ESC.encode() in b"".join(chunks)) is not bool(no_color)


def test_quiet_prints_the_findings_and_nothing_else(write: Write, tmp_path: Path) -> None:
    loud = floe("validate", write("floe.yaml", BROKEN))
    quiet = floe("validate", "-q", tmp_path / "floe.yaml")
    assert quiet.returncode == loud.returncode == 1
    assert "1 file checked" in loud.stdout and "checked" not in quiet.stdout
    assert quiet.stdout == loud.stdout[:loud.stdout.index("\n1 file checked")]
    clean = floe("validate", "-q", write("floe.yaml", VALID_SPEC))
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "")


def test_quiet_compile_says_nothing_on_success(write: Write, tmp_path: Path) -> None:
    write("manifest.yaml", "apiVersion: floe.dev/v1\nkind: Manifest\nmetadata:\n  name: acme\n"
          "  version: 1.0.0\n  owner: p@acme.com\nplugins:\n  compute:\n    type: duckdb\n"
          "  orchestrator:\n    type: dagster\n")
    spec = write("floe.yaml", VALID_SPEC)
    out = tmp_path / "a.json"
    proc = floe("compile", "-q", "--spec", spec, "--output", out)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert out.is_file()
    proc = floe("compile", "-q", "--check", "--spec", spec, "--output", out)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
