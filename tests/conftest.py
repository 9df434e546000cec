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
# The shared corpus of upstream files lives beside the checkout (or beside the directory
# of worktrees that holds it).
CORPUS = next((d / "shared" / "corpus" / "upstream" for d in (ROOT.parent, ROOT.parent.parent)
               if (d / "shared" / "corpus" / "upstream").is_dir()),
              ROOT.parent / "shared" / "corpus" / "upstream")
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
  orchestrator:
    type: dagster
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
        return json.loads(self.stdout or self.output)  # a compile's summary goes to stderr

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


@dataclass
class Lakehouse:
    """An embedded Iceberg catalog (pyiceberg SqlCatalog on SQLite) in a temp directory."""

    root: Path

    @property
    def options(self) -> list[str]:
        return ["--catalog-uri", f"sqlite:///{self.root / 'catalog.db'}",
                "--warehouse", str(self.root / "warehouse")]

    def catalog(self) -> Any:
        from floe_compiler.runner.catalog import catalog_config, open_catalog

        return open_catalog(catalog_config(f"sqlite:///{self.root / 'catalog.db'}",
                                           str(self.root / "warehouse")), create=True)

    def seed(self, rows: int = 300) -> int:
        """The demo's gold.customer_lifetime_value; returns its snapshot id."""
        from floe_compiler.runner.seed import seed_demo

        snapshot_id = seed_demo(self.catalog(), rows).snapshot_id
        assert snapshot_id is not None
        return snapshot_id

    def create(self, name: str, data: Any, *, append: bool = True) -> Any:
        catalog = self.catalog()
        catalog.create_namespace_if_not_exists(name.split(".")[0])
        table = catalog.create_table(name, schema=data.schema)
        if append:
            table.append(data)
        return table


@pytest.fixture(autouse=True)
def sync_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own sync state, rejects and local ledger (floe run keeps them in .floe/
    of the working directory)."""
    path = tmp_path / ".floe" / "sync_state.db"
    monkeypatch.setenv("FLOE_STATE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("FLOE_REJECTS_DIR", str(tmp_path / ".floe" / "rejects"))
    monkeypatch.setenv("FLOE_LEDGER_PATH", str(tmp_path / ".floe" / "deliveries.sqlite"))
    return path


@pytest.fixture
def lakehouse(tmp_path: Path) -> Lakehouse:
    return Lakehouse(tmp_path / "lakehouse")


Secrets = Callable[[str, dict[str, str]], Path]


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Secrets:
    """Writes a secret as Kubernetes mounts it (one file per key) under $FLOE_SECRETS_DIR;
    writing it again updates it, as Kubernetes updates a mounted secret."""
    root = tmp_path / "secrets"
    root.mkdir()
    monkeypatch.setenv("FLOE_SECRETS_DIR", str(root))

    def _secret(ref: str, values: dict[str, str]) -> Path:
        directory = root / ref
        directory.mkdir(exist_ok=True)
        for key, value in values.items():
            (directory / key).write_text(value + "\n", encoding="utf-8")
        return directory

    return _secret


def destination(name: str = "warehouse-export", **fields: Any) -> dict[str, Any]:
    """A compiled destination, shaped as `floe compile` emits it."""
    return {"name": name, "sink_type": "sql_database", "connection_secret_ref": f"{name}-secret",
            "source_table": "gold.customer_lifetime_value",
            "config": {"table": "customer_lifetime_value", "mode": "upsert",
                       "primary_key": ["customer_id"]},
            "field_mapping": None, "batch_size": 100, "retry_config": TINY_RETRY, **fields}


def write_artifact(path: Path, *destinations: dict[str, Any]) -> Path:
    path.write_text(json.dumps({
        "schema_version": "1.0.0", "compiler_version": "0.1.0",
        "product": {"name": "customer-analytics", "version": "1.2.0"},
        "destinations": list(destinations)}), encoding="utf-8")
    return path


def _unavailable(reason: str, what: str = "PostgreSQL tests") -> None:
    """CI must exercise every real dependency (PostgreSQL, the editor's language
    server), so there a missing one fails; locally it skips."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI is set: {what} may not be skipped)", pytrace=False)
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


@pytest.fixture(scope="session")
def native_loader() -> None:
    """The loader's C fast path (floe_compiler._yamlfast) is built: CI installs libyaml-dev,
    so there a build that silently fell back to the Python path fails."""
    try:
        import floe_compiler._yamlfast  # noqa: F401
    except ImportError as exc:
        _unavailable(f"the C loader is not built ({exc}); install libyaml-dev and run "
                     "`make venv`", "the C loader's tests")
