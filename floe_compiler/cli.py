"""The `floe` command: parses arguments, runs the pipeline, prints. Nothing else.

Heavy modules are imported inside the command that needs them so that
`floe validate` (run by pre-commit on every commit) starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from floe_compiler import __version__

FORMATS = ("text", "json", "github", "sarif")
DEFAULT_MAX_BYTES = 1024 * 1024  # as loader.DEFAULT_MAX_BYTES, without importing the loader


def _emit(report: object, fmt: str) -> None:
    import os

    from floe_compiler.reporters import RENDERERS, render_step_summary, render_text

    r = report  # a pipeline.Report; typed loosely to keep this module import-light
    if fmt == "text":
        color = _color()
        click.echo(render_text(r.diagnostics, r.sources, r.files_checked, color=color,  # type: ignore[attr-defined]
                               summary=not _quiet()), nl=False, color=color)
    else:
        click.echo(RENDERERS[fmt](r.diagnostics, r.sources, r.files_checked), nl=False)  # type: ignore[attr-defined]
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if fmt == "github" and summary:  # the job's summary page, beside the annotations
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(render_step_summary(r.diagnostics, r.files_checked))  # type: ignore[attr-defined]
        except OSError as exc:
            click.echo(f"floe: cannot append to $GITHUB_STEP_SUMMARY: {exc.strerror or exc}",
                       err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="floe")
def cli() -> None:
    """Validate and compile floe data products (floe.yaml) against platform manifests."""


F = TypeVar("F", bound=Callable[..., Any])


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Output settings every command reads the same way (see `_color`, `_quiet`)."""
    ctx.meta[f"floe.{param.name}"] = value


def _color() -> bool:
    """--color, else NO_COLOR (https://no-color.org), else FORCE_COLOR, else a terminal."""
    import os

    choice = click.get_current_context().meta.get("floe.color", "auto")
    if choice != "auto":
        return bool(choice == "always")
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "0") not in ("", "0"):
        return True
    return sys.stdout.isatty()


def _quiet() -> bool:
    return bool(click.get_current_context().meta.get("floe.quiet", False))


def _input_options(command: F) -> F:
    """The options `validate`, `compile` and `check` share: output format and its colour and
    verbosity, strictness, limits, vars."""
    for option in reversed([
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                     show_default=True),
        click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_remember,
                     help="Print the findings and nothing else (no summary, no success "
                          "message)."),
        click.option("--color", type=click.Choice(("auto", "always", "never")),
                     default="auto", show_default=True, expose_value=False,
                     callback=_remember,
                     help="Colour text output; auto: on a terminal, unless NO_COLOR is set "
                          "(FORCE_COLOR forces it)."),
        click.option("--strict", is_flag=True, help="Treat warnings as errors."),
        click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES,
                     show_default=True, help="Refuse input files larger than this."),
        click.option("--vars", "variables", metavar="YAML|@FILE",
                     help="Values for {{ var('name') }}: YAML or JSON such as '{n: 500}', "
                          "or @file."),
    ]):
        command = option(command)
    return command


# Set by `main` (the console script): only then may a command change the process
# (environment, garbage collector); `cli` called in-process leaves them as they were.
_OWN_PROCESS = False
# Set by a command that leaves nothing to clean up (validate, check, compile: files are
# written atomically and closed): `main` then ends the process without tearing down the
# interpreter, which frees every object one by one (~0.5 s after 100k transforms).
_QUICK_EXIT = False


def _nothing_to_clean_up() -> None:
    global _QUICK_EXIT
    _QUICK_EXIT = _OWN_PROCESS


def _end(code: int) -> NoReturn:
    """End a command that has nothing to clean up. In a process of ours, end it right
    here, while the command still holds its objects: returning first would free the
    document, the models and the artifact one by one (~40 ms at 10k transforms, ~0.45 s
    at 100k), only for the process to end."""
    if _QUICK_EXIT:
        _exit_now(code)
    sys.exit(code)


