"""floe-compiler benchmarks: `python benchmarks/run.py` (or `make bench`).

Machines are noisy, so every figure is printed as a ratio against a baseline
measured in the same run, on the same machine, interleaved with it:

  a  `floe validate` on one upstream floe.yaml vs `check-jsonschema` on the same file
     (whole processes, median of --repeat runs)             target: <= 0.5x
  b  the same on 200 files in one call                       target: <= 0.5x
  c  compile of generated projects (1k/5k/10k transforms, 100/500/1,000 destinations):
     library and CLI time, peak memory, growth between sizes, and the ratio to a plain
     C-accelerated YAML load of the same file                target: 10k+1k < 1.5 s, ~linear
  d  runner rows/s, Iceberg -> SQLite, 100k and 1M rows      target: >= 100k rows/s
  s  start-up: `floe validate` on a tiny file vs a bare `python -c pass`

Run it with the interpreter floe is installed in (make bench does).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
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
from timing import child, interleaved  # noqa: E402

DEMO = ROOT.parent / "shared" / "corpus" / "upstream" / "demo" / "floe.yaml"
FALLBACK = ROOT / "examples" / "customer-analytics" / "floe.yaml"
SIZES = ((1_000, 100), (5_000, 500), (10_000, 1_000))
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


def spec_schema(tmp: Path) -> Path:
    """schemas/floe-spec.schema.json, or one generated from the model if not there yet."""
    committed = ROOT / "schemas" / "floe-spec.schema.json"
    if committed.exists():
        return committed
    from floe_compiler.models.spec import FloeSpec

    path = tmp / "floe-spec.schema.json"
    path.write_text(json.dumps(FloeSpec.model_json_schema(by_alias=True)), encoding="utf-8")
    return path


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def bench_single(tmp: Path, repeat: int, demo: Path) -> Results:
    schema = spec_schema(tmp)
    times = interleaved({
        "floe": [*tool("floe"), "validate", str(demo)],
        "check-jsonschema": [*tool("check-jsonschema"), "--schemafile", str(schema), str(demo)],
    }, repeat)
    ratio = times["floe"] / times["check-jsonschema"]
    print(f"a  one file ({demo.name}, {demo.stat().st_size} B): floe {times['floe']*1000:.0f} ms, "
          f"check-jsonschema {times['check-jsonschema']*1000:.0f} ms -> "
          f"ratio {ratio:.2f}x (target <= 0.5x: {verdict(ratio <= 0.5)})")
    return {"seconds": times, "ratio": ratio, "target_met": ratio <= 0.5}


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
          f"(target <= 0.5x: {verdict(ratio <= 0.5)})")
    return {"files": count, "seconds": times, "ratio": ratio, "target_met": ratio <= 0.5}


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


def bench_compile(tmp: Path, repeat: int) -> Results:
    rows = []
    for transforms, destinations in SIZES:
        project = tmp / f"project-{transforms}"
        spec = write_project(project, transforms, destinations)
        lib = child(COMPILE_CHILD, str(spec), str(project / "manifest.yaml"), str(max(repeat // 2, 2)))
        out = tmp / f"artifact-{transforms}.json"
        try:
            cli = interleaved({"cli": [*tool("floe"), "compile", "--spec", str(spec),
                                       "--max-bytes", str(BIG), "--output", str(out)]},
                              max(repeat // 2, 2))["cli"]
        except RuntimeError:  # an older floe without `compile --max-bytes`
            cli = float("nan")
        rows.append({"transforms": transforms, "destinations": destinations,
                     "bytes": spec.stat().st_size, **lib, "cli": cli})
    print("c  compile (library: compile_files + to_json, warm; cold = first call in a process;")
    print("   cli = whole `floe compile` process; vs-yaml = library time / plain C YAML load)")
    print("   transforms  dests    bytes   warm s   cold s    cli s  vs-yaml  peak MB  growth")
    previous = None
    for row in rows:
        growth = ""
        if previous is not None:
            size = row["transforms"] / previous["transforms"]
            growth = f"{row['warm'] / previous['warm']:.1f}x for {size:.0f}x"
        row["vs_yaml"] = row["warm"] / row["yaml_load"]
        print(f"   {row['transforms']:>10,} {row['destinations']:>6,} {row['bytes']:>8,} "
              f"{row['warm']:>8.3f} {row['cold']:>8.3f} {row['cli']:>8.3f} "
              f"{row['vs_yaml']:>7.2f}x {row['peak_mb']:>8.0f}  {growth}")
        previous = row
    largest, smallest = rows[-1], rows[0]
    linear = (largest["warm"] / smallest["warm"]) / (largest["transforms"] / smallest["transforms"])
    fast = largest["cold"] < 1.5
    near_linear = linear <= 1.3
    print(f"   10k+1k cold library compile {largest['cold']:.2f} s (target < 1.5 s: {verdict(fast)}); "
          f"cli {largest['cli']:.2f} s; growth 1k->10k is {linear:.2f}x linear "
          f"(target near-linear, <= 1.3x: {verdict(near_linear)})")
    return {"sizes": rows, "linearity": linear, "target_met": fast and near_linear}


def bench_runner(tmp: Path, repeat: int) -> Results:
    """Rows/s from an Iceberg table (SqlCatalog on SQLite) into a SQLite `sql_database` sink,
    through `run_artifact` (what `floe run` calls), against a baseline in the same process:
    the same Arrow rows inserted with sqlite3's executemany, no runner around them."""
    try:
        import floe_compiler.runner.run  # noqa: F401
    except ImportError:
        print("d  skipped: install the runner extra (pip install -e '.[runner]')")
        return {"skipped": "floe_compiler.runner not importable"}
    rows_out = []
    for rows in (100_000, 1_000_000):
        result = child(RUNNER_CHILD, str(tmp / f"runner-{rows}"), str(rows))
        rows_out.append({"rows": rows, **result})
        print(f"d  {rows:>9,} rows: {result['rows_per_s']:,.0f} rows/s "
              f"({result['vs_baseline']:.2f}x the time of a bare executemany), "
              f"peak {result['peak_mb']:.0f} MB, +{result['growth_mb']:.0f} MB while running "
              f"(target >= 100k rows/s: {verdict(result['rows_per_s'] >= 100_000)})")
    met = all(r["rows_per_s"] >= 100_000 for r in rows_out)
    mem_bounded = rows_out[1]["growth_mb"] <= 2 * max(rows_out[0]["growth_mb"], 50)
    print(f"   memory growth 1M vs 100k rows: {rows_out[1]['growth_mb']:.0f} MB vs "
          f"{rows_out[0]['growth_mb']:.0f} MB (bounded by batch size: {verdict(mem_bounded)})")
    return {"sizes": rows_out, "target_met": met and mem_bounded}


