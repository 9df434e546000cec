"""A pytest kit that checks a connector keeps the SinkConnector contract.

In your plugin's test suite, subclass `SinkConnectorContract` and provide three things:

    from floe_compiler.sinks.contract import SinkConnectorContract

    class TestHubSpotConnector(SinkConnectorContract):
        @pytest.fixture
        def connector(self) -> SinkConnector:
            return HubSpotConnector()

        @pytest.fixture
        def sink_config(self, hubspot_sandbox) -> SinkConfig:   # a fresh, empty destination
            self.sandbox = hubspot_sandbox
            return SinkConfig("hubspot", {"base_url": hubspot_sandbox.url})

        def read_back(self, config: SinkConfig) -> list[dict[str, Any]]:
            return self.sandbox.records()               # what arrived, by field name

pytest then runs every `test_*` method below against your connector. The sample rows
have an integer `id` column; `read_back` must return rows that carry it.

A connector written against floe-core (`floe_core.plugins.sink.SinkConnector`, such as
floe-ingestion-dlt's `DltIngestionPlugin`) is checked as it is: the kit hands it
floe-core's SinkConfig with the same fields. Call its `startup()` in your `connector`
fixture (and `shutdown()` after the yield). A broken clause fails with a message that
says what the runner loses by it (e.g. a random idempotency key: a resent batch cannot
be deduplicated). Needs pytest and pyarrow.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from floe_compiler.sinks.base import EgressResult, SinkConfig, SinkConnector, close_sink
from floe_compiler.sinks.upstream import from_upstream_result, is_upstream, to_upstream_config

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
CONTEXT = {"destination": "contract-check", "snapshot_id": 4242, "batch_ordinal": 0}


class SinkConnectorContract:
    """Contract tests; override `connector`, `sink_config` and `read_back`."""

    rows = 25  # rows in the sample write

    @pytest.fixture
    def connector(self) -> SinkConnector:
        raise NotImplementedError("override the `connector` fixture")

    @pytest.fixture
    def sink_config(self) -> SinkConfig:
        raise NotImplementedError("override the `sink_config` fixture: a fresh destination")

    def read_back(self, config: SinkConfig) -> list[dict[str, Any]]:
        """Every row now at the destination `config` names, as a dict by field name."""
        raise NotImplementedError("override read_back()")

    def sample(self, rows: int, offset: int = 0) -> pa.Table:
        """The rows written: override to match what your destination accepts."""
        ids = range(offset + 1, offset + rows + 1)
        return pa.Table.from_pylist([
            {"id": i, "name": f"customer {i}", "amount": round(i * 10.25, 2),
             "day": dt.date(2024, 1, 1) + dt.timedelta(days=i)} for i in ids],
            schema=pa.schema([("id", pa.int64()), ("name", pa.string()),
                              ("amount", pa.float64()), ("day", pa.date32())]))

    # -- the contract --------------------------------------------------------------

    def test_is_a_sink_connector(self, connector: SinkConnector) -> None:
        assert isinstance(connector, SinkConnector) or is_upstream(connector), \
            "not a SinkConnector (floe_compiler.sinks' or floe_core.plugins.sink's)"

    def test_lists_its_sink_types(self, connector: SinkConnector) -> None:
        types = connector.list_available_sinks()
        assert isinstance(types, list) and types, "list_available_sinks() must not be empty"
        assert all(isinstance(t, str) and t for t in types)
        assert len(set(types)) == len(types), "sink types must be unique"

    def test_creates_a_sink_for_each_type(self, connector: SinkConnector,
                                          sink_config: SinkConfig) -> None:
        for sink_type in connector.list_available_sinks():
            with _opened(connector, dataclasses.replace(sink_config, sink_type=sink_type)) as sink:
                assert sink is not None

    def test_refuses_an_unknown_sink_type(self, connector: SinkConnector,
                                          sink_config: SinkConfig) -> None:
        unknown = dataclasses.replace(sink_config, sink_type="no-such-sink")
        with pytest.raises(Exception) as refused, _opened(connector, unknown):
            pass
        assert isinstance(refused.value, ValueError) \
            or type(refused.value).__name__ == "SinkConfigurationError", \
            f"an unknown sink type must raise SinkConfigurationError, not {refused.value!r}"

    def test_empty_table_succeeds_with_zero_rows(self, connector: SinkConnector,
                                                 sink_config: SinkConfig) -> None:
        result = self._write(connector, sink_config, self.sample(0))
        assert result.success, result.errors
        assert (result.rows_delivered, result.errors) == (0, [])
        _assert_checksum(result)
        assert self.read_back(sink_config) == []

    def test_delivers_every_row(self, connector: SinkConnector, sink_config: SinkConfig) -> None:
        result = self._write(connector, sink_config, self.sample(self.rows))
        assert result.success, result.errors
        assert result.rows_delivered == self.rows
        assert result.errors == []
        assert result.bytes_transmitted > 0
        assert result.duration_seconds >= 0
        assert sorted(int(row["id"]) for row in self.read_back(sink_config)) == \
            list(range(1, self.rows + 1))

    def test_reports_load_assurance_fields(self, connector: SinkConnector,
                                           sink_config: SinkConfig) -> None:
        result = self._write(connector, sink_config, self.sample(self.rows))
        _assert_checksum(result)
        assert result.idempotency_key, "idempotency_key must be set"
        delivered = dt.datetime.fromisoformat(result.delivery_timestamp)
        assert delivered.tzinfo is not None, "delivery_timestamp must carry a time zone"
        assert isinstance(result.destination_record_ids, list)

    def test_idempotency_key_is_stable_across_identical_reruns(
            self, connector: SinkConnector, sink_config: SinkConfig) -> None:
        first = self._write(connector, sink_config, self.sample(self.rows))
        rerun = self._write(connector, sink_config, self.sample(self.rows))
        assert first.success and rerun.success, first.errors + rerun.errors
        assert rerun.idempotency_key == first.idempotency_key, (
            f"idempotency_key differs between two identical writes ({first.idempotency_key!r}"
            f", then {rerun.idempotency_key!r}): a random key cannot deduplicate a resent "
            "batch; derive it from destination, snapshot_id, batch_ordinal and the payload's "
            "hash (floe_compiler.sinks.assurance.idempotency_key)")
        assert rerun.checksum == first.checksum, "the same rows must have the same checksum"

    def test_idempotency_key_differs_for_other_data_or_batch(
            self, connector: SinkConnector, sink_config: SinkConfig) -> None:
        base = self._write(connector, sink_config, self.sample(3))
        other_rows = self._write(connector, sink_config, self.sample(3, offset=100))
        other_batch = self._write(connector, sink_config, self.sample(3), batch_ordinal=1)
        assert len({base.idempotency_key, other_rows.idempotency_key,
                    other_batch.idempotency_key}) == 3

    def test_ignores_unknown_write_arguments(self, connector: SinkConnector,
                                             sink_config: SinkConfig) -> None:
        result = self._write(connector, sink_config, self.sample(2), added_in_a_later_floe=True)
        assert result.success, result.errors

    def test_source_config_is_a_dict(self, connector: SinkConnector) -> None:
        catalog = {"type": "sql", "uri": "sqlite:///catalog.db", "warehouse": "file:///w"}
        assert isinstance(connector.get_source_config(dict(catalog)), dict)

    # -- helpers ----------------------------------------------------------------------

    def _write(self, connector: SinkConnector, config: SinkConfig, data: pa.Table,
               **kwargs: Any) -> EgressResult:
        with _opened(connector, config) as sink:
            try:
                result = connector.write(sink, data, **{**CONTEXT, **kwargs})
            except Exception as exc:
                pytest.fail(f"write() raised instead of returning an EgressResult: "
                            f"{type(exc).__name__}: {exc}")
        if not isinstance(result, EgressResult):  # floe-core's: the same fields
            assert dataclasses.is_dataclass(result) and type(result).__name__ == "EgressResult", \
                f"write() must return an EgressResult, not {type(result).__name__}"
            result = from_upstream_result(result)
        return result


def _assert_checksum(result: EgressResult) -> None:
    assert SHA256_HEX.match(result.checksum), (
        f"checksum must be the sha256 of the payload as 64 lowercase hex digits, got "
        f"{result.checksum!r}" + (" (drop the 'sha256:' prefix)"
                                  if result.checksum.startswith("sha256:") else ""))


@contextlib.contextmanager
def _opened(connector: SinkConnector, config: SinkConfig) -> Iterator[Any]:
    if not isinstance(connector, SinkConnector) and is_upstream(connector):
        config = to_upstream_config(config)  # a floe-core connector takes floe-core's
    sink = connector.create_sink(config)
    try:
        yield sink
    finally:
        close_sink(sink)
