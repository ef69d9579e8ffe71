"""As-is load benchmark (issue 15): ``load --as-is`` of a generated estate with 5% defects against a
strict load of the clean estate of the same size, in the same run (medians).

Run: ``python tests/bench/bench_as_is.py --sizes 10000 --repeat 3``
Each load goes into a new embedded (on-disk) store, as ``govgraph load`` does. The as-is load
validates as the strict one does, then also runs the check of the store before the change (to
tell new violations from old) and commits the baseline of known gaps with the sources.
Not part of the pass/fail test run.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from govgraph.data.generate import generate
from govgraph.data.reference import REFERENCE_DATE
from govgraph.errors import ValidationFailed
from govgraph.io.load import load_files
from govgraph.shapes import baseline
from govgraph.store import open_store

CACHE = Path(tempfile.gettempdir()) / "govgraph-bench"


def estate(n: int, defect_rate: float) -> Path:
    """A generated estate (cached between runs)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"estate-{n}-d{int(defect_rate * 100)}.nt"
    if not path.exists():
        generate(path, n, seed=4, defect_rate=defect_rate)
    return path


def one_load(path: Path, as_is: bool) -> tuple[float, int]:
    """Seconds to load ``path`` into a new store (strict or as is), and the known gaps recorded."""
    d = Path(tempfile.mkdtemp(prefix="bench-as-is-"))
    try:
        st = open_store(f"oxigraph:{d / 'store'}")
        t0 = time.perf_counter()
        load_files(st, [path], check_date=str(REFERENCE_DATE), as_is=as_is)
        took = time.perf_counter() - t0
        gaps = sum(len(g) for g in baseline.baselines(st).values())
        st.close()
        return took, gaps
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000])
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    for n in a.sizes:
        clean, defective = estate(n, 0.0), estate(n, 0.05)
        try:
            one_load(defective, False)
            print(f"{n}: the defective estate loaded strictly: it should have been refused")
            return 1
        except ValidationFailed as e:
            refused = len(e.report.violations)
        strict, as_is, gaps = [], [], 0
        for _ in range(a.repeat):  # interleaved, so both see the same machine load
            strict.append(one_load(clean, False)[0])
            t, gaps = one_load(defective, True)
            as_is.append(t)
        s, x = statistics.median(strict), statistics.median(as_is)
        print(f"{n:>7} datasets | strict load of the clean estate {s:.1f} s | as-is load with 5% defects {x:.1f} s "
              f"= {x / s:.2f}x | {gaps:,} known gaps recorded (a strict load refuses {refused:,} violations) | "
              f"medians of {a.repeat}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
