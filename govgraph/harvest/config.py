"""Run every harvest a TOML file lists (``govgraph harvest --config harvest.toml``), for a nightly job.

```toml
[[db]]
url_env = "WAREHOUSE_URL"        # or url = "postgresql+psycopg://govgraph@dwh:5432/council"
system = "Shire Data Warehouse"  # a system's name or IRI, recorded in the store
schemas = ["staging", "marts"]   # optional: default all but the database's own
source = "harvest:db:dwh"        # optional: default harvest:db:<system>
count_rows = true                # optional
sample = 100                     # optional: rows sampled for personal-data patterns

[[dbt]]
target = "/srv/dbt/council/target"   # after `dbt build` and `dbt docs generate`
system = "Shire Data Warehouse"
namespace = "postgres://dwh:5432"    # optional: as OpenLineage names the warehouse
run_results = "/srv/dbt/council/build_run_results.json"  # optional: the test outcomes

[[files]]
dir = "/mnt/shared/childrens-services"
system = "Children's Services shared drive"   # a gov:DocumentStore
sample = 100                                  # optional: rows sampled for personal-data patterns
```

Each harvest runs on its own: one failing (unreachable, refused) is reported and the others
still run; ``run_config`` returns one outcome each, and the caller's exit status says whether
all succeeded. Passwords belong in the environment (``url_env``), not in the file.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from govgraph.errors import BadInput, GovGraphError
from govgraph.harvest.database import Progress, harvest_database
from govgraph.harvest.dbt import harvest_dbt
from govgraph.harvest.files import harvest_files
from govgraph.harvest.writer import HarvestResult, match_owners, resolve_system, write_harvest
from govgraph.store import Store

_DB_KEYS = {"url", "url_env", "system", "schemas", "source", "count_rows", "sample"}
_DBT_KEYS = {"target", "system", "namespace", "run_results", "source"}
_FILES_KEYS = {"dir", "system", "source", "sample"}


@dataclass
class DbHarvest:
    """One configured database harvest."""
    url: str
    system: str
    schemas: list[str] | None = None
    source: str | None = None
    count_rows: bool = False
    sample: int = 0

    @property
    def label(self) -> str:
        return self.source or f"db harvest of {self.system!r}"


@dataclass
class DbtHarvest:
    """One configured dbt project harvest (its target folder)."""
    target: str
    system: str
    namespace: str | None = None
    run_results: str | None = None
    source: str | None = None

    @property
    def label(self) -> str:
        return self.source or f"dbt harvest of {self.target}"


@dataclass
class FilesHarvest:
    """One configured shared-drive harvest (a folder of spreadsheets and CSV files)."""
    dir: str
    system: str
    source: str | None = None
    sample: int = 0

    @property
    def label(self) -> str:
        return self.source or f"files harvest of {self.dir}"


@dataclass
class Outcome:
    """What one configured harvest did: its result, or the error that stopped it."""
    harvest: DbHarvest | DbtHarvest | FilesHarvest
    result: HarvestResult | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.result is not None

    def line(self) -> str:
        return self.result.line() if self.result else f"{self.harvest.label}: FAILED: {self.error}"


def read_config(path: str | Path) -> list[DbHarvest | DbtHarvest | FilesHarvest]:
    """The harvests a TOML file lists; BadInput naming the file and entry when one is malformed."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise BadInput(f"cannot read the harvest configuration: {e.strerror}", file=str(p)) from None
    except tomllib.TOMLDecodeError as e:
        raise BadInput(f"not valid TOML: {e}", file=str(p)) from None
    unknown = set(data) - {"db", "dbt", "files"}
    if unknown:
        raise BadInput(f"unknown section(s) {', '.join(sorted(unknown))}: the harvests are [[db]], [[dbt]] and "
                       "[[files]] entries", file=str(p))
    out: list[DbHarvest | DbtHarvest | FilesHarvest] = []
    for i, entry in enumerate(data.get("db") or [], 1):
        where = f"[[db]] entry {i}"
        if not isinstance(entry, dict):
            raise BadInput(f"{where} is not a table", file=str(p))
        extra = set(entry) - _DB_KEYS
        if extra:
            raise BadInput(f"{where}: unknown key(s) {', '.join(sorted(extra))} (known: {', '.join(sorted(_DB_KEYS))})",
                           file=str(p))
        url = entry.get("url")
        if entry.get("url_env"):
            url = os.environ.get(entry["url_env"])
            if not url:
                raise BadInput(f"{where}: the environment variable {entry['url_env']} is not set", file=str(p))
        if not url or not entry.get("system"):
            raise BadInput(f"{where}: needs url (or url_env) and system", file=str(p))
        schemas = entry.get("schemas")
        if schemas is not None and (not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas)):
            raise BadInput(f"{where}: schemas must be a list of names", file=str(p))
        sample = entry.get("sample", 0)
        if not isinstance(sample, int) or sample < 0:
            raise BadInput(f"{where}: sample must be a whole number of rows (0 for none)", file=str(p))
        out.append(DbHarvest(url=url, system=str(entry["system"]), schemas=schemas, source=entry.get("source"),
                             count_rows=bool(entry.get("count_rows", False)), sample=sample))
    out.extend(_other_entries(data, p))
    if not out:
        raise BadInput("no harvests configured (add [[db]], [[dbt]] or [[files]] entries)", file=str(p))
    return out


