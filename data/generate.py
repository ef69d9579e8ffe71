"""Synthetic council estate generator.

Writes a fictional county council's data estate, shaped like the sample estate and
modelled as ``docs/modelling.md`` describes, at any size: a council and its service
areas, people, systems (a data warehouse, Power BI, partner-run systems), partners,
sharing agreements, standards, a glossary, processing purposes, DPIAs, ethics
assessments, datasets with fields, layered lineage (source -> staging -> warehouse ->
marts -> reports and statutory returns), flows and data quality targets.

With ``defect_rate=0`` every dataset, flow and agreement passes the checks listed in
``DOMAIN.md`` (for check date :data:`REFERENCE_DATE`; dates that must be in the past or
future hold for any check date from 2026-01-01). With ``defect_rate=R`` about that
share of datasets, of flows carrying personal data across the boundary, and of
sharing agreements each get one defect of a kind from :data:`DATASET_DEFECTS`,
:data:`FLOW_DEFECTS` or :data:`AGREEMENT_DEFECTS`.

Output streams to disk: only a few bytes per dataset are kept in memory (entity, width,
flags, per-layer index arrays), so a million datasets fit in a few hundred MB. The file
is written to a temporary name in the target folder and renamed when complete.

Run as ``python -m govgraph.data.generate --datasets N --seed S --defect-rate R -o FILE``.
"""
from __future__ import annotations

import argparse
import io
import math
import os
import random
import sys
from array import array
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence, TextIO

from govgraph.data.layer_datasets import DatasetWriter
from govgraph.data.layer_lineage import LineageLayer
from govgraph.data.layer_organisation import OrganisationLayer
from govgraph.data.layer_sharing import SharingLayer
from govgraph.data.reference import DEFECT_KINDS, UNITS, SharingRow
from govgraph.data.statements import Sink, SystemInfo, Terms

#: kept importable from here (tests and callers use ``generate.DEFECT_KINDS``)
__all__ = ["DEFECT_KINDS", "Estate", "generate", "main"]


