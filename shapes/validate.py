"""Validation entry points: the store, files, or an open import transaction, against a shape set.

The fast engine (compiled SPARQL in Oxigraph, ``engine.py``) runs whenever every shape
compiles; otherwise plain pyshacl (``reference.py``) runs on an rdflib copy. Both return the
same typed ``ValidationReport``. ``validate_store(..., save=True)`` keeps the report as a named graph
per check date so the principle scorecard can be compared quarter by quarter.
"""
from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Sequence

import pyoxigraph as ox

from govgraph.dates import check_date
from govgraph.errors import BadInput
from govgraph.io.formats import detect_format
from govgraph.shapes import engine, reference
from govgraph.shapes.compiler import Plan, compile_shapes
from govgraph.shapes.history import save_report
from govgraph.shapes.loader import ShapeSet, load_shapes
from govgraph.shapes.model import Finding, ValidationReport
from govgraph.store import Store

_plans: dict[int, tuple[ShapeSet, Plan]] = {}
_plans_lock = threading.Lock()


def parse_date(text: str | dt.date | None) -> dt.date:
    """A check date from YYYY-MM-DD text (default today)."""
    return check_date(text, "check date")


def shapes_for(profile: str | None = None, files: Sequence[str | Path] | None = None,
               check_date: dt.date | str | None = None) -> ShapeSet:
    """The shape set (default: all principle shapes) for a check date."""
    return load_shapes(profile, files, parse_date(check_date))


def plan_for(shapes: ShapeSet) -> Plan:
    """The compiled plan of a shape set (cached per shapes graph)."""
    key = id(shapes.graph)
    with _plans_lock:
        hit = _plans.get(key)
        if hit is not None and hit[0] is shapes:
            return hit[1]
    plan = compile_shapes(shapes.graph)
    with _plans_lock:
        if len(_plans) > 32:
            _plans.clear()
        _plans[key] = (shapes, plan)
    return plan


def run(store: Store, shapes: ShapeSet, *, graphs: Sequence[ox.NamedNode] | None = None,
        scope: Sequence[str] | None = None, engine_name: str = "auto", with_scorecard: bool = True) -> ValidationReport:
    """Validate ``graphs`` of ``store`` (default: live sources) against ``shapes``; ``scope`` limits focus nodes."""
    plan = plan_for(shapes)
    use_fast = engine_name == "fast" or (engine_name == "auto" and not plan.unsupported)
    if engine_name == "fast" and plan.unsupported:
        raise BadInput("these shapes cannot run in the fast engine: " + "; ".join(plan.unsupported[:5]))
    if use_fast:
        findings = engine.run_plan(store, plan, graphs, scope)
        used = "fast"
    else:
        data = store.graph_of(graphs=graphs) if graphs is not None else store.graph_of()
        findings = reference.validate_graph(data, shapes.graph)
        if scope is not None:
            keep = set(scope)
            findings = [f for f in findings if f.focus in keep]
        used = "pyshacl"
    card = engine.scorecard(store, plan, findings, graphs) if with_scorecard and scope is None else {}
    return ValidationReport(findings=list(findings), check_date=shapes.check_date, scorecard=card, engine=used)


def validate_store(store: Store, *, profile: str | None = None, shape_files: Sequence[str | Path] | None = None,
                   check_date: dt.date | str | None = None, engine_name: str = "auto", save: bool = False) -> ValidationReport:
    """Validate the whole store; with ``save`` keep the report as the named graph for its check date."""
    shapes = shapes_for(profile, shape_files, check_date)
    report = run(store, shapes, engine_name=engine_name)
    if save:
        save_report(store, report)
    return report


def validate_files(paths: Sequence[str | Path], *, profile: str | None = None,
                   shape_files: Sequence[str | Path] | None = None, check_date: dt.date | str | None = None,
                   engine_name: str = "auto") -> ValidationReport:
    """Validate RDF files on their own (for example a proposed system against ``--profile new-system``)."""
    shapes = shapes_for(profile, shape_files, check_date)
    store = Store.open("memory:")
    with store.begin("validate") as txn:
        for p in paths:
            path = Path(p)
            if not path.exists():
                raise BadInput("no such file", file=str(path))
            txn.load(path, fmt=detect_format(path, None), label=str(path))
        txn.commit()
    return run(store, shapes, engine_name=engine_name)


def reference_store(store: Store, shapes: ShapeSet, graphs: Sequence[ox.NamedNode] | None = None) -> list[Finding]:
    """Plain pyshacl over an rdflib copy of the store: the correctness reference."""
    data = store.graph_of(graphs=graphs) if graphs is not None else store.graph_of()
    return reference.validate_graph(data, shapes.graph)
