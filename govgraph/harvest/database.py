"""Harvest a database through SQLAlchemy reflection: schemas, tables, views, columns, keys,
comments, view definitions (lineage through ``view_sql``), row counts and sampled values.

Any SQLAlchemy URL works with its dialect's own driver (``postgresql+psycopg``, ``mssql+pyodbc``,
``mysql+pymysql``, ``oracle+oracledb``, ``sqlite``). Reading is read-only. A database that cannot
be reached or refuses the login raises HarvestFailed before anything is written; a schema (or a
table's rows) that cannot be read is skipped and listed in ``Harvest.skipped``.
"""
from __future__ import annotations

import re
import warnings
from typing import Callable

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection

from govgraph.errors import BadInput, HarvestFailed
from govgraph.harvest import personal
from govgraph.harvest.model import Dataset, DatasetKey, Field, ForeignKey, Harvest, Lineage
from govgraph.harvest.naming import dataset_name, namespace, safe_origin
from govgraph.harvest.view_sql import Unparsable, view_lineage

#: progress(done, total, label)
Progress = Callable[[int, int, str], None]

#: schemas that hold the database's own catalogue, never harvested unless asked for
SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast", "sys", "guest", "INFORMATION_SCHEMA",
                  "mysql", "performance_schema"}


def _first_line(e: BaseException) -> str:
    orig = getattr(e, "orig", None) or e
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def parse_url(url: str) -> URL:
    try:
        return sa.engine.make_url(url)
    except (sa_exc.ArgumentError, ValueError) as e:
        raise BadInput(f"not a database URL ({e}); give a SQLAlchemy URL such as "
                       "postgresql+psycopg://user@host:5432/dbname") from None


def connect(url: URL) -> tuple[sa.Engine, Connection]:
    """An engine and an open connection, or HarvestFailed naming the database (password hidden)."""
    try:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError) as e:
        raise BadInput(f"{safe_origin(url)}: cannot use this database URL: {_first_line(e)} "
                       "(is the dialect's driver installed?)") from None
    try:
        return engine, engine.connect()
    except sa_exc.SQLAlchemyError as e:
        engine.dispose()
        raise HarvestFailed(f"cannot connect to {safe_origin(url)}: {_first_line(e)}; nothing was harvested") from None


def _type_text(col: dict, dialect) -> str:
    try:
        return col["type"].compile(dialect=dialect)
    except (sa_exc.CompileError, sa_exc.UnsupportedCompilationError, TypeError):
        return str(type(col["type"]).__name__)


def _no_usage(conn: Connection, schemas: list[str]) -> set[str]:
    """PostgreSQL shows every schema's catalogue; those the login may not use are skipped like
    schemas other databases hide."""
    if conn.dialect.name != "postgresql" or not schemas:
        return set()
    rows = conn.execute(sa.text("SELECT s FROM unnest(CAST(:s AS text[])) AS s WHERE NOT has_schema_privilege(s, 'USAGE')"),
                        {"s": list(schemas)})
    return {r[0] for r in rows}


