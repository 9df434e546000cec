"""One Dagster asset per destination, run through the same runner as `floe run`.

Each destination `<product>/<destination>` is a graph-backed asset of three steps:
`plan` pins the table's current snapshot and cuts it into slices (slices.py); `deliver`,
mapped over the slices, runs each through `runner.run.run_destination` (the same
connector, secret, ledger and idempotency keys as `floe run`), so on the multiprocess
executor the slices run in parallel; `report` joins the slices' reports into the one
`floe run` would print and records its figures as materialization metadata.

A slice's batches are the batches `floe run` sends for those rows (slices.py), so a
retried or re-executed slice, a rerun of the asset, or a `floe run` of the same
snapshot skips what the ledger already holds. Re-executing a failed slice reuses the
run's `plan` output: the same pinned snapshot.
"""

# No `from __future__ import annotations`: Dagster reads the ops' annotations.
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import OpExecutionContext

from floe_compiler.dagster.slices import SliceBy, plan_slices
from floe_compiler.runner.artifact import Artifact, Destination, read_artifact
from floe_compiler.runner.catalog import (
    DEFAULT_CATALOG_URI,
    DEFAULT_WAREHOUSE,
    catalog_config,
    open_catalog,
)
from floe_compiler.runner.run import (
    DEFAULT_BATCH_SIZE,
    DestinationReport,
    NoProgress,
    RunOptions,
    Slice,
    join_slices,
    run_destination,
)
from floe_compiler.runner.secrets import secrets_root
from floe_compiler.sinks.registry import connector_for

RESOURCE = "floe"


