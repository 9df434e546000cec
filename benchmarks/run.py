"""floe-compiler benchmarks: `python benchmarks/run.py` (or `make bench`).

Machines are noisy, so every figure is printed as a ratio against a baseline
measured in the same run, on the same machine, interleaved with it:

  a  `floe validate` on one upstream floe.yaml (demo_customer-360) and on upstream's
     demo manifest vs `check-jsonschema` on the same file (whole processes, median of
     --repeat runs), and on the bundled example's floe.yaml, which has destinations
                                                             target: <= 0.35x
  b  the same on 200 floe.yaml files in one call              target: <= 0.25x
  c  compile of generated projects (1k/10k/100k transforms, 100/1k/10k destinations):
     library and CLI time, the CLI's peak RSS, growth between sizes, and the ratio to a
     plain C-accelerated YAML load of the same file
                            target: 10k <= 0.5 s; 100k < 3 s and < 300 MB; 10k->100k
                            within 1.1x of linear
  e  `floe compile` vs upstream floe-core 0.1.0a1's own compile of the same generated
     project, each a whole process (skipped without the oracle venv .venv-floe-core,
     which `make conformance` creates)
  d  runner rows/s and peak RSS, Iceberg (9 columns) -> SQLite and PostgreSQL, 100k and
     1M rows, vs ADBC's own ingest of the same table and dlt  target: >= 0.7x ADBC
  e2 floe's `sql_database` vs floe's own plugin (floe-ingestion-dlt 0.1.0a1's
     DltIngestionPlugin, run in the conformance venv .venv-floe-core) on the same 1M-row
     table, SQLite and PostgreSQL; skipped when that venv is absent (make interop builds it)
  g  Dagster (floe_compiler.dagster): the same 1M-row table to PostgreSQL, `floe run`
     vs the asset with 1, 2 and 4 partitions on the multiprocess executor, and Dagster's
     cost per partition (the same on a table of 4 small batches)
  s  start-up: `floe validate` on a tiny file vs a bare `python -c pass`

Run it with the interpreter floe is installed in (make bench does).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import MANIFEST, many_specs, write_project  # noqa: E402
from timing import ENV, child, interleaved  # noqa: E402

UPSTREAM = Path("/work/shared/corpus/upstream")  # upstream floe's files, where present
DEMO = UPSTREAM / "demo_customer-360" / "floe.yaml"
DEMO_MANIFEST = UPSTREAM / "demo" / "manifest.yaml"
EXAMPLE = ROOT / "examples" / "customer-analytics" / "floe.yaml"
FALLBACK = ROOT / "examples" / "customer-analytics" / "floe.yaml"
SIZES = ((1_000, 100), (10_000, 1_000), (100_000, 10_000))
BIG = 64 * 1024 * 1024  # --max-bytes for the generated projects (10k transforms is ~1.5 MB)

Results = dict[str, Any]


def tool(name: str) -> list[str]:
    """A console script installed next to this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: run with the venv's python (make bench)")
    return [found]


def spec_schema(tmp: Path, name: str = "floe-spec.schema.json") -> Path:
    """schemas/<name>, or floe.yaml's generated from the model if not there yet."""
    committed = ROOT / "schemas" / name
    if committed.exists():
        return committed
    from floe_compiler.models.spec import FloeSpec

    path = tmp / "floe-spec.schema.json"
    path.write_text(json.dumps(FloeSpec.model_json_schema(by_alias=True)), encoding="utf-8")
    return path


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def bench_single(tmp: Path, repeat: int, demo: Path) -> Results:
    files = {"floe.yaml": (demo, spec_schema(tmp))}
    manifest = DEMO_MANIFEST if DEMO_MANIFEST.exists() else FALLBACK.with_name("manifest.yaml")
    files["manifest.yaml"] = (manifest, spec_schema(tmp, "manifest.schema.json"))
    # Upstream's demos have no destinations; a floe.yaml with some also looks up the
    # installed sink connectors (FLOE-W210), as most of ours will.
    files["floe.yaml with destinations"] = (EXAMPLE, spec_schema(tmp))
    results: Results = {}
    for label, (path, schema) in files.items():
        times = interleaved({
            "floe": [*tool("floe"), "validate", str(path)],
            "check-jsonschema": [*tool("check-jsonschema"), "--schemafile", str(schema),
                                 str(path)],
        }, repeat)
        ratio = times["floe"] / times["check-jsonschema"]
        print(f"a  one {label} ({path.parent.name}/{path.name}, {path.stat().st_size} B): floe "
              f"{times['floe']*1000:.0f} ms, check-jsonschema "
              f"{times['check-jsonschema']*1000:.0f} ms -> ratio {ratio:.2f}x "
              f"(target <= 0.35x: {verdict(ratio <= 0.35)})")
        results[label] = {"seconds": times, "ratio": ratio, "target_met": ratio <= 0.35}
    return results