def harvest_database(url: str, *, system: str, schemas: list[str] | None = None, count_rows: bool = False,
                     sample: int = 0, progress: Progress | None = None) -> Harvest:
    """Read a database's structure (and, if asked, row counts and sampled values) into a Harvest.

    ``system``: the IRI of the system holding it. ``sample``: read up to that many rows of each
    table to test values against personal-data patterns (the values are not kept).
    """
    u = parse_url(url)
    engine, conn = connect(u)
    out = Harvest(system=system, origin=safe_origin(u))
    ns = namespace(u)
    try:
        insp = sa.inspect(conn)
        default = insp.default_schema_name
        try:
            present = insp.get_schema_names()
        except sa_exc.SQLAlchemyError as e:
            raise HarvestFailed(f"{out.origin}: cannot list the schemas: {_first_line(e)}") from None
        wanted = list(schemas) if schemas else [s for s in present if s not in SYSTEM_SCHEMAS]
        for s in wanted:
            if s not in present:
                out.skipped.append(f"schema {s}: not found in the database")
        wanted = [s for s in wanted if s in present]
        for s in sorted(_no_usage(conn, wanted)):
            out.skipped.append(f"schema {s}: no permission to use it (skipped)")
            wanted.remove(s)
        views_sql: dict[DatasetKey, tuple[str, str]] = {}
        columns_of: dict[str, dict[str, dict[str, str]]] = {}
        for i, s in enumerate(wanted):
            if progress:
                progress(i, len(wanted), f"schema {s}")
            try:
                found = _read_schema(conn, insp, u, ns, s, default, views_sql, columns_of)
            except sa_exc.SQLAlchemyError as e:
                conn.rollback()
                out.skipped.append(f"schema {s}: {_first_line(e)} (skipped)")
                continue
            out.datasets.extend(found)
        _foreign_key_targets(out)
        out.lineage = _view_lineage(out, u, default, views_sql, columns_of)
        if count_rows or sample > 0:
            _read_rows(conn, u, out, count_rows=count_rows, sample=sample, progress=progress)
        personal.suggest(out)
    finally:
        conn.close()
        engine.dispose()
    return out


def _read_schema(conn, insp, u: URL, ns: str, schema: str, default: str | None,
                 views_sql: dict, columns_of: dict) -> list[Dataset]:
    """The datasets of one schema, read with SQLAlchemy's bulk (multi-table) reflection."""
    q = None if schema == default and conn.dialect.name == "sqlite" else schema
    kinds = sa.engine.reflection.ObjectKind.ANY
    with warnings.catch_warnings():  # a type SQLAlchemy does not know (xml) is kept as its class name
        warnings.filterwarnings("ignore", "Did not recognize type", sa_exc.SAWarning)
        cols = insp.get_multi_columns(schema=q, kind=kinds)
    pks = insp.get_multi_pk_constraint(schema=q, kind=kinds)
    fks = insp.get_multi_foreign_keys(schema=q, kind=kinds)
    try:
        comments = insp.get_multi_table_comment(schema=q, kind=kinds)
    except NotImplementedError:
        comments = {}
    views = set(insp.get_view_names(schema=q))
    try:
        views |= set(insp.get_materialized_view_names(schema=q))
    except NotImplementedError:
        pass
    found = []
    for (_, table), columns in sorted(cols.items()):
        key = (ns, dataset_name(u, schema, table))
        pk = set((pks.get((q, table)) or {}).get("constrained_columns") or [])
        kind = "view" if table in views else "table"
        ds = Dataset(key=key, title=f"{schema}.{table}", kind=kind,
                     description=((comments.get((q, table)) or {}).get("text") or "").strip())
        for c in columns:
            ds.fields.append(Field(name=c["name"], physical_type=_type_text(c, conn.dialect),
                                   nullable=c.get("nullable"), description=(c.get("comment") or "").strip(),
                                   primary_key=c["name"] in pk))
        for fk in fks.get((q, table)) or []:
            # no referred schema: the default one (PostgreSQL leaves out a schema on the search path)
            ref_schema = fk.get("referred_schema") or default or schema
            ds.foreign_keys.append(ForeignKey(columns=list(fk["constrained_columns"]),
                                              target=(ns, dataset_name(u, ref_schema, fk["referred_table"])),
                                              target_columns=list(fk["referred_columns"])))
        columns_of.setdefault(schema.lower(), {})[table.lower()] = {c["name"]: _type_text(c, conn.dialect) for c in columns}
        if kind == "view":
            try:
                views_sql[key] = (schema, insp.get_view_definition(table, schema=q) or "")
            except (sa_exc.SQLAlchemyError, NotImplementedError):
                views_sql[key] = (schema, "")
        found.append(ds)
    return found