def _other_entries(data: dict, p: Path) -> list[DbtHarvest | FilesHarvest]:
    """The [[dbt]] and [[files]] entries."""
    out: list[DbtHarvest | FilesHarvest] = []
    for section, keys, needs in (("dbt", _DBT_KEYS, "target"), ("files", _FILES_KEYS, "dir")):
        for i, entry in enumerate(data.get(section) or [], 1):
            where = f"[[{section}]] entry {i}"
            if not isinstance(entry, dict):
                raise BadInput(f"{where} is not a table", file=str(p))
            extra = set(entry) - keys
            if extra:
                raise BadInput(f"{where}: unknown key(s) {', '.join(sorted(extra))} (known: {', '.join(sorted(keys))})",
                               file=str(p))
            if not entry.get(needs) or not entry.get("system"):
                raise BadInput(f"{where}: needs {needs} and system", file=str(p))
            if section == "dbt":
                out.append(DbtHarvest(target=str(entry["target"]), system=str(entry["system"]),
                                      namespace=entry.get("namespace"), run_results=entry.get("run_results"),
                                      source=entry.get("source")))
                continue
            sample = entry.get("sample", 0)
            if not isinstance(sample, int) or sample < 0:
                raise BadInput(f"{where}: sample must be a whole number of rows (0 for none)", file=str(p))
            out.append(FilesHarvest(dir=str(entry["dir"]), system=str(entry["system"]), source=entry.get("source"),
                                    sample=sample))
    return out


def run_db(store: Store, job: DbHarvest, *, who: str = "harvest", progress: Progress | None = None) -> HarvestResult:
    """One database harvest: resolve the system, read the database, write the source."""
    system = resolve_system(store, job.system)
    h = harvest_database(job.url, system=system, schemas=job.schemas, count_rows=job.count_rows,
                         sample=job.sample, progress=progress)
    return write_harvest(store, h, source=job.source, who=who, progress=progress)


def run_dbt(store: Store, job: DbtHarvest, *, who: str = "harvest", progress: Progress | None = None) -> HarvestResult:
    """One dbt harvest: resolve the system, read the artefacts, match owners to people, write the source."""
    system = resolve_system(store, job.system)
    h = harvest_dbt(job.target, system=system, namespace=job.namespace, run_results=job.run_results)
    match_owners(store, h)
    return write_harvest(store, h, source=job.source, who=who, progress=progress)


def run_files(store: Store, job: FilesHarvest, *, who: str = "harvest",
              progress: Progress | None = None) -> HarvestResult:
    """One shared-drive harvest: resolve the document store, read the folder, write the source."""
    system = resolve_system(store, job.system)
    h = harvest_files(job.dir, system=system, sample=job.sample, progress=progress)
    return write_harvest(store, h, source=job.source, who=who, progress=progress)


_RUN = {DbHarvest: run_db, DbtHarvest: run_dbt, FilesHarvest: run_files}


def run_config(store: Store, path: str | Path, *, who: str = "harvest",
               progress: Callable[[str], Progress | None] | None = None) -> list[Outcome]:
    """Run every configured harvest; one failing does not stop the others."""
    outcomes = []
    for job in read_config(path):
        try:
            run = _RUN[type(job)]
            outcomes.append(Outcome(job, run(store, job, who=who, progress=progress(job.label) if progress else None)))
        except GovGraphError as e:
            outcomes.append(Outcome(job, error=str(e)))
    return outcomes