def _exit_now(code: int) -> NoReturn:
    import contextlib
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe
            stream.flush()
    os._exit(code)


def _without_pydantic_plugins() -> None:
    """A short run in a process of ours: skip Pydantic's plugin discovery (a scan of every
    installed distribution's entry points, ~12 ms), as PYDANTIC_DISABLE_PLUGINS allows.
    Only a file with a finding imports Pydantic at all (fastpath.py)."""
    import os

    if _OWN_PROCESS:
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--manifest", "manifest_path", type=click.Path(path_type=Path),
              envvar="FLOE_MANIFEST", show_envvar=True,
              help="The platform manifest of every floe.yaml given [default: a manifest "
                   "given among PATHS, else platform.manifest, else the nearest "
                   "manifest.yaml up to the repository root].")
@click.option("--stdin-filename", metavar="PATH",
              help="The name of the file read from `-` (standard input): used to locate "
                   "diagnostics, tell its kind and find its manifest.")
@_input_options
def validate(paths: tuple[Path, ...], manifest_path: Path | None, stdin_filename: str | None,
             fmt: str, strict: bool, max_bytes: int, variables: str | None) -> None:
    """Check floe.yaml / manifest.yaml files and report every problem.

    PATHS are files, directories (every floe.yaml and manifest.yaml below them, skipping
    what .gitignore ignores) or `-` for standard input.

    Each floe.yaml is checked with its manifest when it can be found (sink and plugin
    whitelists), and its transform graph (cycles, unknown dependsOn) always.

    Exit status: 0 clean, 1 problems found, 2 a file could not be read.
    """
    _without_pydantic_plugins()
    _nothing_to_clean_up()
    from floe_compiler.inputs import sources_for
    from floe_compiler.pipeline import Options, Source, run

    options = Options(strict=strict, max_bytes=max_bytes, variables=_variables(variables))
    sources, problems = sources_for(paths, sys.stdin.buffer,
                                    stdin_filename=stdin_filename, max_bytes=max_bytes)
    report = run(sources, options, manifest=Source.from_path(manifest_path)
                 if manifest_path is not None else None).report.adding(problems)
    _emit(report, fmt)
    _end(report.exit_code)


@cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--manifest", "manifest_path", type=click.Path(path_type=Path),
              envvar="FLOE_MANIFEST", show_envvar=True,
              help="The platform manifest of every product [default: found as validate "
                   "finds it].")
@click.option("--artifact", "artifact", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("target/compiled_artifacts.json"), show_default=True,
              help="Each product's compiled artifact, relative to its floe.yaml.")
@click.option("--artifacts-only", is_flag=True,
              help="Report only what compiling adds (stale artifacts, manifests not found); "
                   "a product whose files have errors still fails, without repeating them.")
@_input_options
def check_command(paths: tuple[Path, ...], manifest_path: Path | None, artifact: Path,
                  artifacts_only: bool, fmt: str, strict: bool, max_bytes: int,
                  variables: str | None) -> None:
    """Validate PATHS and check the compiled artifact of each product they belong to: the
    pre-commit hook (`floe-check`), one report per commit, in a monorepo too.

    A file belongs to the product of the nearest floe.yaml at or above it. Each such
    product is compiled once and its artifact (--artifact, relative to its floe.yaml)
    must say what a fresh compile says (FLOE-E208).

    Exit status: 0 clean and current, 1 problems found or stale, 2 a file could not be read.
    """
    _nothing_to_clean_up()
    from floe_compiler.inputs import sources_for
    from floe_compiler.pipeline import Options, Source
    from floe_compiler.products import check

    options = Options(strict=strict, max_bytes=max_bytes, variables=_variables(variables))
    sources, problems = sources_for(paths or (Path("."),), sys.stdin.buffer,
                                    stdin_filename=None, max_bytes=max_bytes)
    checked = check(sources, options, artifact=artifact, manifest=Source.from_path(
        manifest_path) if manifest_path is not None else None)
    report = checked.report.adding(problems)
    if artifacts_only:
        report = report.keeping({"FLOE-E206", "FLOE-E208"})
        for spec in checked.broken:
            click.echo(f"floe check: {spec} does not compile: `floe validate {spec}` shows why",
                       err=True)
    _emit(report, fmt)
    _end(max(report.exit_code, 1 if checked.broken else 0))


