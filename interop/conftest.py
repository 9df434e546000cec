"""Interoperability with floe's own packages: floe-core 0.1.0a1 and floe-ingestion-dlt
0.1.0a1. These tests run in the conformance venv (`make interop`), which holds them;
`make test`'s venv never does (they are no dependency of ours)."""

from tests.conftest import (  # noqa: F401 (fixtures)
    lakehouse,
    postgres_server,
    postgres_table,
    run,
    secrets,
    write,
)
