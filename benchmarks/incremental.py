"""Incremental sync against a full resend: 1M rows, then 1% changed, then a second run.

A `rest_api` destination (upsert by `id`, batch_size 1000) posts to a local HTTP server
on 127.0.0.1 that counts requests and bytes. After a first full sync the gold table gets
a new snapshot with every 100th row changed; then, interleaved and from the same saved
state each time: the incremental run, the same destination without `primary_key`
(what every run cost before: all rows resent, no state), a `--full-refresh` run (all
rows resent and the state rewritten), and a `--dry-run` (reading and planning only). Medians of
`run_artifact` in this process; read the ratios.

    .venv/bin/python benchmarks/incremental.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from floe_compiler.runner.artifact import read_artifact
from floe_compiler.runner.catalog import catalog_config, open_catalog
from floe_compiler.runner.run import RunOptions, run_artifact

BATCH = 1000


class Counter(BaseHTTPRequestHandler):
    requests = 0
    bytes = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with Counter.lock:
            Counter.requests += 1
            Counter.bytes += len(body)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


def source(rows: int) -> pa.Table:
    ids = pa.array(range(rows), pa.int64())
    return pa.table({
        "id": ids,
        "name": pc.binary_join_element_wise("customer ", pc.cast(ids, pa.string()), ""),
        "email": pc.binary_join_element_wise("c", pc.cast(ids, pa.string()), "@example.com",
                                             ""),
        "amount": pc.multiply(pc.cast(ids, pa.float64()), 0.25),
        "orders": pc.cast(pc.bit_wise_and(ids, 127), pa.int32()),
    })


def one_percent_changed(table: pa.Table) -> pa.Table:
    ids = table.column("id")
    every_100th = pc.equal(pc.subtract(ids, pc.multiply(pc.divide(ids, 100), 100)), 0)
    amount = pc.if_else(every_100th, pc.add(table.column("amount"), 1.0),
                        table.column("amount"))
    return table.set_column(table.schema.get_field_index("amount"), "amount", amount)


def measure(artifact: Path, options: RunOptions) -> dict[str, float]:
    Counter.requests = Counter.bytes = 0
    started = time.perf_counter()
    report = run_artifact(read_artifact(artifact), [], options)
    elapsed = time.perf_counter() - started
    (destination,) = report.destinations
    if not destination.result.success:
        raise RuntimeError(f"run failed: {destination.result.errors}")
    return {"seconds": elapsed, "rows_sent": float(destination.result.rows_delivered
                                                   if not options.dry_run
                                                   else destination.rows_to_send),
            "requests": float(Counter.requests), "bytes": float(Counter.bytes)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory(prefix="floe-incremental-") as name:
        work = Path(name)
        properties = catalog_config(f"sqlite:///{work / 'catalog.db'}", str(work / "warehouse"))
        catalog = open_catalog(properties, create=True)
        catalog.create_namespace_if_not_exists("gold")
        data = source(args.rows)
        table = catalog.create_table("gold.accounts", schema=data.schema)
        table.append(data)
        secrets = work / "secrets" / "crm"
        secrets.mkdir(parents=True)
        (secrets / "base_url").write_text(f"http://127.0.0.1:{server.server_port}/")
        artifact, before = work / "artifact.json", work / "artifact-without-key.json"
        for path, config in ((artifact, {"mode": "upsert", "primary_key": ["id"]}),
                             (before, {})):
            path.write_text(json.dumps({
                "schema_version": "1.0.0", "compiler_version": "0.1.0",
                "product": {"name": "bench", "version": "1.0.0"},
                "destinations": [{
                    "name": "crm", "sink_type": "rest_api", "connection_secret_ref": "crm",
                    "source_table": "gold.accounts", "field_mapping": None,
                    "config": {"path": "/accounts", **config},
                    "batch_size": BATCH, "retry_config": None}]}))

        def options(state: Path, **extra: Any) -> RunOptions:
            return RunOptions(properties, work / "secrets", state_url=f"sqlite:///{state}",
                              rejects_dir=work / "rejects", **extra)

        base = work / "state-base.db"
        first = measure(artifact, options(base))
        table.overwrite(one_percent_changed(data))
        runs: dict[str, list[dict[str, float]]] = {
            "incremental": [], "full resend": [], "full refresh": [],
            "plan only (dry run)": []}
        for _ in range(args.repeat):  # interleaved, each from the same saved state
            for kind in runs:
                state = work / "state-run.db"
                shutil.copyfile(base, state)
                extra = ({"full_refresh": True} if kind == "full refresh" else
                         {"dry_run": True} if kind.startswith("plan") else {})
                runs[kind].append(measure(before if kind == "full resend" else artifact,
                                          options(state, **extra)))
    server.shutdown()
    medians = {kind: {k: statistics.median(r[k] for r in results) for k in results[0]}
               for kind, results in runs.items()}
    full, inc, plan = (medians["full resend"], medians["incremental"],
                       medians["plan only (dry run)"])
    print(f"{args.rows:,} rows, batch_size {BATCH}, 1% changed; medians of {args.repeat} "
          "interleaved runs")
    print(f"  first sync (state empty): {first['seconds']:.2f} s, "
          f"{first['requests']:.0f} requests")
    for kind, figures in medians.items():
        print(f"  {kind:20} {figures['seconds']:7.2f} s  {figures['rows_sent']:>10,.0f} rows  "
              f"{figures['requests']:>6,.0f} requests  {figures['bytes'] / 1e6:8.1f} MB")
    print(f"  incremental / full resend: time {inc['seconds'] / full['seconds']:.3f}x, "
          f"rows {inc['rows_sent'] / full['rows_sent']:.3f}x, "
          f"requests {inc['requests'] / full['requests']:.3f}x, "
          f"bytes {inc['bytes'] / full['bytes']:.3f}x; planning / full resend "
          f"{plan['seconds'] / full['seconds']:.3f}x")
    if args.json:
        args.json.write_text(json.dumps({"rows": args.rows, "first": first,
                                         "medians": medians}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
