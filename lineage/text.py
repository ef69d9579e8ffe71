"""Readable plain-text renderings of lineage results (indented trees), for the command line."""
from __future__ import annotations

from govgraph.lineage.sharing import SharingResult
from govgraph.lineage.results import (EdgeInfo, FieldTrace, ImpactResult, LineageResult, NodeInfo, PathResult,
                                      SensitivityResult)


def describe(n: NodeInfo) -> str:
    """One line about a node: label, kind, where it is held, sensitivity and boundary flags."""
    bits = [n.kind]
    if n.system_label:
        bits.append(f"in {n.system_label}")
    if n.special:
        bits.append("special category")
    elif n.personal:
        bits.append("personal")
    if n.external:
        bits.append("outside the council")
    return f"{n.label} [{', '.join(bits)}]"


def _via(e: EdgeInfo) -> str:
    if e.kind in ("flow", "carried"):
        mech = e.mechanism.rsplit("#", 1)[-1] if e.mechanism else ""
        s = f"flow {e.label!r}" if e.label else "flow"
        s += f" by {mech}" if mech else ""
        if e.crosses_boundary:
            s += ", agreement " + (e.agreement.rsplit("/", 1)[-1] if e.agreement else "NONE")
        return s
    if e.kind == "run":
        return f"run {e.label or e.activity}"
    if e.kind == "field":
        return f"field: {e.transformation}" if e.transformation else "field"
    return {"derived": "derived", "holds": "held here", "held_in": "held here",
            "submitted": "submitted"}.get(e.kind, e.kind)


def lineage_text(res: LineageResult) -> str:
    """An indented tree per direction: each node once, repeats marked, with how data moves."""
    nodes = {n.iri: n for n in res.nodes}
    lines = [describe(nodes[res.root])]
    lines += [f"note: {m}" for m in res.notices]
    for d in (("up", "down") if res.direction == "both" else (res.direction,)):
        children: dict[str, list[tuple[str, EdgeInfo]]] = {}
        for e in res.edges:
            if d == "down" and e.kind != "held_in":
                children.setdefault(e.source, []).append((e.target, e))
            elif d == "up" and e.kind != "holds":
                children.setdefault(e.target, []).append((e.source, e))
            elif d == "up" and e.kind == "holds" and res.direction == "both":
                children.setdefault(e.source, []).append((e.target, e))
        lines.append("upstream (where it comes from):" if d == "up" else "downstream (where it goes):")
        seen = {res.root}
        body = _tree(res.root, children, nodes, seen, "  ")
        lines += body or ["  (nothing)"]
    return "\n".join(lines) + "\n"


def _tree(n: str, children: dict[str, list[tuple[str, EdgeInfo]]], nodes: dict[str, NodeInfo],
          seen: set[str], indent: str) -> list[str]:
    out = []
    vias: dict[str, list[str]] = {}
    for c, e in children.get(n, ()):
        if c in nodes:
            v = _via(e)
            if v not in vias.setdefault(c, []):
                vias[c].append(v)  # parallel edges (a flow and a derivation) on one line
    kids = sorted(vias, key=lambda c: (nodes[c].depth, nodes[c].label.casefold(), c))
    for i, c in enumerate(kids):
        branch, cont = ("└─ ", "   ") if i == len(kids) - 1 else ("├─ ", "│  ")
        via = "; ".join(vias[c])
        if c in seen:
            out.append(f"{indent}{branch}{nodes[c].label} (see above)  <- {via}")
            continue
        seen.add(c)
        out.append(f"{indent}{branch}{describe(nodes[c])}  <- {via}")
        out += _tree(c, children, nodes, seen, indent + cont)
    return out


