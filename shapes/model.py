"""The typed validation report that the CLI, the web app and the exporters share.

A ``Finding`` is one SHACL validation result with the council principle it belongs to;
a ``ValidationReport`` is every finding of one run plus the check date and the principle scorecard.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD

from govgraph import vocabulary
from govgraph.ontology.ns import GOV, PREFIXES, SH

SEVERITIES = ("Violation", "Warning", "Info")
_SEV_IRI = {s: SH[s] for s in SEVERITIES}
#: principle number -> name, from the ontology (gov:Principle1 ...)
PRINCIPLE_NAMES = vocabulary.PRINCIPLE_NAMES


@dataclass(frozen=True)
class Finding:
    """One validation result: what is wrong (message), where (focus, path, value), how bad, which rule."""
    focus: str
    path: str | None
    value: str | None
    severity: str  # Violation | Warning | Info
    principle: int  # 1-12; 0 for shapes that name no principle (e.g. DCAT-AP)
    message: str
    shape: str

    def sort_key(self) -> tuple:
        """Order for reports: principle, severity, focus, path, value, shape."""
        return (self.principle, SEVERITIES.index(self.severity) if self.severity in SEVERITIES else 9,
                self.focus, self.path or "", self.value or "", self.shape)

    def key(self) -> tuple:
        """The identity used to compare engines: everything but the message text."""
        return (self.focus, self.path, self.value, self.severity, self.principle, self.shape)

    def to_dict(self) -> dict:
        """The JSON form: keys exactly focus, path, value, severity, principle, message, shape."""
        return {"focus": self.focus, "path": self.path, "value": self.value, "severity": self.severity,
                "principle": self.principle, "message": self.message, "shape": self.shape}


def gap_key(f: "Finding | Gap") -> tuple:
    """How a violation is told apart over time: shape (and so constraint), focus node, path and value;
    never the message text, which may be reworded."""
    return (f.shape, f.focus, f.path, f.value)


@dataclass(frozen=True)
class Gap:
    """A known violation in a source's baseline: committed by an as-is load, tolerated until fixed."""
    source: str
    shape: str
    focus: str
    path: str | None
    value: str | None
    principle: int
    message: str

    @classmethod
    def of(cls, source: str, f: Finding) -> "Gap":
        return cls(source, f.shape, f.focus, f.path, f.value, f.principle, f.message)

    def key(self) -> tuple:
        return gap_key(self)

    def to_dict(self) -> dict:
        return {"source": self.source, "shape": self.shape, "focus": self.focus, "path": self.path,
                "value": self.value, "principle": self.principle, "message": self.message}


@dataclass
class BaselineChange:
    """What one change does to the baselines: gaps an as-is write records, gaps its fixes drop."""
    added: list[Gap] = field(default_factory=list)
    dropped: list[Gap] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.dropped)


@dataclass(frozen=True)
class PrincipleScore:
    """How many focus nodes the shapes of one principle checked, and how many passed."""
    principle: int
    focus_nodes: int
    conforming: int

    @property
    def share(self) -> float:
        """Share of focus nodes with no Violation or Warning for this principle (1.0 when none checked)."""
        return self.conforming / self.focus_nodes if self.focus_nodes else 1.0


