"""The `floe` command: parses arguments, runs the pipeline, prints. Nothing else.

Heavy modules are imported inside the command that needs them so that
`floe validate` (run by pre-commit on every commit) starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from floe_compiler import __version__

FORMATS = ("text", "json", "github", "sarif")


def _emit(report: object, fmt: str) -> None:
    from floe_compiler.reporters import RENDERERS

    r = report  # a pipeline.Report; typed loosely to keep this module import-light
    click.echo(RENDERERS[fmt](r.diagnostics, r.sources, r.files_checked), nl=False)  # type: ignore[attr-defined]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="floe")
def cli() -> None:
    """Validate and compile floe data products (floe.yaml) against platform manifests."""


@cli.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=1024 * 1024, show_default=True,
              help="Refuse files larger than this.")
def validate(paths: tuple[Path, ...], fmt: str, strict: bool, max_bytes: int) -> None:
    """Check floe.yaml / manifest.yaml files and report every problem.

    Exit status: 0 clean, 1 problems found, 2 a file could not be read.
    """
    from floe_compiler.pipeline import Options, validate_paths

    report = validate_paths(paths, Options(strict=strict, max_bytes=max_bytes))
    _emit(report, fmt)
    sys.exit(report.exit_code)


@cli.command("sinks")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True)
def sinks_command(fmt: str) -> None:
    """List installed sink connectors (entry points `floe.sinks`) and the sink types they serve.

    Exit status: 0, or 1 if a connector failed to load.
    """
    import json

    from floe_compiler.sinks.registry import installed_connectors

    found = installed_connectors()
    if fmt == "json":
        click.echo(json.dumps({"connectors": [
            {"name": c.name, "target": c.target, "distribution": c.distribution,
             "sink_types": c.sink_types, "error": c.error} for c in found]}, indent=2))
    else:
        rows = [("SINK TYPES", "CONNECTOR", "PACKAGE")] + [
            (", ".join(c.sink_types) or "-", f"{c.name} = {c.target}",
             c.distribution if not c.error else f"failed to load: {c.error}") for c in found]
        widths = [max(len(r[i]) for r in rows) for i in range(2)]
        for row in rows:
            click.echo(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip())
    sys.exit(1 if any(c.error for c in found) else 0)


_CATALOG_HELP = ("Iceberg catalog: an SQLAlchemy URL (SqlCatalog) or an http(s) URL (REST "
                 "catalog). Default: the embedded sqlite:///.floe/catalog.db.")
_WAREHOUSE_HELP = "Warehouse location for an SqlCatalog. Default: .floe/warehouse."


def _runner_missing(exc: ImportError) -> None:
    click.echo(f"floe: this command needs the runner extra ({exc.name or exc} is not "
               "installed): pip install 'floe-compiler[runner]'", err=True)
    sys.exit(2)


@cli.command("run")
@click.option("--artifact", "artifact_path", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("target/compiled_artifacts.json"), show_default=True,
              help="Compiled artifact from `floe compile`.")
@click.option("--destination", "destinations", multiple=True, metavar="NAME",
              help="Run only this destination (repeatable). Default: all.")
@click.option("--dry-run", is_flag=True,
              help="Read and batch the data and report what would be sent; send nothing.")
@click.option("--catalog-uri", envvar="FLOE_CATALOG_URI", help=_CATALOG_HELP)
@click.option("--warehouse", envvar="FLOE_WAREHOUSE", help=_WAREHOUSE_HELP)
def run_command(artifact_path: Path, destinations: tuple[str, ...], dry_run: bool,
                catalog_uri: str | None, warehouse: str | None) -> None:
    """Push each destination's gold table to its sink (reverse ETL).

    Secrets are read from /var/run/secrets/floe/<connection_secret_ref>/<key>, or from
    $FLOE_SECRETS_DIR/<connection_secret_ref>/<key>. Progress goes to stderr, a JSON
    report to stdout.

    Exit status: 0 every destination succeeded, 1 one failed, 2 bad usage or artifact.
    """
    import json

    try:
        from floe_compiler.runner.artifact import ArtifactError, read_artifact
        from floe_compiler.runner.catalog import (
            DEFAULT_CATALOG_URI,
            DEFAULT_WAREHOUSE,
            catalog_config,
        )
        from floe_compiler.runner.progress import ClickProgress
        from floe_compiler.runner.run import RunOptions, run_artifact
        from floe_compiler.runner.secrets import secrets_root
    except ImportError as exc:
        _runner_missing(exc)

    options = RunOptions(catalog_config(catalog_uri or DEFAULT_CATALOG_URI,
                                        warehouse or DEFAULT_WAREHOUSE),
                         secrets_root(), dry_run=dry_run)
    try:
        report = run_artifact(read_artifact(artifact_path), destinations, options,
                              ClickProgress(dry_run))
    except ArtifactError as exc:
        click.echo(f"floe run: {exc}", err=True)
        sys.exit(2)
    click.echo(json.dumps(report.as_dict(), indent=2))
    for destination in report.destinations:
        result = destination.result
        status = "ok" if result.success else "FAILED"
        verb = "to send" if dry_run else "delivered"
        rows = destination.rows_read if dry_run else result.rows_delivered
        click.echo(f"floe run: {destination.name}: {status}, {rows} rows {verb} in "
                   f"{len(destination.batches)} batch(es)", err=True)
        for error in result.errors:
            click.echo(f"  {error}", err=True)
    if not report.destinations:
        click.echo("floe run: the artifact has no destinations", err=True)
    sys.exit(0 if report.success else 1)


@cli.command("seed-demo", hidden=True)
@click.option("--catalog-uri", envvar="FLOE_CATALOG_URI", help=_CATALOG_HELP)
@click.option("--warehouse", envvar="FLOE_WAREHOUSE", help=_WAREHOUSE_HELP)
@click.option("--rows", type=click.IntRange(min=0), default=300, show_default=True)
@click.option("--replace", is_flag=True, help="Recreate the table if it exists.")
def seed_demo_command(catalog_uri: str | None, warehouse: str | None, rows: int,
                      replace: bool) -> None:
    """Create the demo's gold.customer_lifetime_value table in the catalog."""
    try:
        from floe_compiler.runner.catalog import (
            DEFAULT_CATALOG_URI,
            DEFAULT_WAREHOUSE,
            CatalogError,
            catalog_config,
            open_catalog,
        )
        from floe_compiler.runner.seed import seed_demo
    except ImportError as exc:
        _runner_missing(exc)

    config = catalog_config(catalog_uri or DEFAULT_CATALOG_URI, warehouse or DEFAULT_WAREHOUSE)
    try:
        seeded = seed_demo(open_catalog(config, create=True), rows, replace=replace)
    except CatalogError as exc:
        click.echo(f"floe seed-demo: {exc}", err=True)
        sys.exit(2)
    state = "created" if seeded.created else "already present (use --replace to recreate)"
    click.echo(f"{seeded.table}: {seeded.rows} rows, snapshot {seeded.snapshot_id}, {state}",
               err=True)


def main() -> None:
    import os

    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
    except Exception as exc:
        # Bad input is always a diagnostic; reaching here is a bug in floe itself.
        # Users get one line, not a traceback; FLOE_DEBUG=1 shows it.
        if os.environ.get("FLOE_DEBUG"):
            raise
        click.echo(f"floe: internal error ({type(exc).__name__}); please report it. "
                   "Set FLOE_DEBUG=1 for details.", err=True)
        sys.exit(3)
