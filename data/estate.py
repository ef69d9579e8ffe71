"""The sample council estate shipped with govgraph, and loading it into a store."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from govgraph.io.load import LoadResult, load_files
from govgraph.store import Store, open_store

#: The note recorded when the sample is loaded despite its deliberate defects.
SAMPLE_NOTE = "sample estate: loaded with its documented deliberate defects (data/sample/DEFECTS.md)"


def sample_dir() -> Path:
    """The folder holding the sample estate's Turtle files and IAR CSV."""
    return Path(str(resources.files("govgraph.data").joinpath("sample")))


def sample_files() -> list[Path]:
    """The sample estate's files: every Turtle file, then the IAR CSV."""
    d = sample_dir()
    return sorted(d.glob("*.ttl")) + sorted(d.glob("*.csv"))


def reset_store(url: str) -> Store:
    """Open ``url`` and empty it, for a fresh demo."""
    store = open_store(url)
    store.clear()
    return store


def load_sample(store: Store, *, who: str = "govgraph demo") -> list[LoadResult]:
    """Load the sample: its Turtle files as one source (``sample/estate``), then the IAR CSV.

    The Turtle files refer to each other, so they are checked together in one
    transaction. The sample deliberately breaks some principles so every check has
    something to find, so it is committed even where validation reports violations
    (recorded as forced in the change history).
    """
    files = sample_files()
    turtle = [f for f in files if f.suffix == ".ttl"]
    results = load_files(store, turtle, source="sample/estate", replace=True, who=who, force=True)
    for f in files:
        if f.suffix == ".csv":
            results += load_files(store, [f], source=f"sample/{f.name}", replace=True, who=who, force=True)
    return results
