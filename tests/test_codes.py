"""Every diagnostic code is documented and exercised by a test."""

from __future__ import annotations

from pathlib import Path

from floe_compiler.diagnostics import CODES
from tests.conftest import ROOT


def test_every_code_is_in_the_readme_and_in_a_test() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tests = "".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py")
                    if p.name != "test_codes.py")
    assert [c for c in CODES if f"| {c} |" not in readme] == []
    assert [c for c in CODES if f'"{c}"' not in tests and f"'{c}'" not in tests
            and f"{c} " not in tests] == []