def bench_many(tmp: Path, repeat: int, demo: Path, count: int = 200) -> Results:
    schema = spec_schema(tmp)
    paths = [str(p) for p in many_specs(demo.read_text(encoding="utf-8"), tmp / "many", count)]
    times = interleaved({
        "floe": [*tool("floe"), "validate", *paths],
        "check-jsonschema": [*tool("check-jsonschema"), "--schemafile", str(schema), *paths],
    }, repeat)
    ratio = times["floe"] / times["check-jsonschema"]
    print(f"b  {count} files in one call: floe {times['floe']*1000:.0f} ms "
          f"({count / times['floe']:.0f} files/s), check-jsonschema "
          f"{times['check-jsonschema']*1000:.0f} ms -> ratio {ratio:.2f}x "
          f"(target <= 0.25x: {verdict(ratio <= 0.25)})")
    return {"files": count, "seconds": times, "ratio": ratio, "target_met": ratio <= 0.25}


# Runs in a fresh interpreter: one compile (cold: first use of the models), then warm
# repetitions; peak RSS from getrusage, and a plain YAML load of the same file as baseline.
COMPILE_CHILD = """
import json, resource, statistics, sys, time
from pathlib import Path
spec, manifest, repeat = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
start = time.perf_counter()
from floe_compiler.emit import to_json
from floe_compiler.pipeline import Options, compile_files
imported = time.perf_counter() - start
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for _ in range(repeat + 1):
    t = time.perf_counter()
    result = compile_files(spec, manifest, Options(max_bytes=MAX_BYTES))
    if result.artifact is None:
        raise SystemExit(str(result.report.diagnostics[:3]))
    to_json(result.artifact)
    times.append(time.perf_counter() - t)
    del result  # else the next compile runs beside this one's objects (2x the memory)
rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
from ruamel.yaml import YAML
text = spec.read_text()
loads = []
for _ in range(repeat):
    t = time.perf_counter()
    YAML(typ="safe").load(text)
    loads.append(time.perf_counter() - t)
print(json.dumps({"import": imported, "cold": times[0], "warm": statistics.median(times[1:]),
                  "yaml_load": statistics.median(loads),
                  "peak_mb": rss_after / 1024, "growth_mb": (rss_after - rss_before) / 1024}))
""".replace("MAX_BYTES", str(BIG))


