"""Shell completion as the README sets it up: the shell asks `floe` itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FLOE = Path(sys.executable).parent / "floe"


def complete(shell: str, words: str, cword: int) -> str:
    env = {**os.environ, "_FLOE_COMPLETE": f"{shell}_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(cword)}
    return subprocess.run([str(FLOE)], env=env, capture_output=True, text=True, timeout=60,
                          check=True).stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_documented_shell_gets_a_script(shell: str) -> None:
    env = {**os.environ, "_FLOE_COMPLETE": f"{shell}_source"}
    script = subprocess.run([str(FLOE)], env=env, capture_output=True, text=True, timeout=60,
                            check=True).stdout
    assert "_FLOE_COMPLETE" in script


def test_commands_and_options_complete() -> None:
    assert "validate" in complete("bash", "floe val", 1)
    assert "explain" in complete("bash", "floe ex", 1)
    assert "--strict" in complete("bash", "floe validate --st", 2)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_readme_line_works_in_a_real_bash() -> None:
    line = 'eval "$(_FLOE_COMPLETE=bash_source floe)"; COMP_WORDS=(floe comp); COMP_CWORD=1; ' \
           '_floe_completion floe; echo "${COMPREPLY[@]}"'
    env = {**os.environ, "PATH": f"{FLOE.parent}{os.pathsep}{os.environ['PATH']}"}
    out = subprocess.run(["bash", "-c", line], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.split() == ["compile"]
