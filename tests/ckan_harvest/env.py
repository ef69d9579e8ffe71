"""CKAN and ckanext-dcat in their own virtualenv, as a portal runs them, for the DCAT harvest test.

CKAN pins its own dependencies (``ckan[requirements]``: Flask, click, SQLAlchemy ...), which
cannot share an environment with govgraph's, so the harvester's parser runs as a subprocess
in a venv of its own. The venv is made once per CKAN version in a cache folder
(``GOVGRAPH_TEST_CACHE``, default ``~/.cache/govgraph-tests``) and reused while its stamp
file says it is complete; ``python tests/ckan_harvest/env.py`` makes it ahead of a test run
(scripts/test.sh does). pip takes about a minute.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CKAN = "ckan[requirements]==2.12.0"
CKANEXT_DCAT = "ckanext-dcat==2.4.4"
PARSER = Path(__file__).with_name("parse_dcat.py")


def cache_dir() -> Path:
    root = os.environ.get("GOVGRAPH_TEST_CACHE") or str(Path.home() / ".cache" / "govgraph-tests")
    return Path(root) / ("ckan-" + "-".join(p.split("==")[1] for p in (CKAN, CKANEXT_DCAT)))


def ckan_python() -> Path:
    """The Python of a venv holding CKAN and ckanext-dcat (made if missing or incomplete)."""
    base = cache_dir()
    python, stamp = base / "venv" / "bin" / "python", base / "complete"
    if stamp.exists() and python.exists():
        return python
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    _run([sys.executable, "-m", "venv", str(base / "venv")])
    _run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", CKAN, CKANEXT_DCAT])
    _run([str(python), "-c", "from ckanext.dcat.processors import RDFParser; RDFParser(profiles=['euro_dcat_ap_3'])"])
    stamp.write_text(f"{CKAN} {CKANEXT_DCAT}\n")
    return python


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


if __name__ == "__main__":
    print(ckan_python())
