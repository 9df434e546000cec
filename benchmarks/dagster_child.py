"""One measured run of the Dagster benchmark (section g), in a fresh interpreter.

    python dagster_child.py floe    WORK ROWS URL TABLE BATCH        # run_artifact (`floe run`)
    python dagster_child.py dagster WORK ROWS URL TABLE BATCH PARTS  # the asset, PARTS slices

The Dagster run is what a deployment runs: `execute_job` of the code location's job on
the default (multiprocess) executor, with a DagsterInstance in a temp directory; every
step is a process of its own. Prints one JSON object: seconds (after imports) and, for
Dagster, the rows the asset's materialization reports.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sink_child import run_floe, write_artifact


def bench_job() -> Any:
    """The code location's job, rebuilt in each step's process from the environment."""
    from floe_compiler.dagster import definitions_from_artifact

    defs = definitions_from_artifact(os.environ["BENCH_ARTIFACT"],
                                     partitions=int(os.environ["BENCH_PARTS"]))
    return defs.resolve_job_def("bench_destinations")


def run_dagster(work: Path, rows: int, url: str, table: str, batch: int, parts: int) -> int:
    import dagster as dg

    artifact, secrets = write_artifact(work, url, table, batch)
    os.environ.update({"BENCH_ARTIFACT": str(artifact), "BENCH_PARTS": str(parts),
                       "FLOE_SECRETS_DIR": str(secrets),
                       "FLOE_CATALOG_URI": f"sqlite:///{work}/catalog.db",
                       "FLOE_WAREHOUSE": str(work / "warehouse")})
    with tempfile.TemporaryDirectory(prefix="dagster-") as home, \
            dg.DagsterInstance.local_temp(home) as instance:
        result = dg.execute_job(dg.reconstructable(bench_job), instance=instance)
        assert result.success
        [event] = result.get_asset_materialization_events()
        delivered = int(event.materialization.metadata["rows_delivered"].value)
    assert delivered == rows, delivered
    return delivered


def main() -> None:
    tool, work, rows = sys.argv[1], Path(sys.argv[2]).resolve(), int(sys.argv[3])
    url, table, batch = sys.argv[4], sys.argv[5], int(sys.argv[6])
    import dagster  # noqa: F401

    import floe_compiler.dagster
    import floe_compiler.runner.run  # noqa: F401

    started = time.perf_counter()
    if tool == "floe":
        run_floe(work, rows, url, table, batch)
    else:
        run_dagster(work, rows, url, table, batch, int(sys.argv[7]))
    print(json.dumps({"seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
