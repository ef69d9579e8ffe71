"""The ``govgraph harvest`` command group: ``harvest db URL``, ``harvest dbt TARGET``, ``harvest files DIR``
and ``harvest --config FILE``.

Defined here and attached to the CLI by ``register`` (as the lineage commands are), so that
``govgraph/cli.py`` needs one line; the commands parse options, call ``config`` and print.
The harvest modules are imported when a harvest runs, not when the CLI starts (with SQLAlchemy
they take 1.2 s to import on the loaded 2-core test machine, December 2026; 0.3 s idle).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Callable

import click


def _harvest_progress(label: str, quiet: bool = False):
    """progress(done, total, what) printing a line to stderr at most every 2 s, after the first 2 s."""
    start = last = time.monotonic()

    def progress(done: int, total: int, what: str) -> None:
        nonlocal last
        now = time.monotonic()
        if not quiet and now - start >= 2 and now - last >= 2:
            last = now
            click.echo(f"{label}: {what} ({done + 1:,}/{total:,}, {now - start:.0f} s)", err=True)
    return progress


def _echo_harvest(result, verbose: bool = True) -> None:
    click.echo(result.line())
    for a in result.write.catalogued:
        click.echo("  " + a.line())
    if verbose:
        for kind, notes in (("skipped", result.skipped), ("warning", result.warnings)):
            for n in notes:
                click.echo(f"  {kind}: {n}")


def register(main: click.Group, store_option: Callable, handle_errors: Callable,
             open_store: Callable[[str | None], Any]) -> None:
    """Add the ``harvest`` group (and its ``db``, ``dbt`` and ``files`` commands) to the CLI group ``main``."""

    @main.group(invoke_without_command=True)
    @click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
                  help="Run every harvest this TOML file lists (see docs/harvesting.md); exit 1 if any failed.")
    @click.option("--quiet", "-q", is_flag=True, help="No progress output.")
    @store_option
    @click.pass_context
    @handle_errors
    def harvest(ctx, config, quiet, store_url):
        """Harvest the estate from where it lives: `govgraph harvest db URL --system NAME`, or --config FILE."""
        if ctx.invoked_subcommand is not None:
            return
        if config is None:
            click.echo(ctx.get_help())
            return
        from govgraph.harvest.config import run_config  # SQLAlchemy loads only for a harvest (0.3 s)
        with open_store(store_url) as store:
            outcomes = run_config(store, config, progress=lambda label: _harvest_progress(label, quiet))
        for o in outcomes:
            if o.result:
                _echo_harvest(o.result, verbose=not quiet)
            else:
                click.echo(o.line())
        if not all(o.ok for o in outcomes):
            sys.exit(1)


    @harvest.command("db")
    @click.argument("url")
    @click.option("--system", required=True, help="The system (name or IRI, recorded in the store) holding the database.")
    @click.option("--schema", "schemas", multiple=True, help="Harvest this schema (repeatable; default: all but the database's own).")
    @click.option("--source", default=None, help="Source name (default: harvest:db:<system>).")
    @click.option("--count-rows", is_flag=True, help="Count each table's rows.")
    @click.option("--sample", type=click.IntRange(min=0), default=0, show_default=True,
                  help="Read up to N rows of each table to test values for personal data (values are never stored).")
    @click.option("--quiet", "-q", is_flag=True, help="No progress output.")
    @store_option
    @handle_errors
    def harvest_db(url, system, schemas, source, count_rows, sample, quiet, store_url):
        """Harvest a database's tables, views, columns, keys and view lineage (any SQLAlchemy URL).

        The source is replaced as a unit; a run that finds nothing new writes nothing.
        """
        from govgraph.harvest.config import DbHarvest, run_db  # SQLAlchemy loads only for a harvest
        job = DbHarvest(url=url, system=system, schemas=list(schemas) or None, source=source,
                        count_rows=count_rows, sample=sample)
        with open_store(store_url) as store:
            result = run_db(store, job, progress=_harvest_progress(job.label, quiet))
        _echo_harvest(result)

    @harvest.command("dbt")
    @click.argument("target_dir", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--system", required=True, help="The system (name or IRI, recorded in the store) holding the warehouse.")
    @click.option("--namespace", default=None,
                  help="The warehouse's OpenLineage namespace (postgres://host:port, duckdb://PATH), as the "
                       "OpenLineage dbt integration names it (default <adapter>://<database>).")
    @click.option("--run-results", type=click.Path(exists=True, path_type=Path), default=None,
                  help="The run_results.json of `dbt build` or `dbt test` (default TARGET_DIR's): test outcomes.")
    @click.option("--source", default=None, help="Source name (default: harvest:dbt:<system>).")
    @click.option("--quiet", "-q", is_flag=True, help="No progress output.")
    @store_option
    @handle_errors
    def harvest_dbt(target_dir, system, namespace, run_results, source, quiet, store_url):
        """Harvest a dbt project's models, sources, seeds, snapshots and exposures from TARGET_DIR
        (manifest.json and catalog.json, dbt 1.5 and later)."""
        from govgraph.harvest.config import DbtHarvest, run_dbt
        job = DbtHarvest(target=str(target_dir), system=system, namespace=namespace,
                         run_results=str(run_results) if run_results else None, source=source)
        with open_store(store_url) as store:
            result = run_dbt(store, job, progress=_harvest_progress(job.label, quiet))
        _echo_harvest(result)

    @harvest.command("files")
    @click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--system", required=True, help="The document store (name or IRI, recorded in the store) holding the folder.")
    @click.option("--source", default=None, help="Source name (default: harvest:files:<system>).")
    @click.option("--sample", type=click.IntRange(min=0), default=0, show_default=True,
                  help="Read up to N rows of each file to test values for personal data (values are never stored).")
    @click.option("--quiet", "-q", is_flag=True, help="No progress output.")
    @store_option
    @handle_errors
    def harvest_files(directory, system, source, sample, quiet, store_url):
        """Harvest the spreadsheets and CSV files under DIRECTORY (a shared drive) as off-system datasets."""
        from govgraph.harvest.config import FilesHarvest, run_files
        job = FilesHarvest(dir=str(directory), system=system, source=source, sample=sample)
        with open_store(store_url) as store:
            result = run_files(store, job, progress=_harvest_progress(job.label, quiet))
        _echo_harvest(result)