# The peak RSS of one whole process (`floe compile`), read from its parent.
PEAK_CHILD = """
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True)
print(json.dumps({"rc": proc.returncode,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def bench_compile(tmp: Path, repeat: int) -> Results:
    rows = []
    for transforms, destinations in SIZES:
        project = tmp / f"project-{transforms}"
        spec = write_project(project, transforms, destinations)
        # Every repetition below 100k (a 10k process is noisy, by ~0.1 s, on a shared
        # machine); two at 100k, where one takes seconds.
        runs = max(repeat, 2) if transforms < 100_000 else 2
        lib = child(COMPILE_CHILD, str(spec), str(project / "manifest.yaml"), str(runs))
        out = tmp / f"artifact-{transforms}.json"
        argv = [*tool("floe"), "compile", "--spec", str(spec), "--max-bytes", str(BIG),
                "--output", str(out)]
        cli = interleaved({"cli": argv}, runs)["cli"]
        peak = child(PEAK_CHILD, *argv)
        rows.append({"transforms": transforms, "destinations": destinations,
                     "bytes": spec.stat().st_size, **lib, "cli": cli,
                     "cli_peak_mb": peak["peak_mb"]})
    print("c  compile (library: compile_files + to_json, warm; cold = first call in a process;")
    print("   cli = whole `floe compile` process and its peak RSS; vs-yaml = library time /")
    print("   plain C YAML load)")
    print("   transforms   dests     bytes   warm s   cold s    cli s  vs-yaml  cli MB  growth")
    previous = None
    for row in rows:
        growth = ""
        if previous is not None:
            size = row["transforms"] / previous["transforms"]
            growth = f"{row['warm'] / previous['warm']:.2f}x for {size:.0f}x"
        row["vs_yaml"] = row["warm"] / row["yaml_load"]
        print(f"   {row['transforms']:>10,} {row['destinations']:>7,} {row['bytes']:>9,} "
              f"{row['warm']:>8.3f} {row['cold']:>8.3f} {row['cli']:>8.3f} "
              f"{row['vs_yaml']:>7.2f}x {row['cli_peak_mb']:>7.0f}  {growth}")
        previous = row
    by_size = {row["transforms"]: row for row in rows}
    ten, hundred = by_size[10_000], by_size[100_000]
    linear = (hundred["warm"] / ten["warm"]) / 10
    met = {"10k <= 0.5 s": ten["cli"] <= 0.5, "100k < 3 s": hundred["cli"] < 3,
           "100k < 300 MB": hundred["cli_peak_mb"] < 300, "growth <= 1.1x linear": linear <= 1.1}
    print(f"   cli 10k {ten['cli']:.2f} s, 100k {hundred['cli']:.2f} s and "
          f"{hundred['cli_peak_mb']:.0f} MB; growth 10k->100k is {linear:.2f}x linear")
    print("   targets: " + "; ".join(f"{name}: {verdict(ok)}" for name, ok in met.items()))
    return {"sizes": rows, "linearity": linear, "targets": met, "target_met": all(met.values())}


ORACLE = ROOT / ".venv-floe-core" / "bin" / "python"
# floe-core 0.1.0a1's own compile (all six stages; the compute plugin floe-compute-duckdb is
# installed beside it by the Makefile), written out as floe compile writes its artifact.
UPSTREAM_COMPILE = """
import sys
from pathlib import Path
from floe_core.compilation.stages import compile_pipeline
artifacts = compile_pipeline(Path(sys.argv[1]), Path(sys.argv[2]), emit_lineage=False)
Path(sys.argv[3]).write_text(artifacts.model_dump_json(indent=2), encoding="utf-8")
"""


def bench_upstream(tmp: Path, repeat: int, sizes: Sequence[int] = (1_000, 10_000)) -> Results:
    if not ORACLE.exists():
        print("e  skipped: no .venv-floe-core (make conformance creates it)")
        return {"skipped": "no .venv-floe-core"}
    rows = []
    for transforms in sizes:
        project = tmp / f"upstream-{transforms}"
        spec = write_project(project, transforms, transforms // 10)
        manifest = project / "manifest.yaml"
        runs = max(repeat // 2, 1) if transforms <= 10_000 else 1
        times = interleaved({
            "floe": [*tool("floe"), "compile", "--spec", str(spec), "--manifest", str(manifest),
                     "--max-bytes", str(BIG), "--output", str(project / "floe.json")],
            "floe-core": [str(ORACLE), "-c", UPSTREAM_COMPILE, str(spec), str(manifest),
                          str(project / "floe-core.json")],
        }, runs)
        rows.append({"transforms": transforms, "destinations": transforms // 10, **times,
                     "ratio": times["floe"] / times["floe-core"]})
    print("e  compile vs floe-core 0.1.0a1's compile_pipeline, same generated project, whole")
    print("   processes (floe-core: its six stages, compute plugin floe-compute-duckdb)")
    print("   transforms   dests  floe s  floe-core s   ratio")
    for row in rows:
        print(f"   {row['transforms']:>10,} {row['destinations']:>7,} {row['floe']:>7.2f} "
              f"{row['floe-core']:>12.2f} {row['ratio']:>7.3f}x "
              f"({1 / row['ratio']:.1f}x faster)")
    return {"sizes": rows}


def bench_runner(tmp: Path, repeat: int, rows_list: Sequence[int] = (100_000, 1_000_000),
                 batch: int = 100_000) -> Results:
    """Rows/s and peak RSS from an embedded Iceberg table (9 columns) into SQLite and
    PostgreSQL: `run_artifact` (what `floe run` calls) against ADBC's own bulk ingest of the
    same table and dlt, each a fresh process, interleaved, median of `repeat` runs.
    PostgreSQL is the cluster the PG* variables name (as under pg_virtualenv)."""
    try:
        import floe_compiler.runner.run  # noqa: F401
    except ImportError:
        print("d  skipped: install the runner extra (pip install -e '.[runner]')")
        return {"skipped": "floe_compiler.runner not importable"}
    try:
        import dlt  # noqa: F401
        tools = ["floe", "adbc", "dlt"]
    except ImportError:
        print("d  dlt is not installed (pip install -r benchmarks/requirements.txt): "
              "measuring floe and ADBC only")
        tools = ["floe", "adbc"]
    targets = {"sqlite": None}
    if os.environ.get("PGHOST"):
        from sqlalchemy import URL

        targets["postgresql"] = URL.create(
            "postgresql", username=os.environ.get("PGUSER"),
            password=os.environ.get("PGPASSWORD"), host=os.environ["PGHOST"],
            port=int(os.environ.get("PGPORT", "5432")),
            database=os.environ.get("PGDATABASE", "postgres")).render_as_string(
                hide_password=False)
    else:
        print("d  PostgreSQL skipped: PGHOST is unset (run under pg_virtualenv)")
    script = str(HERE / "sink_child.py")
    figures: list[dict[str, Any]] = []
    for rows in rows_list:
        work = tmp / f"sinks-{rows}"
        subprocess.run([sys.executable, script, "seed", str(work), str(rows)], check=True)
        for database, server in targets.items():
            times: dict[str, list[float]] = {t: [] for t in tools}
            ingest_only: list[float] = []
            peaks: dict[str, float] = {t: 0.0 for t in tools}
            for run in range(repeat):
                for tool in tools:
                    table = f"bench_{tool}_{rows}_{run}"
                    url = server or f"sqlite:///{work / (table + '.db')}"
                    argv = [sys.executable, script, tool, str(work), str(rows), url, table]
                    result = child_json(argv + ([str(batch)] if tool == "floe" else []))
                    times[tool].append(result["seconds"])
                    if tool == "adbc":
                        ingest_only.append(result["ingest_seconds"])
                    peaks[tool] = max(peaks[tool], result["peak_mb"])
                    _drop(database, server, table, work)
            medians = {t: statistics.median(v) for t, v in times.items()}
            row = {"rows": rows, "database": database, "batch_size": batch,
                   **{f"{t}_rows_per_s": rows / medians[t] for t in tools},
                   **{f"{t}_peak_mb": peaks[t] for t in tools},
                   **{f"floe_vs_{t}": medians[t] / medians["floe"] for t in tools if t != "floe"},
                   "adbc_ingest_only_rows_per_s": rows / statistics.median(ingest_only)}
            figures.append(row)
            others = ", ".join(f"{t} {rows / medians[t]:,.0f} rows/s (floe {row[f'floe_vs_{t}']:.2f}x)"
                               for t in tools if t != "floe")
            print(f"d  {database:<10} {rows:>9,} rows: floe {rows / medians['floe']:,.0f} rows/s; "
                  f"{others}; peak RSS floe {peaks['floe']:.0f} MB, "
                  + ", ".join(f"{t} {peaks[t]:.0f} MB" for t in tools if t != "floe")
                  + f"; ADBC ingest alone (no Iceberg read) "
                  f"{row['adbc_ingest_only_rows_per_s']:,.0f} rows/s")
    big = [f for f in figures if f["rows"] == max(rows_list)]
    met = all(f["floe_vs_adbc"] >= 0.7 for f in big)
    print(f"   target floe >= 0.7x ADBC ingest at {max(rows_list):,} rows: {verdict(met)}")
    return {"sizes": figures, "target_met": met}


def bench_dagster(tmp: Path, repeat: int, rows: int = 1_000_000, batch: int = 100_000,
                  small: int = 400) -> Results:
    """`floe run` (run_artifact) against the Dagster asset with 1, 2 and 4 partitions, into
    PostgreSQL, each a fresh process (benchmarks/dagster_child.py), interleaved, median of
    `repeat`. Whole-process wall time (imports included: a Dagster run pays them in every
    step's process) and the time after imports. The per-partition cost is measured on a
    table of 4 batches of `small` / 4 rows, where delivering costs next to nothing."""
    try:
        import dagster  # noqa: F401
    except ImportError:
        print("g  skipped: install the dagster extra (pip install -e '.[dagster]')")
        return {"skipped": "dagster not importable"}
    if not os.environ.get("PGHOST"):
        print("g  skipped: PGHOST is unset (run under pg_virtualenv)")
        return {"skipped": "no PostgreSQL"}
    import time

    from sqlalchemy import URL

    server = URL.create("postgresql", username=os.environ.get("PGUSER"),
                        password=os.environ.get("PGPASSWORD"), host=os.environ["PGHOST"],
                        port=int(os.environ.get("PGPORT", "5432")),
                        database=os.environ.get("PGDATABASE", "postgres")).render_as_string(
                            hide_password=False)
    script = str(HERE / "dagster_child.py")
    variants = {"floe": [], "dagster-1": ["1"], "dagster-2": ["2"], "dagster-4": ["4"]}
    results: Results = {}
    for size, size_batch in ((rows, batch), (small, small // 4)):
        work = tmp / f"dagster-{size}"
        subprocess.run([sys.executable, str(HERE / "sink_child.py"), "seed", str(work),
                        str(size)], check=True)
        walls: dict[str, list[float]] = {v: [] for v in variants}
        inner: dict[str, list[float]] = {v: [] for v in variants}
        for run in range(repeat):
            for name, extra in variants.items():
                table = f"bench_{name.replace('-', '_')}_{size}_{run}"
                started = time.perf_counter()
                result = child_json([sys.executable, script, name.split("-")[0], str(work),
                                     str(size), server, table, str(size_batch), *extra])
                walls[name].append(time.perf_counter() - started)
                inner[name].append(result["seconds"])
                _drop("postgresql", server, table, work)
        wall = {v: statistics.median(t) for v, t in walls.items()}
        after = {v: statistics.median(t) for v, t in inner.items()}
        results[str(size)] = {"rows": size, "batch_size": size_batch, "wall_seconds": wall,
                              "seconds_after_imports": after,
                              **{f"{v}_vs_floe": wall[v] / wall["floe"] for v in variants}}
        print(f"g  {size:>9,} rows: floe run {wall['floe']:.2f} s wall "
              f"({after['floe']:.2f} s after imports); "
              + ", ".join(f"{v} {wall[v] / wall['floe']:.2f}x ({after[v] / after['floe']:.2f}x "
                          "after imports)" for v in variants if v != "floe"))
    tiny = results[str(small)]["wall_seconds"]
    per_partition = (tiny["dagster-4"] - tiny["dagster-1"]) / 3
    results["per_partition_seconds"] = per_partition
    results["fixed_seconds"] = tiny["dagster-1"] - tiny["floe"]
    print(f"g  Dagster's cost: {results['fixed_seconds']:.2f} s per run over floe run, "
          f"{per_partition:.2f} s per added partition (on {small} rows), i.e. "
          f"{per_partition / results[str(rows)]['wall_seconds']['floe']:.2f}x of a "
          f"{rows:,}-row floe run")
    return results


def child_json(argv: Sequence[str]) -> dict[str, Any]:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, env=ENV)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


ORACLE_PYTHON = ROOT / ".venv-floe-core" / "bin" / "python"


def bench_upstream_plugin(tmp: Path, repeat: int, rows: int = 1_000_000,
                          batch: int = 100_000) -> Results:
    """e2: `run_artifact` with our sql_database against floe-ingestion-dlt's
    DltIngestionPlugin.write of the same Iceberg table, interleaved, fresh processes.
    The plugin runs in the conformance venv (it is never installed beside floe)."""
    if not ORACLE_PYTHON.exists():
        print("e2 skipped: .venv-floe-core is absent (make interop builds it)")
        return {"skipped": ".venv-floe-core absent"}
    check = subprocess.run([str(ORACLE_PYTHON), "-c", "import floe_ingestion_dlt, floe_compiler"],
                           capture_output=True, check=False)
    if check.returncode != 0:
        print("e2 skipped: .venv-floe-core lacks floe-ingestion-dlt or floe (make interop)")
        return {"skipped": "floe-ingestion-dlt not installed in .venv-floe-core"}
    targets: dict[str, str | None] = {"sqlite": None}
    if os.environ.get("PGHOST"):
        from sqlalchemy import URL

        targets["postgresql"] = URL.create(
            "postgresql+psycopg", username=os.environ.get("PGUSER"),
            password=os.environ.get("PGPASSWORD"), host=os.environ["PGHOST"],
            port=int(os.environ.get("PGPORT", "5432")),
            database=os.environ.get("PGDATABASE", "postgres")).render_as_string(
                hide_password=False)
    script = str(HERE / "sink_child.py")
    work = tmp / f"upstream-{rows}"
    subprocess.run([sys.executable, script, "seed", str(work), str(rows)], check=True)
    figures: list[dict[str, Any]] = []
    for database, server in targets.items():
        ours: list[float] = []
        theirs: list[float] = []
        delivered: list[int] = []
        errors: set[str] = set()
        for run in range(repeat):
            for tool, python in (("floe", sys.executable),
                                 ("floe-ingestion-dlt", str(ORACLE_PYTHON))):
                table = f"bench_e2_{tool.replace('-', '_')}_{run}"
                url = server or f"sqlite:///{work / (table + '.db')}"
                argv = [python, script, tool, str(work), str(rows), url, table]
                result = child_json(argv + ([str(batch)] if tool == "floe" else []))
                if tool == "floe":
                    ours.append(result["seconds"])
                else:
                    theirs.append(result["seconds"])
                    delivered.append(int(result["rows"]))
                    if result["error"]:
                        errors.add(str(result["error"]))
                _drop(database, server and server.replace("+psycopg", ""), table, work)
        mine, plugin = statistics.median(ours), statistics.median(theirs)
        row: dict[str, Any] = {"rows": rows, "database": database, "floe_rows_per_s": rows / mine,
                               "plugin_rows_delivered": max(delivered),
                               "plugin_seconds_over_floe": plugin / mine,
                               "plugin_errors": sorted(errors)}
        figures.append(row)
        if max(delivered) == rows:
            print(f"e2 {database:<10} {rows:,} rows: floe {rows / mine:,.0f} rows/s, "
                  f"floe-ingestion-dlt {rows / plugin:,.0f} rows/s (floe {plugin / mine:.2f}x)")
        else:
            print(f"e2 {database:<10} {rows:,} rows: floe {rows / mine:,.0f} rows/s; "
                  f"floe-ingestion-dlt delivered {max(delivered):,} rows, failing after "
                  f"{plugin / mine:.2f}x floe's whole run: {'; '.join(sorted(errors))}")
    return {"sizes": figures}


def _drop(database: str, server: str | None, table: str, work: Path) -> None:
    """Remove what one measured run wrote, so every run starts from an empty destination."""
    if server is None:
        for leftover in work.glob(f"{table}*.db"):
            leftover.unlink()
        return
    import adbc_driver_postgresql.dbapi as driver

    with driver.connect(server) as connection, connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{table}"')
        cursor.execute(f'DROP SCHEMA IF EXISTS "{table}" CASCADE')
        cursor.execute(f'DELETE FROM _floe_deliveries WHERE target_table = \'{table}\''
                       if _has_ledger(cursor) else "SELECT 1")
        connection.commit()


def _has_ledger(cursor: Any) -> bool:
    cursor.execute("SELECT to_regclass('_floe_deliveries') IS NOT NULL")
    return bool(cursor.fetchone()[0])


def bench_startup(tmp: Path, repeat: int) -> Results:
    tiny = tmp / "startup" / "floe.yaml"
    tiny.parent.mkdir(parents=True, exist_ok=True)
    tiny.write_text("apiVersion: floe.dev/v1\nkind: FloeSpec\nmetadata: {name: a, version: 1.0.0}\n"
                    "transforms: [{name: a}]\n", encoding="utf-8")
    (tiny.parent / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    times = interleaved({
        "python": [sys.executable, "-c", "pass"],
        "floe": [*tool("floe"), "validate", str(tiny)],
        "floe-both": [*tool("floe"), "validate", str(tiny), str(tiny.parent / "manifest.yaml")],
    }, repeat)
    ratio = times["floe"] / times["python"]
    print(f"s  start-up: `floe validate` on a tiny file {times['floe']*1000:.0f} ms, both files "
          f"{times['floe-both']*1000:.0f} ms, bare `python -c pass` {times['python']*1000:.0f} ms "
          f"-> {ratio:.1f}x the bare interpreter")
    heavy = imported_modules([*tool("floe"), "validate", str(tiny)])
    print(f"   heavy modules on the plain path: {', '.join(heavy) or 'none'}")
    return {"seconds": times, "ratio": ratio, "heavy_imports": heavy}


def imported_modules(argv: Sequence[str]) -> list[str]:
    """Which of the modules floe must not need for plain validation were imported."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    names = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}
    return sorted(names & {"jsonschema", "jinja2", "referencing", "pyarrow", "pyiceberg",
                           "sqlalchemy", "httpx", "tenacity"})


SECTIONS: dict[str, Callable[..., Results]] = {
    "a": bench_single, "b": bench_many, "c": bench_compile, "d": bench_runner, "s": bench_startup,
    "e": bench_upstream,
    "e2": bench_upstream_plugin,
    "g": bench_dagster,
}


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": str(os.cpu_count()), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="a,b,c,d,e,e2,g,s",
                        help="comma-separated sections (a,b,c,d,e,e2,g,s)")
    parser.add_argument("--upstream-sizes", default="1000,10000",
                        help="transforms for e (floe-core takes minutes at 100000)")
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement (median)")
    parser.add_argument("--demo", type=Path, default=DEMO if DEMO.exists() else FALLBACK,
                        help="the single file for a and b")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--runner-rows", default="100000,1000000",
                        help="source sizes for d (comma-separated)")
    parser.add_argument("--runner-repeat", type=int, help="runs per tool in d (default --repeat)")
    parser.add_argument("--batch-size", type=int, default=100_000,
                        help="floe's batch_size in d and e2")
    parser.add_argument("--upstream-rows", type=int, default=1_000_000,
                        help="source size for e2")
    args = parser.parse_args(argv)
    try:
        import floe_compiler  # noqa: F401
    except ImportError:
        raise SystemExit("floe_compiler is not importable: run `make bench`, or "
                         "`.venv/bin/python benchmarks/run.py`") from None
    info = machine()
    print(f"floe-compiler benchmarks: {info['cpus']} CPUs, {info['cpu']}, Python {info['python']}")
    results: dict[str, Any] = {"machine": info}
    with tempfile.TemporaryDirectory(prefix="floe-bench-") as tmp:
        for name in args.only.split(","):
            section = SECTIONS[name.strip()]
            if name in ("a", "b"):
                results[name] = section(Path(tmp), args.repeat, args.demo)
            elif name == "e":
                results[name] = bench_upstream(Path(tmp), args.repeat,
                                               [int(n) for n in args.upstream_sizes.split(",")])
            elif name == "e2":
                results[name] = bench_upstream_plugin(
                    Path(tmp), args.runner_repeat or args.repeat, args.upstream_rows,
                    args.batch_size)
            elif name == "d":
                results[name] = bench_runner(Path(tmp), args.runner_repeat or args.repeat,
                                             [int(r) for r in args.runner_rows.split(",")],
                                             args.batch_size)
            else:
                results[name] = section(Path(tmp), args.repeat)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
