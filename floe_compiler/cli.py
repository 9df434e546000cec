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