class FloeRunner(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where `floe run` would read from: its --catalog-uri, --warehouse and
    $FLOE_SECRETS_DIR, with the same environment variables and defaults."""

    catalog_uri: str | None = None
    warehouse: str | None = None
    secrets_dir: str | None = None

    def options(self) -> RunOptions:
        import os

        uri = self.catalog_uri or os.environ.get("FLOE_CATALOG_URI") or DEFAULT_CATALOG_URI
        warehouse = self.warehouse or os.environ.get("FLOE_WAREHOUSE") or DEFAULT_WAREHOUSE
        root = Path(self.secrets_dir) if self.secrets_dir else secrets_root()
        return RunOptions(catalog_config(uri, warehouse), root)


def definitions_from_artifact(path: str | Path, *, partitions: int | Mapping[str, int] = 1,
                              partition_by: SliceBy = "rows",
                              runner: FloeRunner | None = None) -> dg.Definitions:
    """Dagster Definitions for a compiled artifact: an asset per destination, its source
    table as an external asset, a job of them all, and the artifact's schedule.

    `partitions`: how many slices each destination's snapshot is cut into (or a number
    per destination name; 1 by default), cut by `partition_by` ("rows" or "files").
    """
    artifact = read_artifact(Path(path))
    product = str(artifact.product.get("name") or "product")
    sources = {d.source_table for d in artifact.destinations if d.source_table}
    assets: list[dg.AssetsDefinition | dg.AssetSpec] = [
        dg.AssetSpec(_table_key(table), description=f"Iceberg table {table}",
                     kinds={"iceberg"}) for table in sorted(sources)]
    for index, destination in enumerate(artifact.destinations):
        parts = partitions.get(destination.name, 1) if isinstance(partitions, Mapping) \
            else partitions
        assets.append(_destination_asset(product, index, destination, parts, partition_by))
    keys = [dg.AssetKey([product, d.name]) for d in artifact.destinations]
    job = dg.define_asset_job(f"{_slug(product)}_destinations",
                              selection=dg.AssetSelection.assets(*keys),
                              description=f"floe run of {product}")
    schedules = [s for s in [_schedule(artifact, job)] if s is not None]
    return dg.Definitions(assets=assets, jobs=[job], schedules=schedules,
                          resources={RESOURCE: runner or FloeRunner()})


def _destination_asset(product: str, index: int, destination: Destination, parts: int,
                       by: SliceBy) -> dg.AssetsDefinition:
    name = f"{_slug(destination.name)}_{index}"  # op names: letters, digits and _ only
    batch_size = destination.batch_size or DEFAULT_BATCH_SIZE

    @dg.op(name=f"{name}_plan", ins={"source": dg.In(dg.Nothing)}, out=dg.DynamicOut(Slice),
           required_resource_keys={RESOURCE})
    def plan(context: OpExecutionContext) -> Iterator[dg.DynamicOutput[Slice]]:
        table = _open_table(destination, context.resources.floe)
        snapshot = table.current_snapshot()
        snapshot_id = snapshot.snapshot_id if snapshot is not None else None
        for part in plan_slices(table, snapshot_id, batch_size, parts, by):
            key = f"batches_{part.ordinals.start}_{part.ordinals.stop}"
            yield dg.DynamicOutput(part, mapping_key=key)

    # Partitions starting together on a new PostgreSQL database may race to create the
    # ledger or the table (CREATE TABLE IF NOT EXISTS is not atomic there): the loser's
    # step is retried, which the ledger makes safe.
    @dg.op(name=f"{name}_deliver", required_resource_keys={RESOURCE},
           retry_policy=dg.RetryPolicy(max_retries=2, delay=1, jitter=dg.Jitter.PLUS_MINUS))
    def deliver(context: OpExecutionContext, part: Slice) -> DestinationReport:
        options: RunOptions = context.resources.floe.options()
        report = run_destination(destination, options, NoProgress(), {}, part)
        if not report.result.success:
            raise dg.Failure(description="; ".join(report.result.errors),
                             metadata=_metadata(report))
        context.add_output_metadata(_metadata(report))
        return report

    @dg.op(name=f"{name}_report")
    def report(parts: list[DestinationReport]) -> dg.Output[None]:
        joined = join_slices(parts)
        return dg.Output(None, metadata={**_metadata(joined), "partitions": len(parts)})

    @dg.graph(name=name, ins={"source": dg.GraphIn()})
    def deliver_all(source: Any) -> Any:
        return report(plan(source).map(deliver).collect())

    key = dg.AssetKey([product, destination.name])
    source = _table_key(destination.source_table or "")
    return dg.AssetsDefinition.from_graph(
        deliver_all, keys_by_input_name={"source": source}, keys_by_output_name={"result": key},
        descriptions_by_output_name={"result": f"{destination.sink_type} destination "
                                     f"{destination.name} of {product}"},
        group_names_by_output_name={"result": _slug(product)})


def _open_table(destination: Destination, runner: FloeRunner) -> Any:
    connector = connector_for(destination.sink_type)
    config = connector.get_source_config(dict(runner.options().catalog))
    return open_catalog(config).load_table(destination.source_table)


def _metadata(report: DestinationReport) -> dict[str, Any]:
    """The figures of `floe run`'s report for this destination."""
    result = report.result
    delivered, skipped = result.rows_delivered, report.rows_skipped
    return {
        "rows_read": report.rows_read,
        "rows_delivered": delivered,
        "rows_skipped": skipped,  # already in the ledger: delivered before
        "rows_failed": max(report.rows_read - delivered - skipped, 0),
        "bytes_transmitted": result.bytes_transmitted,
        "checksum": result.checksum,
        "idempotency_key": result.idempotency_key,
        "snapshot_id": dg.MetadataValue.text(str(report.snapshot_id)),
        "batches": len(report.batches),
        "skipped_batches": sum(1 for b in report.batches if b.status == "skipped"),
        "sink_type": report.sink_type,
        "source_table": report.source_table or "",
    }


def _schedule(artifact: Artifact, job: Any) -> dg.ScheduleDefinition | None:
    schedule = artifact.schedule or {}
    cron = schedule.get("cron")
    if not cron:
        return None
    enabled = schedule.get("enabled", True) is not False
    return dg.ScheduleDefinition(
        name=f"{job.name}_schedule", job=job, cron_schedule=str(cron),
        execution_timezone=str(schedule.get("timezone") or "UTC"),
        default_status=dg.DefaultScheduleStatus.RUNNING if enabled
        else dg.DefaultScheduleStatus.STOPPED)


def _table_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([part for part in table.split(".") if part] or ["source"])


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)
