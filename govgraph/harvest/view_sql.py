"""Lineage from a view's SQL, read with sqlglot: the tables it reads (always, where the SQL parses)
and, where the SQL allows, which source columns each of its columns is computed from.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import lineage as column_lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope

#: SQLAlchemy dialect name -> sqlglot dialect
DIALECTS = {"postgresql": "postgres", "mssql": "tsql", "mysql": "mysql", "mariadb": "mysql",
            "oracle": "oracle", "sqlite": "sqlite"}

#: (schema or "", table) as the SQL names it, lower-cased for matching
TableRef = tuple[str, str]


@dataclass
class ViewLineage:
    tables: list[TableRef]
    #: view column -> [(source table, source column)]
    columns: dict[str, list[tuple[TableRef, str]]] = field(default_factory=dict)
    #: why field-level lineage is missing or partial, if it is
    problem: str = ""


class Unparsable(Exception):
    """The view's SQL is not SQL sqlglot can read."""


def _select_of(tree: exp.Expression) -> exp.Expression:
    """The query of a ``CREATE VIEW ... AS <query>`` (SQLite gives the whole statement), else the tree."""
    if isinstance(tree, exp.Create) and tree.expression is not None:
        return tree.expression
    return tree


def view_lineage(sql: str, *, dialect: str, default_schema: str | None,
                 columns_of: dict[str, dict[str, dict[str, str]]]) -> ViewLineage:
    """Read ``sql`` (a view's definition). ``columns_of``: schema -> table -> column -> type, the
    tables known, so that unqualified columns resolve. Raises Unparsable when the SQL cannot be
    parsed at all; field-level lineage that cannot be worked out leaves ``problem`` set."""
    read = DIALECTS.get(dialect, dialect)
    try:
        tree = _select_of(sqlglot.parse_one(sql.strip().rstrip(";"), read=read))
    except SqlglotError as e:
        raise Unparsable(str(e).splitlines()[0] if str(e) else type(e).__name__) from None
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    tables: list[TableRef] = []
    for t in tree.find_all(exp.Table):
        if not t.name or (not t.db and t.name.lower() in ctes):
            continue
        if not t.db and default_schema:
            t.set("db", exp.to_identifier(default_schema))
        ref = ((t.db or "").lower(), t.name.lower())
        if ref not in tables:
            tables.append(ref)
    out = ViewLineage(tables)
    try:
        q = qualify(tree.copy(), schema=columns_of or None, dialect=read, validate_qualify_columns=False)
        selects = q.selects if isinstance(q, exp.Query) else []
        # qualified once: each column's lineage walks the same scope (not a copy qualified again)
        scope = build_scope(q)
        for sel in selects:
            name = sel.alias_or_name
            if not name or name == "*":
                continue
            node = column_lineage(name, q, schema=columns_of or None, dialect=read, scope=scope, copy=False)
            srcs: list[tuple[TableRef, str]] = []
            for n in node.walk():
                if n.downstream or not isinstance(n.expression, exp.Table):
                    continue
                t = n.expression
                ref = ((t.db or "").lower(), t.name.lower())
                col = n.name.split(".")[-1].strip('"`[]')
                if (ref, col) not in srcs:
                    srcs.append((ref, col))
            out.columns[name] = srcs
    except (SqlglotError, KeyError, ValueError, AttributeError, RecursionError) as e:
        out.columns = {}
        out.problem = (str(e).splitlines() or [type(e).__name__])[0]
    return out