@cli.command("explain")
@click.argument("code", required=False)
@click.option("--format", "fmt", type=click.Choice(("text", "json", "markdown")), default="text",
              show_default=True)
def explain_command(code: str | None, fmt: str) -> None:
    """Explain a diagnostic code (e.g. `floe explain E104`), or every code when none is given.

    Each explanation says what the code means, shows a mistake that triggers it and the fix,
    and names the version that introduced it. Exit status: 0, or 2 for an unknown code.
    """
    from floe_compiler import explain
    from floe_compiler.diagnostics import CODES

    if fmt == "markdown":
        click.echo(explain.render_markdown(), nl=False)
        return
    codes = list(CODES)
    if code is not None:
        found, nearest = explain.lookup(code)
        if found is None:
            also = f"; did you mean {nearest}?" if nearest else ""
            click.echo(f"floe: no diagnostic code {code!r}{also} (`floe explain` lists them)",
                       err=True)
            sys.exit(2)
        codes = [found]
    if fmt == "json":
        click.echo(explain.render_json(codes), nl=False)
    else:
        click.echo("\n".join(explain.render_text(c) for c in codes), nl=False)


@cli.command("init")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False),
                default=Path("."))
@click.option("--name", help="The product's metadata.name [default: from the directory name].")
@click.option("--owner", default="data-team@example.com", show_default=True,
              help="The owner's email address.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option("--hooks-repo", hidden=True, help="pre-commit `repo:` (a fork or a local path).")
@click.option("--hooks-rev", hidden=True, help="pre-commit `rev:` for --hooks-repo.")
def init_command(directory: Path, name: str | None, owner: str, force: bool,
                 hooks_repo: str | None, hooks_rev: str | None) -> None:
    """Start a data product in DIRECTORY: floe.yaml, manifest.yaml, .pre-commit-config.yaml,
    .vscode/settings.json and the JSON Schemas they point editors at. Every file validates.

    Nothing is overwritten unless --force is given. Exit status: 0 written, 1 a file exists,
    2 a file could not be written.
    """
    from dataclasses import replace

    from floe_compiler import scaffold
    from floe_compiler.emit import write_atomic
    from floe_compiler.schemas import rendered

    plan = scaffold.Scaffold(name or scaffold.product_name(directory), owner)
    plan = replace(plan, hooks_repo=hooks_repo or plan.hooks_repo,
                   hooks_rev=hooks_rev or plan.hooks_rev)
    texts = {path: text.encode() for path, text in scaffold.files(plan).items()}
    schemas = {f"{scaffold.SCHEMA_DIR}/{name}": data for name, data in rendered().items()}
    existing = [path for path in texts if (directory / path).exists()]
    if existing and not force:
        click.echo(f"floe init: {', '.join(str(directory / p) for p in existing)} already "
                   "exist(s); nothing was written (use --force to overwrite)", err=True)
        sys.exit(1)
    try:
        for path, data in {**texts, **schemas}.items():
            write_atomic(directory / path, data)
    except OSError as exc:
        click.echo(f"floe init: cannot write in {directory}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    for path in texts:
        click.echo(f"wrote {directory / path}")
    click.echo(f"wrote {directory / scaffold.SCHEMA_DIR}/ (JSON Schemas for editors)\n"
               f"next: floe validate {directory / 'floe.yaml'}; then `pre-commit install`")


@cli.command("schema")
@click.option("--output-dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("schemas"), show_default=True,
              help="Where to write the schemas (draft-07 copies go to its draft-07/).")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 naming every file that differs from the models.")
def schema_command(output_dir: Path, check: bool) -> None:
    """Write JSON Schemas of floe.yaml, manifest.yaml and the compiled artifact,
    and a SchemaStore catalog entry for the first two.

    Point your editor at them for completion and hover (see the README).
    """
    from floe_compiler.schemas import drifted, write

    if check:
        stale = drifted(output_dir)
        for path in stale:
            why = "is missing" if not path.is_file() else "differs from the models"
            click.echo(f"floe: {path} {why}; run `floe schema --output-dir {output_dir}`",
                       err=True)
        if stale:
            sys.exit(1)
        click.echo(f"the schemas in {output_dir}/ are up to date")
        return
    try:
        written = write(output_dir)
    except OSError as exc:
        click.echo(f"floe: cannot write to {output_dir}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    for path in written:
        click.echo(f"wrote {path}")
    if not written:
        click.echo(f"the schemas in {output_dir}/ are up to date")


def _variables(text: str | None) -> dict[str, Any]:
    """--vars, as dbt takes it: a YAML (or JSON) mapping, inline or from @file."""
    if text is None:
        return {}
    from floe_compiler.loader import load_text

    source = "--vars"
    if text.startswith("@"):
        source = text[1:]
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise click.BadParameter(f"cannot read {source}: {why}", param_hint="'--vars'") \
                from None
    doc = load_text(text, source)
    errors = [d for d in doc.diagnostics if d.code.startswith("FLOE-E")]  # not W111
    if errors:  # includes "not a mapping"
        problem = errors[0]
        raise click.BadParameter(f"{source}:{problem.line}:{problem.column}: {problem.message}"
                                 " (for example '{name: value}')",
                                 param_hint="'--vars'")
    return dict(doc.data)


def _compiled_at(timestamp: bool) -> str | None:
    """Reproducible by default: a time only when asked (--timestamp) or pinned by the
    reproducible-builds convention SOURCE_DATE_EPOCH."""
    import os
    from datetime import UTC, datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        try:
            moment = datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError) as exc:
            raise click.BadParameter(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time") from exc
    elif timestamp:
        moment = datetime.now(UTC)
    else:
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


@cli.command("compile")
# Input paths are not checked by click: the loader reports a directory, a missing file or
# a device as a located diagnostic, in the --format asked for.
@click.option("--spec", "spec_path", type=click.Path(path_type=Path),
              default=Path("floe.yaml"), show_default=True, help="The data product's floe.yaml.")
@click.option("--manifest", "manifest_path", type=click.Path(path_type=Path),
              envvar="FLOE_MANIFEST", show_envvar=True,
              help="The platform manifest [default: platform.manifest, relative to floe.yaml, "
                   "else the nearest manifest.yaml up to the repository root].")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("target/compiled_artifacts.json"), show_default=True)
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 if the artifact at --output is stale.")
@click.option("--timestamp", is_flag=True, help="Record the compile time in the artifact.")
@_input_options
def compile_command(spec_path: Path, manifest_path: Path | None, output: Path, check: bool,
                    timestamp: bool, fmt: str, strict: bool, max_bytes: int,
                    variables: str | None) -> None:
    """Check floe.yaml against its manifest and write the compiled artifact.

    Exit status: 0 compiled (or up to date with --check), 1 problems found or stale,
    2 a file could not be read or the manifest not found.
    """
    import gc

    from floe_compiler.emit import json_parts, to_json, write_atomic
    from floe_compiler.pipeline import Options, compile_files

    # A short process of ours building big acyclic trees: the cyclic collector stays off
    # to the end (acyclic_work pauses it for library callers; re-enabling it here would
    # have it traverse the whole artifact once more, ~0.4 s at 100k transforms).
    if _OWN_PROCESS:
        gc.disable()
    _nothing_to_clean_up()
    result = compile_files(spec_path, manifest_path,
                           Options(strict=strict, max_bytes=max_bytes,
                                   variables=_variables(variables)),
                           _compiled_at(timestamp))
    report = result.report
    if result.artifact is None:
        _emit(report, fmt)
        _end(report.exit_code)
    if check:
        from floe_compiler.artifact_diff import stale

        data = to_json(result.artifact)
        found = stale(output, data)
        if found is not None:
            _emit(report.adding([found]), fmt)
            sys.exit(1)
        if report.diagnostics or fmt != "text":
            _emit(report, fmt)
        same = output.read_bytes() == data
        note = "" if same else " (its inputs differ only in comments or layout)"
        _say(fmt, f"{output} is up to date{note}")
        _end(0)
    try:
        write_atomic(output, json_parts(result.artifact))  # never whole in memory
    except OSError as exc:
        click.echo(f"floe: cannot write {output}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    if report.diagnostics or fmt != "text":
        _emit(report, fmt)
    artifact = result.artifact
    _say(fmt, f"compiled {artifact.product.name} {artifact.product.version} -> {output}\n"
         f"  transforms ({len(artifact.transforms)}, in run order): "
         f"{_abbreviate([t.name for t in artifact.transforms])}\n"
         f"  destinations ({len(artifact.destinations)}): "
         f"{_abbreviate([f'{d.name} ({d.sink_type})' for d in artifact.destinations]) or '-'}")
    _end(0)


def _abbreviate(names: list[str], most: int = 8) -> str:
    shown = ", ".join(names[:most])
    return shown + (f", ... ({len(names) - most} more)" if len(names) > most else "")


def _say(fmt: str, text: str) -> None:
    """Human summaries go to stdout in text mode, to stderr when stdout is machine-read;
    -q silences them."""
    if not _quiet():
        click.echo(text, err=fmt != "text")

@cli.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk over stdin/stdout (the default; editors "
              "pass it).")
def lsp_command(stdio: bool) -> None:
    """Run the floe language server (LSP over stdio): the diagnostics of `floe validate` as
    you type, completion, hover, go to definition and quick fixes.

    Needs the lsp extra: pip install '.[lsp]' in a floe-compiler checkout.
    """
    try:
        from floe_compiler.lsp.server import serve
    except ImportError as exc:
        click.echo(f"floe: `floe lsp` needs the lsp extra ({exc.name or exc} is not "
                   "installed): pip install '.[lsp]' in a floe-compiler checkout", err=True)
        sys.exit(2)
    serve()


@cli.command("sinks")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True)
def sinks_command(fmt: str) -> None:
    """List installed sink connectors (entry points `floe.sinks`; with floe-core installed,
    its connectors in `floe.sinks` and `floe.ingestion` too) and the sink types they serve.

    Exit status: 0, or 1 if a connector failed to load.
    """
    import json

    from floe_compiler.sinks.registry import installed_connectors

    found = installed_connectors()
    if fmt == "json":
        click.echo(json.dumps({"connectors": [
            {"name": c.name, "target": c.target, "distribution": c.distribution,
             "sink_types": c.sink_types, "error": c.error, "group": c.group,
             "api": "floe-core" if c.upstream else "floe"} for c in found]}, indent=2))
    else:
        from floe_compiler.display import printable

        rows = [("SINK TYPES", "CONNECTOR", "PACKAGE")] + [tuple(map(printable, (
            ", ".join(c.sink_types) or "-", f"{c.name} = {c.target}",
            c.distribution if not c.error else f"failed to load: {c.error}"))) for c in found]
        widths = [max(len(r[i]) for r in rows) for i in range(2)]
        for row in rows:
            click.echo(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip())
    sys.exit(1 if any(c.error for c in found) else 0)


_CATALOG_HELP = ("Iceberg catalog: an SQLAlchemy URL (SqlCatalog) or an http(s) URL (REST "
                 "catalog). Default: the embedded sqlite:///.floe/catalog.db.")
_WAREHOUSE_HELP = "Warehouse location for an SqlCatalog. Default: .floe/warehouse."


def _runner_missing(exc: ImportError) -> None:
    click.echo(f"floe: this command needs the runner extra ({exc.name or exc} is not "
               "installed): pip install '.[runner]' in a floe-compiler checkout", err=True)
    sys.exit(2)


@cli.command("run")
@click.option("--artifact", "artifact_path", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("target/compiled_artifacts.json"), show_default=True,
              help="Compiled artifact from `floe compile`.")
@click.option("--destination", "destinations", multiple=True, metavar="NAME",
              help="Run only this destination (repeatable). Default: all.")
@click.option("--dry-run", is_flag=True,
              help="Read and batch the data and report what would be sent; send nothing.")
@click.option("--full-refresh", is_flag=True,
              help="Send every row, not only those changed since the last sync, and "
                   "rebuild the sync state.")
@click.option("--state-url", envvar="FLOE_STATE_URL", metavar="URL",
              help="Where the sync state lives: a SQLite or PostgreSQL SQLAlchemy URL. "
                   "Default: sqlite:///.floe/sync_state.db.")
@click.option("--catalog-uri", envvar="FLOE_CATALOG_URI", help=_CATALOG_HELP)
@click.option("--warehouse", envvar="FLOE_WAREHOUSE", help=_WAREHOUSE_HELP)
def run_command(artifact_path: Path, destinations: tuple[str, ...], dry_run: bool,
                full_refresh: bool, state_url: str | None, catalog_uri: str | None,
                warehouse: str | None) -> None:
    """Push each destination's gold table to its sink (reverse ETL).

    Secrets are read from /var/run/secrets/floe/<connection_secret_ref>/<key>, or from
    $FLOE_SECRETS_DIR/<connection_secret_ref>/<key>. Progress goes to stderr, a JSON
    report to stdout.

    A destination with config.primary_key sends only the rows added or changed since
    its last sync (and, in mode mirror, deletes the keys that left); rows the
    destination rejects go to .floe/rejects/ ($FLOE_REJECTS_DIR) and make the run
    exit 1.

    Exit status: 0 every destination succeeded, 1 one failed, 2 bad usage or artifact,
    130 / 143 interrupted by SIGINT / SIGTERM (after the batch in flight, with the report).
    """
    import json
    import signal
    import threading

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
        from floe_compiler.runner.sync_state import DEFAULT_STATE_URL
    except ImportError as exc:
        _runner_missing(exc)
    from floe_compiler.display import printable

    # SIGINT/SIGTERM: let the batch in flight commit or roll back, then report and exit
    # 128 + the signal's number. A second signal acts as usual (the default handlers).
    stop = threading.Event()
    received: list[signal.Signals] = []

    def interrupt(number: int, _frame: object) -> None:
        received.append(signal.Signals(number))
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    previous = {number: signal.signal(number, interrupt)
                for number in (signal.SIGINT, signal.SIGTERM)}
    options = RunOptions(catalog_config(catalog_uri or DEFAULT_CATALOG_URI,
                                        warehouse or DEFAULT_WAREHOUSE),
                         secrets_root(), dry_run=dry_run, stop=stop, full_refresh=full_refresh,
                         state_url=state_url or DEFAULT_STATE_URL)
    try:
        report = run_artifact(read_artifact(artifact_path), destinations, options,
                              ClickProgress(dry_run))
    except ArtifactError as exc:
        click.echo(f"floe run: {printable(str(exc))}", err=True)
        sys.exit(2)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if received:
        report.interrupted_by = received[0].name
    click.echo(json.dumps(report.as_dict(), indent=2))
    for destination in report.destinations:
        result = destination.result
        status = "ok" if result.success else "FAILED"
        verb = "to send" if dry_run else "delivered"
        rows = destination.rows_read if dry_run else result.rows_delivered
        # Names and errors may quote the artifact or a server: one line each, always.
        skipped = (f", {destination.rows_skipped} skipped as already delivered"
                   if destination.rows_skipped else "")
        click.echo(f"floe run: {printable(destination.name)}: {status}, {rows} rows {verb}"
                   f"{skipped} in {len(destination.batches)} batch(es)", err=True)
        if destination.sync is not None:  # counts only: keys are the user's data
            counts = destination.sync
            click.echo(f"  sync {counts['mode']}: {counts['added']} added, "
                       f"{counts['changed']} changed, {counts['deleted']} deleted, "
                       f"{counts['unchanged']} unchanged"
                       + ("" if dry_run else f"; {destination.rows_deleted} deleted at the "
                          "destination"), err=True)
            for note in counts["notes"]:
                click.echo(f"  {printable(note)}", err=True)
        for error in result.errors:
            click.echo(f"  {printable(error)}", err=True)
    if received:
        click.echo(f"floe run: interrupted by {received[0].name}; rerun to resume", err=True)
        sys.exit(128 + received[0].value)
    if not report.destinations:
        click.echo("floe run: the artifact has no destinations", err=True)
    sys.exit(0 if report.success else 1)


@cli.group("dagster")
def dagster_group() -> None:
    """Run a product's destinations on Dagster (the floe-compiler[dagster] extra)."""


@dagster_group.command("scaffold")
@click.option("--artifact", "artifact_path", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("target/compiled_artifacts.json"), show_default=True,
              help="The compiled artifact (from `floe compile`).")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("definitions.py"), show_default=True,
              help="The code location's file.")
@click.option("--partitions", type=click.IntRange(1, 1024), default=1, show_default=True,
              help="Partitions per destination, run in parallel.")
@click.option("--partition-by", type=click.Choice(("rows", "files")), default="rows",
              show_default=True, help="Cut a snapshot by batch ranges or by data files.")
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
def dagster_scaffold_command(artifact_path: Path, output: Path, partitions: int,
                             partition_by: str, force: bool) -> None:
    """Write a Dagster code location (definitions.py) for the artifact's product: an
    asset per destination, run by `floe run`'s runner. Exit status: 0 written, 1 the
    file exists, 2 the artifact cannot be read or the file cannot be written."""
    from floe_compiler.dagster.location import definitions_py
    from floe_compiler.display import printable
    from floe_compiler.emit import write_atomic
    from floe_compiler.runner.artifact import ArtifactError, read_artifact

    try:
        artifact = read_artifact(artifact_path)
    except ArtifactError as exc:
        click.echo(f"floe dagster scaffold: {printable(str(exc))}", err=True)
        sys.exit(2)
    if output.exists() and not force:
        click.echo(f"floe dagster scaffold: {printable(str(output))} already exists; nothing "
                   "was written (use --force to overwrite)", err=True)
        sys.exit(1)
    product = str(artifact.product.get("name") or "product")
    text = definitions_py(product, output, artifact_path, partitions, partition_by)
    try:
        write_atomic(output, text.encode())
    except OSError as exc:
        click.echo(f"floe dagster scaffold: cannot write {printable(str(output))}: "
                   f"{exc.strerror or exc}", err=True)
        sys.exit(2)
    click.echo(f"wrote {printable(str(output))}: {len(artifact.destinations)} destination(s) "
               f"of {printable(product)} as Dagster assets\n"
               f"next: pip install 'floe-compiler[dagster]'; dagster dev -f "
               f"{printable(str(output))}")


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
        from floe_compiler.display import printable

        click.echo(f"floe seed-demo: {printable(str(exc))}", err=True)
        sys.exit(2)
    state = "created" if seeded.created else "already present (use --replace to recreate)"
    click.echo(f"{seeded.table}: {seeded.rows} rows, snapshot {seeded.snapshot_id}, {state}",
               err=True)


def main() -> None:
    """The `floe` console script: the process is ours (unlike `cli` called in-process)."""
    import os

    global _OWN_PROCESS
    _OWN_PROCESS = True
    try:
        cli(standalone_mode=True)
    except SystemExit as done:
        if _QUICK_EXIT and isinstance(done.code, int | None):
            _exit_now(done.code or 0)
        raise
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
