"""OpenLineage dataset identifiers for database tables, per the OpenLineage naming spec
(spec/Naming.md): the namespace names the server, the name the table within it.

| database   | namespace                 | name                          |
|------------|---------------------------|-------------------------------|
| PostgreSQL | ``postgres://host:port``  | ``database.schema.table``     |
| MySQL      | ``mysql://host:port``     | ``database.table``            |
| SQL Server | ``mssql://host:port``     | ``database.schema.table``     |
| Oracle     | ``oracle://host:port``    | ``service.schema.table``      |
| SQLite     | ``sqlite://PATH``         | ``schema.table`` (``main``)   |

SQLite is not in the spec; govgraph names the file. A harvested table and an OpenLineage
event naming the same table get the same (namespace, name), hence the same node.
"""
from __future__ import annotations

import os

from sqlalchemy.engine import URL

#: dialect -> (OpenLineage scheme, default port)
_SCHEMES = {
    "postgresql": ("postgres", 5432),
    "mysql": ("mysql", 3306),
    "mariadb": ("mysql", 3306),
    "mssql": ("mssql", 1433),
    "oracle": ("oracle", 1521),
}


def namespace(url: URL) -> str:
    """The OpenLineage namespace of the database server a URL points at."""
    dialect = url.get_backend_name()
    if dialect == "sqlite":
        path = url.database or ":memory:"
        return "sqlite://" + (path if path == ":memory:" else os.path.abspath(path))
    scheme, port = _SCHEMES.get(dialect, (dialect, None))
    host = url.host or "localhost"
    return f"{scheme}://{host}:{url.port or port}" if (url.port or port) else f"{scheme}://{host}"


def dataset_name(url: URL, schema: str | None, table: str) -> str:
    """The OpenLineage name of a table: database, schema and table joined by dots, as the spec
    gives them for the dialect (MySQL has no schema level: its schema is the database)."""
    dialect = url.get_backend_name()
    if dialect in ("mysql", "mariadb"):
        return f"{schema or url.database}.{table}"
    if dialect == "sqlite":
        return f"{schema or 'main'}.{table}"
    database = url.database or ""
    if dialect == "oracle":
        database = url.query.get("service_name") or database
    parts = [p for p in (database, schema) if p]
    return ".".join([*parts, table])


def safe_origin(url: URL) -> str:
    """The URL as text with its password hidden (for the change record and messages)."""
    return url.render_as_string(hide_password=True)
