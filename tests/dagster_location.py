"""A Dagster code location for the tests' multiprocess runs: the executor's child
processes import this module and rebuild the job from the same environment
(FLOE_TEST_ARTIFACT, FLOE_TEST_PARTITIONS, FLOE_TEST_PARTITION_BY, and floe's own
FLOE_CATALOG_URI, FLOE_WAREHOUSE, FLOE_SECRETS_DIR).

Dagster caches a job by the function that makes it, in the parent process: one function
per artifact a test builds."""

from __future__ import annotations

import os
from typing import Any

from floe_compiler.dagster import definitions_from_artifact


def floe_job() -> Any:
    defs = definitions_from_artifact(os.environ["FLOE_TEST_ARTIFACT"],
                                     partitions=int(os.environ.get("FLOE_TEST_PARTITIONS", "1")),
                                     partition_by=os.environ.get(  # type: ignore[arg-type]
                                         "FLOE_TEST_PARTITION_BY", "rows"))
    [job] = [j for j in defs.jobs or [] if getattr(j, "name", "").endswith("_destinations")]
    return defs.resolve_job_def(job.name)


def events_job() -> Any:
    return floe_job()