def _foreign_key_targets(h: Harvest) -> None:
    """Keep the foreign keys to datasets this harvest found; note the others."""
    keys = h.by_key()
    for ds in h.datasets:
        kept = []
        for fk in ds.foreign_keys:
            if fk.target in keys:
                kept.append(fk)
            else:
                h.warnings.append(f"{ds.title}: foreign key to {fk.target[1]}, which this harvest did not read: not linked")
        ds.foreign_keys = kept


_FROM_RE = re.compile(r"\b(?:from|join)\s+([\w.\"`\[\]]+)", re.I)


def _view_lineage(h: Harvest, u: URL, default: str | None, views_sql: dict, columns_of: dict) -> list[Lineage]:
    by_ref = {}
    for ds in h.datasets:
        schema, _, table = ds.title.rpartition(".")
        by_ref[(schema.lower(), table.lower())] = ds.key
    out = []
    for key, (schema, sql) in views_sql.items():
        title = f"{schema}.{key[1].rsplit('.', 1)[-1]}"
        if not sql.strip():
            h.warnings.append(f"view {title}: its definition could not be read: no lineage recorded")
            continue
        # a table the SQL names without a schema is on the search path: the login's default schema
        # (PostgreSQL's pg_get_viewdef leaves out exactly those)
        unqualified = (default or schema).lower()
        try:
            vl = view_lineage(sql, dialect=u.get_backend_name(), default_schema=unqualified, columns_of=columns_of)
        except Unparsable as e:
            # what is known: harvested tables named after FROM or JOIN in the text
            refs = [r.replace('"', "").replace("`", "").replace("[", "").replace("]", "").lower()
                    for r in _FROM_RE.findall(sql)]
            sources = list(dict.fromkeys(by_ref[(s or unqualified, t)] for s, _, t in (r.rpartition(".") for r in refs)
                                         if (s or unqualified, t) in by_ref))
            h.warnings.append(f"view {title}: sqlglot cannot parse its SQL ({e}): "
                              f"table-level lineage from the tables it names ({len(sources)}), no field-level lineage")
            if sources:
                out.append(Lineage(target=key, sources=sources))
            continue
        sources = [by_ref[r] for r in vl.tables if r in by_ref]
        for r in vl.tables:
            if r not in by_ref:
                h.warnings.append(f"view {title}: reads {'.'.join(x for x in r if x)}, which this harvest did not read")
        fields = {col: [(by_ref[r], c) for r, c in srcs if r in by_ref] for col, srcs in vl.columns.items()}
        if vl.problem:
            h.warnings.append(f"view {title}: field-level lineage not worked out ({vl.problem}); table-level kept")
        out.append(Lineage(target=key, sources=sources, fields={k: v for k, v in fields.items() if v}))
    return out


def _read_rows(conn: Connection, u: URL, h: Harvest, *, count_rows: bool, sample: int,
               progress: Progress | None) -> None:
    """Row counts and sampled values, table by table; a table that cannot be read is listed as skipped."""
    for i, ds in enumerate(h.datasets):
        if progress:
            progress(i, len(h.datasets), f"rows of {ds.title}")
        schema, _, name = ds.title.rpartition(".")
        q = None if conn.dialect.name == "sqlite" and schema == "main" else schema
        t = sa.table(name, *[sa.column(f.name) for f in ds.fields], schema=q)
        try:
            if count_rows:
                ds.row_count = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            if sample > 0 and ds.fields:
                rows = conn.execute(sa.select(*t.columns).limit(sample)).all()
                for j, f in enumerate(ds.fields):
                    f.looks_personal.extend(personal.value_evidence(f.name, (r[j] for r in rows)))
                del rows  # sampled values are tested, never kept
        except sa_exc.SQLAlchemyError as e:
            conn.rollback()
            h.skipped.append(f"{ds.title}: rows not read: {_first_line(e)}")
