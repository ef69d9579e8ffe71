"""The ``govgraph`` command line. Commands parse options, call catalog/io/lineage/shapes, print.

Errors from govgraph are printed on one line (``error: ...``) with exit status 1; the
command-line layer holds no domain logic of its own. The commands live beside their concern:
``commands/sources.py`` (load, validate, sources, remove, export, ingest-openlineage),
``commands/reading.py`` (query, info, history), ``commands/reports.py`` (report, generate),
``commands/serving.py`` (serve, demo), ``lineage/commands.py`` and ``harvest/commands.py``.
"""
from __future__ import annotations

import click

from govgraph import __version__
from govgraph.commands import reading, reports, serving, sources
from govgraph.commands.support import handle_errors, open_store_url, store_option
from govgraph.harvest.commands import register as register_harvest
from govgraph.lineage.commands import register as register_lineage


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="govgraph")
def main() -> None:
    """govgraph: a governance knowledge graph and lineage tool for a council's data estate.

    Load RDF or Information Asset Register files into a store, query them, trace lineage,
    check them against the council's data principles and browse them in a web viewer.
    """


for _module in (sources, reading, reports, serving):
    _module.register(main)
for _register in (register_lineage, register_harvest):
    _register(main, store_option, handle_errors, open_store_url)


if __name__ == "__main__":  # pragma: no cover
    main()
