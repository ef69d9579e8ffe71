"""CKAN and ckanext-dcat in their own virtualenv, as a portal runs them, for the DCAT harvest test.

CKAN pins its own dependencies (``ckan[requirements]``: Flask, click, SQLAlchemy ...), which
cannot share an environment with govgraph's, so the harvester's parser runs as a subprocess
in a venv of its own. The venv is made once per CKAN version in a cache folder
(``tests/cached_venv.py``); ``python tests/cached_venv.py ckan_harvest.env`` makes it ahead of a
test run (scripts/test.sh does). pip takes about a minute.
"""
from __future__ import annotations

from pathlib import Path

from cached_venv import CachedVenv

CKAN = "ckan[requirements]==2.12.0"
CKANEXT_DCAT = "ckanext-dcat==2.4.4"
PARSER = Path(__file__).with_name("parse_dcat.py")
VENV = CachedVenv("ckan-" + "-".join(p.split("==")[1] for p in (CKAN, CKANEXT_DCAT)), (CKAN, CKANEXT_DCAT),
                  ("python", "-c", "from ckanext.dcat.processors import RDFParser; RDFParser(profiles=['euro_dcat_ap_3'])"))


def ckan_python() -> Path:
    """The Python of a venv holding CKAN and ckanext-dcat (made if missing or incomplete)."""
    return VENV.ready() / "python"
