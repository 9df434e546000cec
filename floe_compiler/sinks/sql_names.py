"""SQL identifiers: refused when a database would mangle them, quoted when used.

PostgreSQL silently truncates names longer than 63 bytes (NAMEDATALEN - 1), so two
long column names may collapse into one; an empty name (`table: "."`) creates a
table called `""` on SQLite. Both are refused before anything is written.
"""

from __future__ import annotations

from floe_compiler.sinks.base import SinkConfigurationError

# Bytes, as the server counts them (UTF-8). SQLite has no limit of its own.
IDENTIFIER_LIMITS = {"postgresql": 63}


def check_identifier(name: str, what: str, dialect: str, limit: int | None = None) -> str:
    """`name` unchanged, or SinkConfigurationError saying why the database would mangle it."""
    limit = limit or IDENTIFIER_LIMITS.get(dialect)
    if not name or not name.strip():
        raise SinkConfigurationError(f"{what} is empty")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise SinkConfigurationError(f"{what} '{name.encode('unicode_escape').decode()}' "
                                     "contains a control character")
    size = len(name.encode("utf-8"))
    if limit is not None and size > limit:
        raise SinkConfigurationError(
            f"{what} '{name}' is {size} bytes long; {dialect} keeps only {limit} (it would "
            "silently truncate it)")
    return name


def split_table(name: str, what: str, dialect: str, limit: int | None = None
                ) -> tuple[str | None, str]:
    """(schema or None, table) from `table` or `schema.table`, each part checked."""
    schema, dot, table = name.rpartition(".")
    check_identifier(table, f"{what} '{name}': table name", dialect, limit)
    if dot:
        check_identifier(schema, f"{what} '{name}': schema name", dialect, limit)
    return (schema or None), table


def quote(name: str) -> str:
    """A double-quoted SQL identifier (SQLite and PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str | None, table: str) -> str:
    return f"{quote(schema)}.{quote(table)}" if schema else quote(table)
