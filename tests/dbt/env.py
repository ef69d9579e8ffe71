"""dbt in its own virtualenv, as users run it, for the dbt harvest tests.

govgraph reads dbt's artefacts (manifest.json, catalog.json) and never imports dbt, so dbt lives
in a venv of its own: dbt-core and dbt-duckdb below 1.11 (1.11 and later fetch a binary from
outside the package registries at install time). The venv is made once per version pair in a
cache folder (``tests/cached_venv.py``); ``python tests/cached_venv.py dbt.env`` makes it ahead of a
test run (scripts/test.sh does). pip takes about a minute.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from cached_venv import CachedVenv

DBT = ("dbt-core>=1.8,<1.11", "dbt-duckdb>=1.8,<1.11")
PROJECT = Path(__file__).resolve().parent.parent / "fixtures" / "dbt_council"
VENV = CachedVenv("dbt-1.10", DBT, ("dbt", "--version"))


def dbt_executable() -> Path:
    """The ``dbt`` command of a venv holding dbt-core and dbt-duckdb (made if missing or incomplete)."""
    return VENV.ready() / "dbt"


def build_project(workdir: Path, project: Path = PROJECT) -> Path:
    """Copy a dbt project into ``workdir``, run ``dbt build`` and ``dbt docs generate``; return its target folder.
    The build's run_results.json (its test outcomes) is kept beside it as ``build_run_results.json``."""
    dbt = dbt_executable()
    dest = workdir / project.name
    shutil.copytree(project, dest, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb"))
    env = dict(os.environ, DBT_PROFILES_DIR=str(dest), COUNCIL_DUCKDB=str(dest / "council.duckdb"),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    for args in (["build"], ["docs", "generate"]):
        proc = subprocess.run([str(dbt), *args], cwd=dest, env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
        if args == ["build"]:  # `docs generate` writes its own run_results.json: keep the build's test outcomes
            shutil.copy(dest / "target" / "run_results.json", dest / "build_run_results.json")
    return dest / "target"


def run_dbt(project_dir: Path, *args: str) -> None:
    """Run a dbt command in a project built by ``build_project`` (its profile and DuckDB file)."""
    env = dict(os.environ, DBT_PROFILES_DIR=str(project_dir), COUNCIL_DUCKDB=str(project_dir / "council.duckdb"),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    proc = subprocess.run([str(dbt_executable()), *args], cwd=project_dir, env=env, capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
