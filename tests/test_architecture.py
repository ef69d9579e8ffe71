"""The structure docs/architecture.md describes, checked: no import cycles, small modules, the web
layer away from the storage engine, and the document naming every room that exists."""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
#: folder -> import name (setup.cfg's package_dir)
PACKAGES = {"govgraph": "govgraph", "ontology": "govgraph.ontology", "shapes": "govgraph.shapes",
            "lineage": "govgraph.lineage", "webapp": "govgraph.webapp", "data": "govgraph.data"}
MAX_LINES = 600
#: Modules allowed over the limit, each at most the size given (none today: keep it that way).
OVERSIZE: dict[str, int] = {}


def modules() -> dict[str, Path]:
    """Every module of the distribution by its import name."""
    out = {}
    for folder, pkg in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            if "__pycache__" in path.parts or (folder == "govgraph" and path.parts[len(ROOT.parts) + 1:2 + len(ROOT.parts)]
                                                 and path.relative_to(ROOT / folder).parts[0] in PACKAGES):
                continue
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([pkg, *parts])] = path
    return out


def import_graph() -> nx.DiGraph:
    """Module -> module it imports (at the top or inside a function: both count)."""
    mods = modules()
    g = nx.DiGraph()
    for name, path in mods.items():
        g.add_node(name)
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = name if is_pkg else name.rsplit(".", 1)[0]
                    for _ in range(node.level - 1):
                        pkg = pkg.rsplit(".", 1)[0]
                    base = f"{pkg}.{base}" if base else pkg
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            for t in targets:
                while t and t not in mods:
                    t = t.rsplit(".", 1)[0] if "." in t else ""
                if t and t != name:
                    g.add_edge(name, t)
    return g


def test_the_import_graph_has_the_modules():
    g = import_graph()
    assert "govgraph.store" in g and "govgraph.webapp.api" in g and "govgraph.lineage.queries" in g
    assert g.has_edge("govgraph.webapp.api", "govgraph.catalog")


def test_no_import_cycles():
    # a package's __init__ re-exporting its modules is not a cycle of the design: leave those edges out
    g = import_graph()
    g.remove_edges_from([(a, b) for a, b in list(g.edges) if modules()[a].name == "__init__.py"
                         and b.startswith(a + ".")])
    cycles = list(nx.simple_cycles(g))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c + [c[0]]) for c in cycles[:10])


def test_modules_stay_small():
    over = {}
    for name, path in modules().items():
        rel = str(path.relative_to(ROOT))
        n = len(path.read_text("utf-8").splitlines())
        limit = OVERSIZE.get(rel, MAX_LINES)
        if n > limit:
            over[rel] = (n, limit)
    assert not over, f"modules over their limit (lines, limit): {over}"


def test_the_web_layer_does_not_touch_the_storage_engine():
    for path in (ROOT / "webapp").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.split(".")[0] == "pyoxigraph" for n in names), f"{path.name} imports pyoxigraph"


def test_the_architecture_document_names_every_room():
    text = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    for folder in PACKAGES:
        assert f"`{folder}/" in text, folder
    for sub in (ROOT / "govgraph").iterdir():
        if sub.is_dir() and (sub / "__init__.py").exists():
            assert f"govgraph/{sub.name}/" in text, sub.name


def test_no_test_module_imports_from_another_test_module():
    """Shared test helpers live in tests/support.py and fixtures in tests/conftest.py, not in test modules."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            for n in names:
                last = n.split(".")[-1]
                if last.startswith("test_") or last == "conftest":
                    found.append(f"{path.relative_to(ROOT)} imports {n}")
    assert found == []


def test_every_package_is_installed():
    """Each folder with an ``__init__.py`` under the package roots is listed in setup.cfg's packages
    (a missing one installs editable but not from a wheel: tests/test_install.py finds it in minutes)."""
    import configparser
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    listed = set(cfg["options"]["packages"].split())
    roots = {"govgraph": "govgraph"} | dict(line.split(" = ") for line in cfg["options"]["package_dir"].split("\n") if line)
    found = set()
    for name, folder in roots.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name,) + rel))
    assert found <= listed, f"packages missing from setup.cfg: {sorted(found - listed)}"


#: The CLI's command modules: they may import core modules inside a command, so that ``govgraph --help``
#: and the other commands start without them (each says so, with the cost it saves).
LAZY_IMPORTS_ALLOWED = {"govgraph.cli", "govgraph.lineage.commands", "govgraph.harvest.commands"}


def govgraph_imports_inside_functions(path: Path) -> list[str]:
    """'line: module' for each import of a govgraph module inside a function of the module at ``path``."""
    found = []
    for fn in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.ImportFrom):
                base = "." * node.level + (node.module or "")
                mods = [base] if node.module else [base + a.name for a in node.names]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            else:
                continue
            found += [f"{node.lineno}: {m}" for m in mods if m.startswith(".") or m.split(".")[0] == "govgraph"]
    return sorted(set(found), key=lambda s: int(s.split(":")[0]))


def test_no_imports_inside_functions_outside_the_cli():
    """An import inside a function hides a cycle from the reader: fix the dependency's direction instead
    (a small module both sides import). Only the CLI's command modules keep imports lazy, for start-up time."""
    found = {}
    for name, path in modules().items():
        if name in LAZY_IMPORTS_ALLOWED or name.startswith("govgraph.commands."):
            continue
        hits = govgraph_imports_inside_functions(path)
        if hits:
            found[name] = hits
    assert found == {}


def test_the_in_function_import_check_finds_one(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("import os\nfrom govgraph import store\n\ndef f():\n    import json\n"
                      "    from govgraph.shapes.history import report_dates\n    from . import sibling\n    return 1\n")
    assert govgraph_imports_inside_functions(sample) == ["6: govgraph.shapes.history", "7: .sibling"]


def test_test_modules_take_sample_copies_from_the_store_factory():
    """A copy of the sample estate is made by conftest's one factory (``store_factory``, ``sample_store`` ...),
    not by a test module copying the sample's store folder itself. (The browser tests serve the sample through
    ``support.serve_sample``.)"""
    found = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    any(a.arg == "sample_store_path" for a in node.args.args):
                found.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert found == []
