"""A tool the tests run in a virtualenv of its own, made once and kept in a cache folder.

Some tools the tests drive (CKAN's DCAT parser, dbt, rdflib-endpoint) pin dependencies that cannot
share govgraph's environment, so each runs as a subprocess from a venv of its own. The venv is made
once per version in ``GOVGRAPH_TEST_CACHE`` (default ``~/.cache/govgraph-tests``) and reused while its
stamp file says it is complete: an interrupted install leaves no stamp and is made again.

``python tests/cached_venv.py ckan_harvest.env dbt.env ...`` makes the venvs those modules
describe (their ``VENV``) ahead of a test run; scripts/test.sh does.
"""
from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


def cache_root() -> Path:
    return Path(os.environ.get("GOVGRAPH_TEST_CACHE") or str(Path.home() / ".cache" / "govgraph-tests"))


@dataclass(frozen=True)
class CachedVenv:
    """A venv holding ``packages`` in the cache folder ``name``; ``check`` (a command of the venv and its
    arguments) must succeed after the install for the venv to count as complete."""
    name: str
    packages: tuple[str, ...]
    check: tuple[str, ...]

    @property
    def folder(self) -> Path:
        return cache_root() / self.name

    def command(self, name: str) -> Path:
        """A command of the venv (``python``, ``dbt`` ...), without making it."""
        return self.folder / "venv" / "bin" / name

    def ready(self) -> Path:
        """The venv's ``bin`` folder, the venv made first if missing or incomplete (pip takes about a minute)."""
        stamp = self.folder / "complete"
        if stamp.exists() and self.command(self.check[0]).exists():
            return self.command("python").parent
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        run([sys.executable, "-m", "venv", str(self.folder / "venv")])
        run([str(self.command("python")), "-m", "pip", "install", "-q", "--disable-pip-version-check", *self.packages])
        run([str(self.command(self.check[0])), *self.check[1:]])
        stamp.write_text(" ".join(self.packages) + "\n")
        return self.command("python").parent


def run(args: list[str], timeout: float = 900) -> None:
    """Run a setup command; on failure raise with the ends of its output."""
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


if __name__ == "__main__":
    for module in sys.argv[1:]:
        print(importlib.import_module(module).VENV.ready())
