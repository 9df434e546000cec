"""Shared helpers: tests read as a user's story - a YAML file in, an exit code and a
located message out."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable, Iterator
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
    output: str  # stdout and stderr, as a terminal shows them
    stdout: str = ""
    stderr: str = ""

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
        return Result(result.exit_code, result.output, result.stdout, result.stderr)

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


# --- floe run and sink connectors: a real Iceberg catalog, real secrets, real databases ---

TINY_RETRY = {"max_attempts": 3, "initial_backoff_seconds": 0.01, "max_backoff_seconds": 0.05}


def _unavailable(reason: str) -> None:
    """CI must exercise PostgreSQL, so there a missing server fails; locally it skips."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI is set: PostgreSQL tests may not be skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """SQLAlchemy URL of the throwaway cluster `pg_virtualenv` starts around `make test`."""
    if not os.environ.get("PGHOST"):
        _unavailable("PostgreSQL not configured: PGHOST is unset; run the tests under "
                     "pg_virtualenv (as `make test` does)")
    import psycopg
    from sqlalchemy import URL

    url = URL.create("postgresql+psycopg", username=os.environ.get("PGUSER"),
                     password=os.environ.get("PGPASSWORD"), host=os.environ["PGHOST"],
                     port=int(os.environ.get("PGPORT", "5432")),
                     database=os.environ.get("PGDATABASE", "postgres"))
    try:
        psycopg.connect(connect_timeout=5).close()
    except psycopg.Error as exc:
        _unavailable(f"PostgreSQL at {url.host}:{url.port} is not reachable: "
                     f"{type(exc).__name__}")
    return url.render_as_string(hide_password=False)


@pytest.fixture
def postgres_table(postgres_server: str) -> Iterator[str]:
    """A table name no other test uses; dropped afterwards."""
    import uuid

    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    engine = sa.create_engine(postgres_server)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
    engine.dispose()
