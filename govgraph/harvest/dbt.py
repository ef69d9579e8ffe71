"""Harvest a dbt project from its artefacts (``target/manifest.json`` and ``catalog.json``, dbt 1.5
and later): models, sources, seeds, snapshots and exposures as datasets, their columns with types
and descriptions, table lineage from ``depends_on``, field lineage from the compiled SQL (sqlglot,
through ``view_sql``), owners from ``meta.owner``, dbt tests and documentation coverage as quality
measurements. govgraph reads the artefacts; it never imports or runs dbt.

Datasets are named as OpenLineage's dbt integration names them: the namespace of the adapter's
connection (``postgres://host:port``, ``duckdb://<path>``, from the profile, which the artefacts do
not hold: give it as ``namespace``) and ``database.schema.name``, so that a dbt model, the
OpenLineage events of its runs and ``harvest db`` of the same warehouse meet on one node.
"""
from __future__ import annotations

import json
from pathlib import Path

from govgraph.errors import BadInput, HarvestFailed
from govgraph.harvest import personal
from govgraph.harvest.model import Dataset, DatasetKey, Field, Harvest, Lineage, Measurement
from govgraph.harvest.view_sql import Unparsable, view_lineage

#: manifest schema versions read: v9 (dbt 1.5) to v12 (dbt 1.8 to 1.10)
MANIFEST_VERSIONS = range(9, 13)
#: dbt adapter -> sqlglot dialect, where the names differ
DIALECTS = {"sqlserver": "tsql", "fabric": "tsql", "synapse": "tsql", "databricks": "databricks",
            "postgres": "postgres", "redshift": "redshift"}
#: dbt generic test -> the quality metric its outcome measures (others: validity)
TEST_METRICS = {"unique": "uniquenessRate", "not_null": "completenessRate", "accepted_values": "validityRate",
                "relationships": "consistencyRate"}
DATASET_TYPES = ("model", "seed", "snapshot")


def _read_json(path: Path, what: str) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"no {what} at {path}: give the dbt project's target folder, after `dbt build` "
                       "and `dbt docs generate`") from None
    except (OSError, ValueError) as e:
        raise HarvestFailed(f"cannot read {path}: {e}") from None


def schema_version(doc: dict) -> tuple[str, int | None]:
    """(the artefact's ``dbt_schema_version`` URL, its number: ``.../manifest/v12.json`` -> 12)."""
    url = str((doc.get("metadata") or {}).get("dbt_schema_version") or "")
    tail = url.rsplit("/", 1)[-1].removesuffix(".json")
    return url, int(tail[1:]) if tail[:1] == "v" and tail[1:].isdigit() else None


def _owner_names(node: dict) -> list[str]:
    """``meta.owner`` (or ``config.meta.owner``): a name, a list of names or {name: ...}; an exposure's owner."""
    out = []
    for meta in (node.get("meta") or {}, (node.get("config") or {}).get("meta") or {}):
        owner = meta.get("owner")
        for o in owner if isinstance(owner, list) else [owner]:
            name = o.get("name") if isinstance(o, dict) else o
            if isinstance(name, str) and name.strip() and name.strip() not in out:
                out.append(name.strip())
    if node.get("resource_type") == "exposure":
        name = (node.get("owner") or {}).get("name")
        if name and name not in out:
            out.append(name)
    return out


