"""What the strict guard (``sparql_guard.refusal(text, strict=True)``, used when the store is a remote
server) costs per new query text, and per text seen before (cached): the 10 queries of bench_sparql.

    python tests/bench/bench_sparql_strict.py [REPEATS]
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sparql import P, QUERIES  # noqa: E402
from govgraph.io import sparql_guard  # noqa: E402
from govgraph.ontology.ns import PREFIXES  # noqa: E402

PREDECLARED = {p: str(ns) for p, ns in PREFIXES.items()}


def main(repeats: int = 20) -> None:
    new, seen = {}, {}
    for name, q in QUERIES.items():
        text = P + q
        firsts, agains = [], []
        for _ in range(repeats):
            sparql_guard._refusal_strict.cache_clear()
            t0 = time.perf_counter()
            assert sparql_guard.refusal(text, strict=True, predeclared=PREDECLARED) is None, name
            t1 = time.perf_counter()
            sparql_guard.refusal(text, strict=True, predeclared=PREDECLARED)
            t2 = time.perf_counter()
            firsts.append(t1 - t0)
            agains.append(t2 - t1)
        new[name], seen[name] = statistics.median(firsts), statistics.median(agains)
        print(f"{name:28} new text {new[name] * 1000:7.2f} ms   seen before {seen[name] * 1e6:6.1f} us")
    print(f"{'median of the 10':28} new text {statistics.median(new.values()) * 1000:7.2f} ms   "
          f"seen before {statistics.median(seen.values()) * 1e6:6.1f} us")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
