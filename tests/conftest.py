"""Shared helpers: tests read as a user's story - a YAML file in, an exit code and a
located message out."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from floe_compiler.cli import cli

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "upstream"
EXAMPLE = ROOT / "examples" / "customer-analytics"

VALID_SPEC = """\
apiVersion: floe.dev/v1
kind: FloeSpec
metadata:
  name: orders
  version: 1.0.0
  owner: data@acme.com
platform:
  manifest: manifest.yaml
transforms:
  - name: stg_orders
  - name: mart_orders
    dependsOn: [stg_orders]
"""

VALID_MANIFEST = """\
apiVersion: floe.dev/v1
kind: Manifest
metadata:
  name: acme-platform
  version: 1.0.0
  owner: platform@acme.com
plugins:
  compute:
    type: duckdb
"""


@dataclass
class Result:
    exit_code: int
    output: str

    def json(self) -> Any:
        return json.loads(self.output)

    def codes(self) -> list[str]:
        return [d["code"] for d in self.json()["diagnostics"]]


Run = Callable[..., Result]
Write = Callable[..., Path]


@pytest.fixture
def run() -> Run:
    def _run(*args: str | Path) -> Result:
        result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
        return Result(result.exit_code, result.output)

    return _run


@pytest.fixture
def write(tmp_path: Path) -> Write:
    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write