def harvest_dbt(target_dir: str | Path, *, system: str, namespace: str | None = None,
                run_results: str | Path | None = None) -> Harvest:
    """Read a dbt project's artefacts into a Harvest. ``namespace``: the OpenLineage namespace of the
    warehouse (default ``<adapter>://<database>``, with a warning). ``run_results``: the
    ``run_results.json`` of a ``dbt build`` or ``dbt test`` (default the target folder's), whose
    test outcomes become measurements."""
    target = Path(target_dir)
    manifest = _read_json(target / "manifest.json", "manifest.json")
    url, version = schema_version(manifest)
    meta = manifest.get("metadata") or {}
    if version not in MANIFEST_VERSIONS:
        raise BadInput(f"{target / 'manifest.json'}: dbt manifest schema {url or '(none)'} (dbt "
                       f"{meta.get('dbt_version') or 'unknown'}) is not supported: govgraph reads manifest "
                       f"v{MANIFEST_VERSIONS[0]} to v{MANIFEST_VERSIONS[-1]} (dbt 1.5 to 1.10)")
    out = Harvest(system=system, origin=str(target.resolve()), kind="dbt")
    catalog_path = target / "catalog.json"
    catalog = _read_json(catalog_path, "catalog.json") if catalog_path.exists() else {}
    if not catalog:
        out.warnings.append("no catalog.json (run `dbt docs generate`): column types unknown, "
                            "columns only as documented")
    adapter = str(meta.get("adapter_type") or "")
    nodes = {k: v for k, v in (manifest.get("nodes") or {}).items() if v.get("resource_type") in DATASET_TYPES}
    nodes.update(manifest.get("sources") or {})
    if namespace is None:
        database = next((n.get("database") for n in nodes.values() if n.get("database")), "") or ""
        namespace = f"{adapter or 'dbt'}://{database}"
        out.warnings.append(f"no namespace given: datasets named under {namespace!r}; give the one OpenLineage "
                            "names the warehouse by (postgres://host:port, duckdb://<path>) so they meet its events")
    keys: dict[str, DatasetKey] = {}
    by_ref: dict[tuple[str, str], DatasetKey] = {}
    ref_of: dict[str, tuple[str, str]] = {}
    columns_of: dict[str, dict[str, dict[str, str]]] = {}
    for uid, node in sorted(nodes.items()):
        ds = _dataset(uid, node, namespace, catalog)
        keys[uid] = ds.key
        out.datasets.append(ds)
        schema, ident = str(node.get("schema") or "").lower(), _identifier(node).lower()
        by_ref[(schema, ident)] = ds.key
        ref_of[uid] = (schema, ident)
        columns_of.setdefault(schema, {})[ident] = {f.name: f.physical_type or "UNKNOWN" for f in ds.fields}
    project = meta.get("project_name") or "dbt"
    for uid, node in sorted((manifest.get("exposures") or {}).items()):
        ds = Dataset(key=(f"dbt://{project}", f"exposures.{node['name']}"), kind="exposure", types=["Report"],
                     title=node.get("label") or node["name"], description=(node.get("description") or "").strip(),
                     owner_names=_owner_names(node), landing_page=node.get("url") or "")
        keys[uid] = ds.key
        out.datasets.append(ds)
    for uid, node in sorted([*nodes.items(), *(manifest.get("exposures") or {}).items()]):
        sources = [keys[d] for d in (node.get("depends_on") or {}).get("nodes") or [] if d in keys]
        if not sources:
            continue
        lin = Lineage(target=keys[uid], sources=list(dict.fromkeys(sources)))
        sql = node.get("compiled_code") or node.get("compiled_sql") or ""
        if sql.strip() and node.get("resource_type") in ("model", "snapshot"):
            # the columns of the relations it reads, not the whole project's (sqlglot reads the schema
            # it is given for each column: 500 models' would make it quadratic)
            known: dict[str, dict[str, dict[str, str]]] = {}
            for dep in (node.get("depends_on") or {}).get("nodes") or []:
                if dep in ref_of:
                    schema, ident = ref_of[dep]
                    known.setdefault(schema, {})[ident] = columns_of[schema][ident]
            lin.fields = _field_lineage(out, node, sql, adapter, by_ref, known)
        out.lineage.append(lin)
    by_key = out.by_key()
    at = str(meta.get("generated_at") or "")
    _tests(out, manifest, keys, by_key, target if run_results is None else Path(run_results), at)
    for uid, node in nodes.items():
        _coverage(by_key[keys[uid]], node, at)
    personal.suggest(out)
    return out


def _identifier(node: dict) -> str:
    """The relation's own name in the warehouse (a model's alias, a source's identifier)."""
    return str(node.get("alias") or node.get("identifier") or node.get("name"))


def _dataset(uid: str, node: dict, namespace: str, catalog: dict) -> Dataset:
    """A model, seed, snapshot or source as a Dataset, named as OpenLineage's dbt integration names it."""
    rtype = node["resource_type"]
    name = ".".join(p for p in (node.get("database"), node.get("schema"), node["name"]) if p)
    documented = node.get("columns") or {}
    cat = ((catalog.get("sources") if rtype == "source" else catalog.get("nodes")) or {}).get(uid) or {}
    ds = Dataset(key=(namespace, name), kind=rtype, title=f"{node.get('schema')}.{node['name']}",
                 description=(node.get("description") or "").strip(), owner_names=_owner_names(node))
    if rtype == "source" and node.get("source_name"):
        ds.title = f"{node['source_name']}.{node['name']}"
    if (node.get("meta") or {}).get("statutory_return") or ((node.get("config") or {}).get("meta") or {}).get(
            "statutory_return"):
        ds.types.append("StatutoryReturn")
    docs = {k.lower(): v for k, v in documented.items()}
    seen = set()
    for col in sorted((cat.get("columns") or {}).values(), key=lambda c: c.get("index") or 0):
        doc = docs.get(col["name"].lower()) or {}
        ds.fields.append(Field(name=col["name"], physical_type=col.get("type") or "",
                               description=(doc.get("description") or col.get("comment") or "").strip()))
        seen.add(col["name"].lower())
    for col in documented.values():  # documented, not (yet) in the warehouse
        if col["name"].lower() not in seen:
            ds.fields.append(Field(name=col["name"], physical_type=col.get("data_type") or "",
                                   description=(col.get("description") or "").strip()))
    return ds


