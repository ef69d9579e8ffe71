"""Run every harvest a TOML file lists (``govgraph harvest --config harvest.toml``), for a nightly job.

```toml
[[db]]
url_env = "WAREHOUSE_URL"        # or url = "postgresql+psycopg://govgraph@dwh:5432/council"
system = "Shire Data Warehouse"  # a system's name or IRI, recorded in the store
schemas = ["staging", "marts"]   # optional: default all but the database's own
source = "harvest:db:dwh"        # optional: default harvest:db:<system>
count_rows = true                # optional
sample = 100                     # optional: rows sampled for personal-data patterns
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
from govgraph.harvest.writer import HarvestResult, resolve_system, write_harvest
from govgraph.store import Store

_DB_KEYS = {"url", "url_env", "system", "schemas", "source", "count_rows", "sample"}


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
class Outcome:
    """What one configured harvest did: its result, or the error that stopped it."""
    harvest: DbHarvest
    result: HarvestResult | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.result is not None

    def line(self) -> str:
        return self.result.line() if self.result else f"{self.harvest.label}: FAILED: {self.error}"


def read_config(path: str | Path) -> list[DbHarvest]:
    """The harvests a TOML file lists; BadInput naming the file and entry when one is malformed."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise BadInput(f"cannot read the harvest configuration: {e.strerror}", file=str(p)) from None
    except tomllib.TOMLDecodeError as e:
        raise BadInput(f"not valid TOML: {e}", file=str(p)) from None
    unknown = set(data) - {"db"}
    if unknown:
        raise BadInput(f"unknown section(s) {', '.join(sorted(unknown))}: the harvests are [[db]] entries", file=str(p))
    out = []
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
    if not out:
        raise BadInput("no harvests configured (add [[db]] entries)", file=str(p))
    return out


def run_db(store: Store, job: DbHarvest, *, who: str = "harvest", progress: Progress | None = None) -> HarvestResult:
    """One database harvest: resolve the system, read the database, write the source."""
    system = resolve_system(store, job.system)
    h = harvest_database(job.url, system=system, schemas=job.schemas, count_rows=job.count_rows,
                         sample=job.sample, progress=progress)
    return write_harvest(store, h, source=job.source, who=who, progress=progress)


def run_config(store: Store, path: str | Path, *, who: str = "harvest",
               progress: Callable[[str], Progress | None] | None = None) -> list[Outcome]:
    """Run every configured harvest; one failing does not stop the others."""
    outcomes = []
    for job in read_config(path):
        try:
            outcomes.append(Outcome(job, run_db(store, job, who=who, progress=progress(job.label) if progress else None)))
        except GovGraphError as e:
            outcomes.append(Outcome(job, error=str(e)))
    return outcomes
