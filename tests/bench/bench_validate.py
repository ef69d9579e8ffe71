"""Validation benchmark (issue 4): fast engine vs plain pyshacl, scoped re-validation, validated loading.

Run: ``python tests/bench/bench_validate.py --sizes 1000 10000 100000 --reference-max 10000``
Prints medians and ratios measured in the same run, and checks that results are identical:
  * full validation of a generated estate, fast engine vs ``pyshacl.validate()`` (sets compared);
  * validating one changed asset inside an import transaction (median of many), compared with
    the full run's findings for the same focus nodes;
  * ``load_files`` with validation vs ``pyoxigraph.Store.bulk_load`` of the same file.
Not part of the pass/fail test run.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from govgraph.data.generate import generate
from govgraph.data.reference import REFERENCE_DATE
from govgraph.io.load import load_files
from govgraph.shapes.change import ChangeView, change_scope, staged
from govgraph.shapes.validate import plan_for, reference_store, run, shapes_for
from govgraph.store import Store

CACHE = Path(tempfile.gettempdir()) / "govgraph-bench"


def estate(n: int) -> Path:
    """A generated estate with ``n`` datasets (5% defects), cached between runs."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"estate-{n}.nt"
    if not path.exists():
        generate(path, n, seed=4, defect_rate=0.05)
    return path


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def bulk_load(path: Path) -> float:
    st = ox.Store()
    t0 = time.perf_counter()
    st.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    return time.perf_counter() - t0


def bench_size(n: int, reference_max: int, repeat: int, only_scoped: bool = False) -> dict:
    path = estate(n)
    shapes = shapes_for(check_date=REFERENCE_DATE)
    plan_for(shapes)
    res: dict = {"datasets": n}
    if only_scoped:
        st = Store.open("memory:")
        r = load_files(st, [path], validate=False)
        res["triples"] = r[0].triples
        return {**res, **bench_one_asset(st, shapes, n)}

    # loading: bulk_load alone vs the validated load path
    res["bulk_load_s"] = statistics.median(bulk_load(path) for _ in range(repeat))
    load_times = []
    for _ in range(repeat):
        st = Store.open("memory:")
        t0 = time.perf_counter()
        r = load_files(st, [path], check_date=str(REFERENCE_DATE), force=True)
        load_times.append(time.perf_counter() - t0)
    res["validated_load_s"] = statistics.median(load_times)
    res["triples"] = r[0].triples

    # full validation: fast engine (median) vs plain pyshacl (once)
    res["fast_full_s"], full = timed(lambda: run(st, shapes, with_scorecard=False), repeat)
    res["findings"] = full.counts
    if n <= reference_max:
        t0 = time.perf_counter()
        ref = reference_store(st, shapes)
        res["pyshacl_full_s"] = time.perf_counter() - t0
        res["identical_to_pyshacl"] = full.keys() == {f.key() for f in ref}

    return {**res, **bench_one_asset(st, shapes, n)}


def bench_one_asset(st: Store, shapes, n: int) -> dict:
    """Median time to validate an import touching one dataset, and whether it equals the full run there."""
    res: dict = {}
    # one changed asset: an import replacing one dataset's steward and adding an owner
    ds = f"https://synthetic.example.gov.uk/id/dataset/d{n // 2}"
    change = (f"<{ds}> <https://w3id.org/govgraph#steward> <https://synthetic.example.gov.uk/id/person/p1> .\n"
              f"<{ds}> <https://w3id.org/govgraph#owner> <https://synthetic.example.gov.uk/id/person/p2> .\n").encode()
    times, same = [], True
    for i in range(25):
        with st.begin(f"change-{i}") as txn:
            txn.load(data=change, fmt="ntriples")
            t0 = time.perf_counter()
            scope = change_scope(ChangeView.of_transactions([txn]), *staged([txn]))
            rep = run(st, shapes, graphs=txn.view(), scope=scope, with_scorecard=False)
            times.append(time.perf_counter() - t0)
            if i == 0:
                whole = run(st, shapes, graphs=txn.view(), with_scorecard=False)
                same = rep.keys() == whole.for_focus(scope).keys()
                res["scope_nodes"] = len(scope)
            txn.rollback()
    res["one_asset_median_ms"] = 1000 * statistics.median(times)
    res["one_asset_identical_to_full"] = same
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--reference-max", type=int, default=1000,
                    help="run the pyshacl reference only up to this many datasets (it is slow)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only-scoped", action="store_true", help="measure only the one-changed-asset case")
    a = ap.parse_args(argv)
    print(f"checks: {len(plan_for(shapes_for(check_date=REFERENCE_DATE)).checks)} compiled constraints")
    for n in a.sizes:
        r = bench_size(n, a.reference_max, a.repeat if n < 100000 else 1, a.only_scoped)
        if a.only_scoped:
            print(f"{n:>7} datasets {r['triples']:>9,} triples | one asset {r['one_asset_median_ms']:.1f} ms "
                  f"({r['scope_nodes']} nodes, identical={r['one_asset_identical_to_full']})", flush=True)
            continue
        line = (f"{n:>7} datasets {r['triples']:>9,} triples | fast full {r['fast_full_s']:.2f} s"
                + (f" | pyshacl {r['pyshacl_full_s']:.1f} s = {r['pyshacl_full_s'] / r['fast_full_s']:.0f}x, "
                   f"identical={r['identical_to_pyshacl']}" if "pyshacl_full_s" in r else "")
                + f" | one asset {r['one_asset_median_ms']:.1f} ms ({r['scope_nodes']} nodes, "
                  f"identical={r['one_asset_identical_to_full']})"
                + f" | load+validate {r['validated_load_s']:.1f} s vs bulk_load {r['bulk_load_s']:.1f} s"
                  f" = {r['validated_load_s'] / r['bulk_load_s']:.1f}x | findings {r['findings']}")
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