@dataclass
class ValidationReport:
    """Every finding of one validation run, with its check date and per-principle scorecard."""
    findings: list[Finding]
    check_date: dt.date
    scorecard: dict[int, PrincipleScore] = field(default_factory=dict)
    engine: str = "fast"
    #: for a validated change: the gaps it records in (as-is) and drops from (fixes) source baselines
    baseline: BaselineChange = field(default_factory=BaselineChange)

    @property
    def conforms(self) -> bool:
        """True when no finding has Violation severity (warnings and info do not block)."""
        return not any(f.severity == "Violation" for f in self.findings)

    @property
    def counts(self) -> dict[str, int]:
        """Number of findings per severity."""
        c = Counter(f.severity for f in self.findings)
        return {s: c.get(s, 0) for s in SEVERITIES}

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Warning"]

    def for_focus(self, focus: Iterable[str]) -> "ValidationReport":
        """The findings about some focus nodes only (scorecard left empty)."""
        keep = set(focus)
        return ValidationReport([f for f in self.findings if f.focus in keep], self.check_date, {}, self.engine)

    def keys(self) -> set[tuple]:
        """The set of finding identities, for comparing two runs or two engines."""
        return {f.key() for f in self.findings}

    # -- output ------------------------------------------------------------------
    def summary_line(self) -> str:
        """One line: conforms or not, and the counts per severity."""
        c = self.counts
        return (f"validation ({self.check_date.isoformat()}): " + ("conforms" if self.conforms else "does not conform")
                + f", {c['Violation']} violation(s), {c['Warning']} warning(s), {c['Info']} info")

    def to_dict(self) -> dict:
        return {
            "conforms": self.conforms,
            "check_date": self.check_date.isoformat(),
            "counts": self.counts,
            "scorecard": {str(p): {"focus_nodes": s.focus_nodes, "conforming": s.conforming,
                                   "share": round(s.share, 4)} for p, s in sorted(self.scorecard.items())},
            "findings": [f.to_dict() for f in sorted(self.findings, key=Finding.sort_key)],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON; each finding has exactly the keys of ``Finding.to_dict``."""
        return json.dumps(self.to_dict(), indent=indent)

    def to_text(self) -> str:
        """A plain-text report grouped by principle, then severity, for a governance officer."""
        c = self.counts
        lines = [f"Validation on {self.check_date.isoformat()}: "
                 + ("conforms" if self.conforms else "does NOT conform")
                 + f" ({c['Violation']} violations, {c['Warning']} warnings, {c['Info']} info)"]
        groups: dict[int, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
        for f in self.findings:
            groups[f.principle][f.severity].append(f)
        for p in sorted(groups):
            name = PRINCIPLE_NAMES.get(p, "other shapes")
            lines.append("")
            lines.append(f"Principle {p}: {name}" if p else "Other shapes")
            for sev in SEVERITIES:
                items = sorted(groups[p].get(sev, []), key=Finding.sort_key)
                if not items:
                    continue
                lines.append(f"  {sev} ({len(items)})")
                for f in items:
                    where = f.focus + (f"  [{_short(f.path)}]" if f.path else "") + (f" = {f.value}" if f.value and f.value != f.focus else "")
                    lines.append(f"    - {where}")
                    lines.append(f"      {f.message}")
        if self.scorecard:
            lines.append("")
            lines.append("Scorecard (share of checked items with no violation or warning):")
            for p, s in sorted(self.scorecard.items()):
                lines.append(f"  {p:>2}  {100 * s.share:5.1f}%  ({s.conforming}/{s.focus_nodes})")
        return "\n".join(lines) + "\n"

    def to_graph(self, iri: str | None = None) -> rdflib.Graph:
        """The report as an sh:ValidationReport graph (one sh:ValidationResult per finding)."""
        g = rdflib.Graph()
        for p, ns in PREFIXES.items():
            g.bind(p, ns)
        rep = URIRef(iri) if iri else BNode()
        g.add((rep, RDF.type, SH.ValidationReport))
        g.add((rep, RDF.type, GOV.ValidationReport))
        g.add((rep, SH.conforms, Literal(self.conforms)))
        g.add((rep, GOV.checkDate, Literal(self.check_date.isoformat(), datatype=XSD.date)))
        for i, f in enumerate(sorted(self.findings, key=Finding.sort_key)):
            r = URIRef(f"{iri}/result/{i}") if iri else BNode()
            g.add((rep, SH.result, r))
            g.add((r, RDF.type, SH.ValidationResult))
            g.add((r, SH.focusNode, _term(f.focus)))
            if f.path:
                g.add((r, SH.resultPath, _term(f.path)))
            if f.value is not None:
                g.add((r, SH.value, _term(f.value)))
            g.add((r, SH.resultSeverity, _SEV_IRI[f.severity]))
            g.add((r, SH.sourceShape, _term(f.shape)))
            g.add((r, SH.resultMessage, Literal(f.message)))
            if f.principle:
                g.add((r, GOV.principle, Literal(f.principle)))
        return g

    def to_turtle(self, iri: str | None = None) -> str:
        """The report as Turtle (an sh:ValidationReport)."""
        return self.to_graph(iri).serialize(format="turtle")


def term_text(t) -> str:
    """How a focus node, path or value is written in a Finding: IRIs plain, literals in N-Triples form."""
    if isinstance(t, URIRef):
        return str(t)
    if isinstance(t, BNode):
        return "_:" + str(t)
    if isinstance(t, Literal):
        return t.n3()
    return str(t)


def _term(text: str):
    """The inverse of ``term_text``."""
    if text.startswith("_:"):
        return BNode(text[2:])
    if text.startswith('"'):
        return rdflib.util.from_n3(text)
    return URIRef(text)


def _short(iri: str) -> str:
    for p, ns in PREFIXES.items():
        if iri.startswith(str(ns)):
            return f"{p}:{iri[len(str(ns)):]}"
    return iri