def impact_text(res: ImpactResult) -> str:
    """Impact grouped and counted, one section per group."""
    lines = [f"impact of changing or removing {res.root_label} [{res.root_kind}]"]
    if len(res.starting_set) > 1:
        lines.append(f"  starting from it and the {len(res.starting_set) - 1} datasets it holds")
    for name, g in res.groups.items():
        lines.append(f"{name}: {g.count}")
        for item in g.head(25):
            extra = f" ({item['count']} assets)" if "count" in item else (
                f" [in {item['system_label']}]" if item.get("system_label") else "")
            lines.append(f"  - {item['label']}{extra}")
        if g.count > 25:
            lines.append(f"  ... and {g.count - 25} more")
    lines.append(f"inbound feeds needing a new home: {len(res.inbound)}")
    for f in res.inbound:
        lines.append(f"  - {f['source_label']} -> {f['target_label']}"
                     + (f" ({f['flow_label']})" if f["flow_label"] else "")
                     + (f" under {f['agreement_label']}" if f["agreement_label"] else ""))
    lines.append(f"agreements affected: {len(res.agreements)}")
    for a in res.agreements:
        lines.append(f"  - {a['label']} ({'in force' if a['in_force'] else 'not in force'};"
                     f" {len(a['flows'])} flow{'s' if len(a['flows']) != 1 else ''})")
    return "\n".join(lines) + "\n"


def paths_text(res: PathResult) -> str:
    """Each path on one line, data moving left to right."""
    labels = {n.iri: n.label for n in res.nodes}
    if not res.paths:
        return f"no path between {labels.get(res.source, res.source)} and {labels.get(res.target, res.target)}\n"
    head = (f"{labels[res.source]} feeds {labels[res.target]}" if res.direction == "down"
            else f"{labels[res.target]} feeds {labels[res.source]}")
    lines = [f"{head}: {len(res.paths)} path(s)"] + [f"note: {m}" for m in res.notices]
    for i, p in enumerate(res.paths, 1):
        lines.append(f"{i:3}. " + " -> ".join(labels.get(n, n) for n in p))
    return "\n".join(lines) + "\n"


def field_text(t: FieldTrace, indent: str = "", arrow: str = "") -> str:
    """A field and its sources as an indented tree with each transformation."""
    where = f"{t.dataset_label or '?'}" + (f" in {t.system_label}" if t.system_label else "")
    lines = [f"{indent}{arrow}{t.label} ({where})" + (f": {t.transformation}" if t.transformation else "")
             + (" (cycle)" if t.cycle else "")]
    for s in t.sources:
        lines.append(field_text(s, indent + ("   " if arrow else "  "), "<- ").rstrip("\n"))
    return "\n".join(lines) + "\n"


def sensitivity_text(res: SensitivityResult) -> str:
    """Where personal data lands; boundary hops and whether an agreement covers them."""
    lines = [f"personal data followed downstream (agreements checked on {res.check_date})"]
    lines += [f"note: {m}" for m in res.notices]
    for l in res.landings:
        flag = "" if l.covered else "  ** NOT COVERED **"
        stop = " (aggregated/anonymised: stops here)" if l.stopped else ""
        lines.append(f"  {describe(l.node)}{stop}{flag}")
        for h in l.boundary_hops:
            lines.append(f"      boundary hop to {h['partner_label'] or '?'}: {h['reason']}")
    return "\n".join(lines) + "\n"


def sharing_text(res: SharingResult) -> str:
    """Each boundary crossing of personal data on a few lines, gaps first."""
    lines = [f"personal data crossing the council's boundary: {len(res.crossings)} crossing(s), "
             f"{len(res.gaps())} with gaps (agreements checked on {res.check_date})"]
    lines += [f"note: {m}" for m in res.notices]
    for c in res.crossings:
        flag = f"  ** GAP: {'; '.join(c.gaps)} **" if c.gaps else ""
        lines.append(f"- {c.source_label} -> {c.target_label}{' [special category]' if c.special else ''}{flag}")
        if c.flow_label:
            lines.append(f"    flow: {c.flow_label}")
        lines.append(f"    agreement: {c.agreement_label or 'none'} ({c.coverage})")
        lines.append(f"    lawful basis: {', '.join(b['label'] for b in c.lawful_bases) or 'none recorded'}"
                     + (f"; Article 9: {', '.join(b['label'] for b in c.art9_conditions) or 'none recorded'}"
                        if c.special else ""))
        lines.append(f"    path: {' -> '.join(p['label'] for p in c.path)}")
    return "\n".join(lines) + "\n"