def _field_lineage(h: Harvest, node: dict, sql: str, adapter: str, by_ref: dict,
                   columns_of: dict) -> dict[str, list[tuple[DatasetKey, str]]]:
    """Which columns each of a model's columns is computed from, read from its compiled SQL."""
    where = f"{node['resource_type']} {node['name']}"
    try:
        vl = view_lineage(sql, dialect=DIALECTS.get(adapter, adapter), default_schema=str(node.get("schema") or ""),
                          columns_of=columns_of)
    except Unparsable as e:
        h.warnings.append(f"{where}: sqlglot cannot parse its compiled SQL ({e}): table-level lineage from "
                          "depends_on only")
        return {}
    if vl.problem:
        h.warnings.append(f"{where}: field-level lineage not worked out ({vl.problem}); table-level kept")
    fields = {col: [(by_ref[r], c) for r, c in srcs if r in by_ref] for col, srcs in vl.columns.items()}
    return {k: v for k, v in fields.items() if v}


def _tests(h: Harvest, manifest: dict, keys: dict, by_key: dict, run_results: Path, generated: str) -> None:
    """dbt tests with an outcome in run_results.json, as one measurement per dataset and metric:
    the share of its tests that passed, at the test run's time (else the manifest's)."""
    tests = {uid: n for uid, n in (manifest.get("nodes") or {}).items() if n.get("resource_type") == "test"}
    if not tests:
        return
    path = run_results / "run_results.json" if run_results.is_dir() else run_results
    results = _read_json(path, "run_results.json") if path.exists() else {}
    at = str((results.get("metadata") or {}).get("generated_at") or generated)
    # a test run's outcomes (``dbt docs generate`` and ``dbt compile`` list tests as compiled, "success")
    status = {r["unique_id"]: r.get("status") for r in results.get("results") or []
              if r.get("unique_id") in tests and r.get("status") in ("pass", "fail", "warn", "error")}
    if not status:
        last = (results.get("args") or {}).get("which") or "none"
        h.warnings.append(f"{len(tests)} dbt tests have no outcome in {path} (its command: {last}): test results "
                          "not recorded; keep the run_results.json of `dbt build` or `dbt test` and give it")
        return
    groups: dict[tuple[DatasetKey, str], list[tuple[bool, str]]] = {}
    for uid, t in sorted(tests.items()):
        if uid not in status:
            continue
        attached = t.get("attached_node") or next(iter((t.get("depends_on") or {}).get("nodes") or []), None)
        if attached not in keys:
            continue
        tm = t.get("test_metadata") or {}
        test = tm.get("name") or t["name"]
        column = t.get("column_name") or (tm.get("kwargs") or {}).get("column_name")
        label = f"{test}({column})" if column else test
        groups.setdefault((keys[attached], TEST_METRICS.get(test, "validityRate")), []).append(
            (status[uid] == "pass", label))
    if not at:
        h.warnings.append(f"{path}: no generated_at time: test outcomes not recorded")
        return
    for (key, metric), outcomes in sorted(groups.items()):
        passed = [label for ok, label in outcomes if ok]
        failed = [label for ok, label in outcomes if not ok]
        words = f"{len(passed)} of {len(outcomes)} dbt tests passed" + (
            f"; failed: {', '.join(failed)}" if failed else f": {', '.join(passed)}")
        by_key[key].measurements.append(Measurement(metric, len(passed) / len(outcomes), at, words))


def _coverage(ds: Dataset, node: dict, at: str) -> None:
    """Documentation coverage: the description and each column's, the share written."""
    if not at:
        return
    written = sum(1 for f in ds.fields if f.description)
    value = (written + (1 if ds.description else 0)) / (len(ds.fields) + 1)
    words = (f"{'described' if ds.description else 'no description'}; "
             f"{written} of {len(ds.fields)} columns described")
    ds.measurements.append(Measurement("documentationCoverage", value, at, words))