class Estate(OrganisationLayer, SharingLayer, LineageLayer, DatasetWriter):
    """Generates one estate into a :class:`Sink`; call :meth:`write` once."""

    def __init__(self, sink: Sink, terms: Terms, datasets: int, seed: int, defect_rate: float,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.sink, self.t, self.n, self.seed = sink, terms, datasets, seed
        self.rate = defect_rate
        self.rng = random.Random(seed)
        self.progress = progress
        self.counts: Counter[str] = Counter()
        self.defects: Counter[str] = Counter({k: 0 for k in DEFECT_KINDS})
        self._size_people()
        self.entity = bytearray(datasets)
        self.width = bytearray(datasets)
        self.flags = bytearray(datasets)
        self.rec = bytearray(datasets)
        self.layer_start: dict[str, int] = {}
        self.layer_size: dict[str, int] = {}
        self.pools: dict[str, list[array]] = {}
        self.source_system: array = array("i")
        self.systems: list[SystemInfo] = []
        self.system_index: dict[str, int] = {}
        self.unit_systems: dict[int, list[int]] = {}
        self.partners: list[tuple[str, str]] = []
        self.partner_names: dict[str, str] = {}
        self.rows: dict[str, SharingRow] = {}
        self.outbound: dict[str, list[SharingRow]] = {}
        self._lazy: dict[str, str] = {}      # lazily written resources: key -> node
        self._flow_no = 0
        self._quality_no = 0

    # -- sizing and random helpers ----------------------------------------------------

    def _size_people(self) -> None:
        self.n_people = self.n // 10 + 20
        self.n_leavers = max(1, self.n_people // 50) if self.rate > 0 else 0
        self.n_current = self.n_people - self.n_leavers
        u = len(UNITS)
        self.unit_count = [(self.n_current - i + u - 1) // u for i in range(u)]

    def _pick(self, seq: Sequence):
        return seq[int(self.rng.random() * len(seq))]

    def _member(self, unit: int, lo: int, hi: int) -> int:
        """A current member of ``unit`` with rank in [lo, hi) (ranks clipped to those that exist)."""
        count = self.unit_count[unit]
        hi = min(hi, count)
        lo = min(lo, hi - 1)
        rank = lo + int(self.rng.random() * (hi - lo))
        return unit + len(UNITS) * rank

    def _owner(self, unit: int) -> int:
        """A senior member (rank 0-2), leaving the most junior to be steward in small units."""
        return self._member(unit, 0, max(1, min(3, self.unit_count[unit] - 1)))

    def _steward(self, unit: int) -> int:
        return self._member(unit, 3, 1 << 30)

    def _roll(self) -> bool:
        """True with probability ``defect_rate`` (no random number drawn when it is 0)."""
        return bool(self.rate) and self.rng.random() < self.rate

    def _defect(self, kinds: Sequence[str]) -> str:
        """One defect kind from ``kinds``, counted."""
        kind = self._pick(kinds)
        self.defects[kind] += 1
        return kind

    # -- fixed parts of the estate ----------------------------------------------------

    def write(self) -> dict:
        """Write the whole estate; returns the counts."""
        self._header()
        self._council_and_units()
        self._people()
        self._partners()
        self._standards_and_glossary()
        self._purposes_and_assessments()
        self._communities()
        self._systems()
        self._agreements()
        self._datasets()
        return self._summary()

    # -- summary -------------------------------------------------------------------------

    def _summary(self) -> dict:
        c = self.counts
        return {
            "triples": self.sink.triples, "datasets": self.n,
            "source_datasets": c["source_datasets"], "staging_datasets": c["staging_datasets"],
            "warehouse_datasets": c["warehouse_datasets"], "marts": c["mart_datasets"],
            "reports": c["report_datasets"], "statutory_returns": c["return_datasets"],
            "key_datasets": c["key_datasets"], "fields": c["fields"], "flows": c["flows"],
            "personal_boundary_flows": c["personal_boundary_flows"], "systems": c["systems"],
            "units": c["units"], "people": c["people"], "leavers": c["leavers"], "partners": c["partners"],
            "agreements": c["agreements"], "standards": c["standards"], "concepts": c["concepts"],
            "purposes": c["purposes"], "quality_targets": c["quality_targets"],
            "measurements": c["measurements"],
            "defective_datasets": c["defective_datasets"], "defective_flows": c["defective_flows"],
            "defective_agreements": c["defective_agreements"],
            "defects": dict(self.defects),
        }


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _check_arguments(out: str | os.PathLike, datasets: int, seed: int, defect_rate: float) -> Path:
    """Validate arguments; returns the output path. Raises ValueError / OSError, one line each."""
    if isinstance(datasets, bool) or not isinstance(datasets, int) or datasets <= 0:
        raise ValueError(f"datasets must be a positive whole number, got {datasets!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be a whole number, got {seed!r}")
    if (isinstance(defect_rate, bool) or not isinstance(defect_rate, (int, float))
            or math.isnan(defect_rate) or not 0.0 <= defect_rate <= 1.0):
        raise ValueError(f"defect rate must be a number from 0 to 1, got {defect_rate!r}")
    path = Path(out)
    if path.suffix.lower() not in (".nt", ".ttl"):
        raise ValueError(f"output file must end in .nt (N-Triples) or .ttl (Turtle): {str(path)!r}")
    folder = path.parent
    if not folder.exists():
        raise FileNotFoundError(f"cannot write {path}: folder {folder} does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(f"cannot write {path}: {folder} is not a folder")
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write {path}: folder {folder} is not writable")
    return path


def _open_temp(path: Path) -> tuple[Path, TextIO]:
    """A new hidden temporary file next to ``path`` (honouring the umask)."""
    for n in range(100):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{n}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OSError(f"cannot write {path}: {exc.strerror or exc}") from exc
        return tmp, io.open(fd, "w", encoding="utf-8", newline="\n", buffering=1 << 20)
    raise FileExistsError(f"cannot write {path}: too many stale temporary files beside it")


def generate(out: str | os.PathLike, datasets: int, seed: int = 0, defect_rate: float = 0.0,
             progress: Callable[[int, int], None] | None = None) -> dict:
    """Write a synthetic council estate with ``datasets`` datasets to ``out`` (.nt or .ttl).

    Deterministic for a seed. ``defect_rate`` (0-1) is the share of datasets, personal-data
    boundary flows and agreements given one defect each. ``progress(done, total)`` is called
    about every 10% of datasets. Returns counts: triples, datasets, fields, flows, systems,
    people, partners, agreements, ... and ``defects`` (kind -> number injected).
    Raises ValueError for bad arguments and OSError when ``out`` cannot be written; no
    partial file is left behind.
    """
    path = _check_arguments(out, datasets, seed, defect_rate)
    tmp, fh = _open_temp(path)
    try:
        with fh:
            turtle = path.suffix.lower() == ".ttl"
            estate = Estate(Sink(fh, turtle), Terms(turtle), datasets, seed, float(defect_rate), progress)
            counts = estate.write()
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return counts


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m govgraph.data.generate",
                                description="Write a synthetic council data estate as N-Triples or Turtle.")
    p.add_argument("--datasets", type=int, required=True, help="number of datasets (at least 1)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--defect-rate", type=float, default=0.0,
                   help="share (0-1) of datasets, flows and agreements given one defect each (default 0)")
    p.add_argument("-o", "--output", required=True, help="output file, .nt or .ttl")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; progress and a summary go to stderr. Returns the exit code."""
    args = _parser().parse_args(argv)

    def report(done: int, total: int) -> None:
        print(f"generate: {done * 100 // total}% ({done}/{total} datasets)", file=sys.stderr, flush=True)

    try:
        counts = generate(args.output, args.datasets, args.seed, args.defect_rate, progress=report)
    except (ValueError, OSError) as exc:
        print(f"generate: error: {exc}", file=sys.stderr)
        return 2
    defects = sum(counts["defects"].values())
    print(f"generate: wrote {counts['triples']} triples ({counts['datasets']} datasets, {counts['fields']} fields, "
          f"{counts['flows']} flows, {defects} defects) to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