RUNNER_CHILD = """
import json, resource, sqlite3, sys, time
from pathlib import Path
import pyarrow as pa
from floe_compiler.runner.artifact import read_artifact
from floe_compiler.runner.catalog import catalog_config, open_catalog
from floe_compiler.runner.run import RunOptions, run_artifact

work, rows = Path(sys.argv[1]).resolve(), int(sys.argv[2])
work.mkdir(parents=True, exist_ok=True)
config = catalog_config(f"sqlite:///{work}/catalog.db", str(work / "warehouse"))
catalog = open_catalog(config, create=True)
catalog.create_namespace("gold")
schema = pa.schema([("id", pa.int64()), ("email", pa.string()), ("ltv", pa.float64())])
table = catalog.create_table("gold.customers", schema)
for start in range(0, rows, 100_000):
    ids = list(range(start, min(rows, start + 100_000)))
    table.append(pa.table({"id": pa.array(ids, pa.int64()),
                           "email": pa.array([f"u{i}@x.io" for i in ids]),
                           "ltv": pa.array([i * 0.5 for i in ids])}, schema=schema))
(work / "secrets" / "db").mkdir(parents=True, exist_ok=True)
(work / "secrets" / "db" / "url").write_text(f"sqlite:///{work}/out.db")
(work / "artifact.json").write_text(json.dumps({
    "schema_version": "1.0.0", "compiler_version": "bench", "product": {"name": "bench", "version": "1.0.0"},
    "destinations": [{"name": "out", "sink_type": "sql_database", "connection_secret_ref": "db",
                      "source_table": "gold.customers", "batch_size": 10_000,
                      "config": {"table": "customers"}}]}))

# The runner first, so that its memory growth is not hidden by the baseline's full read.
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
report = run_artifact(read_artifact(work / "artifact.json"), ["out"],
                      RunOptions(catalog=config, secrets_root=work / "secrets"))
elapsed = time.perf_counter() - t
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = report.destinations[0].result
assert result.success and result.rows_delivered == rows, result.errors

# Baseline: the bare cost of putting the same rows into SQLite.
data = catalog.load_table("gold.customers").scan().to_arrow()
db = sqlite3.connect(work / "baseline.db")
db.execute("CREATE TABLE customers (id INTEGER, email TEXT, ltv REAL)")
t = time.perf_counter()
for batch in data.to_batches(10_000):
    db.executemany("INSERT INTO customers VALUES (?, ?, ?)", zip(*(c.to_pylist() for c in batch.columns)))
    db.commit()
baseline = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "rows_per_s": rows / elapsed, "vs_baseline": elapsed / baseline,
                  "peak_mb": after / 1024, "growth_mb": (after - before) / 1024}))
"""


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
    parser.add_argument("--only", default="a,b,c,d,s", help="comma-separated sections (a,b,c,d,s)")
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement (median)")
    parser.add_argument("--demo", type=Path, default=DEMO if DEMO.exists() else FALLBACK,
                        help="the single file for a and b")
    parser.add_argument("--json", type=Path, help="also write the figures here")
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
            else:
                results[name] = section(Path(tmp), args.repeat)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
