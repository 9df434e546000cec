"""`floe dagster scaffold`: the definitions.py of a Dagster code location for a product."""

from __future__ import annotations

import os
from pathlib import Path

TEMPLATE = '''\
"""Dagster code location for {product}: `dagster dev -f {name}`.

The catalog and secrets are read as `floe run` reads them: FLOE_CATALOG_URI,
FLOE_WAREHOUSE and FLOE_SECRETS_DIR. Recompile the artifact with `floe compile`.
"""

from pathlib import Path

from floe_compiler.dagster import definitions_from_artifact

defs = definitions_from_artifact(Path(__file__).parent / {artifact!r},
                                 partitions={partitions}, partition_by={partition_by!r})
'''


def definitions_py(product: str, output: Path, artifact: Path, partitions: int,
                   partition_by: str) -> str:
    relative = Path(os.path.relpath(artifact.resolve(), output.resolve().parent)).as_posix()
    return TEMPLATE.format(product=product, name=output.name, artifact=relative,
                           partitions=partitions, partition_by=partition_by)
