"""Sink connectors: the `SinkConnector` contract, its data model, and the built-ins.

Importing this package is cheap (no pyarrow); the built-in connectors
(`sql_database`, `rest_api`) live in their own modules and need the `runner` extra.
"""

from floe_compiler.sinks.base import (
    EgressResult,
    ErrorCategory,
    SinkConfig,
    SinkConfigurationError,
    SinkConnectionError,
    SinkConnector,
    SinkError,
    SinkWriteError,
    close_sink,
)

__all__ = ["EgressResult", "ErrorCategory", "SinkConfig", "SinkConfigurationError",
           "SinkConnectionError", "SinkConnector", "SinkError", "SinkWriteError", "close_sink"]
