"""Harvesters: read the estate from where it lives (databases, dbt projects, shared drives) into one
named source each.

``model`` is what a harvester found; ``database`` reads a database through SQLAlchemy (view
lineage with ``view_sql``, personal-data suggestions with ``personal``, OpenLineage names with
``naming``); ``writer`` turns a harvest into triples and replaces its source through the validated
write path, recording what changed in words (``changes``); ``config`` runs the harvests a TOML
file lists. ``dbt`` reads a dbt project's artefacts, ``files`` a folder of spreadsheets; each fills
a ``model.Harvest`` and calls ``writer``.
"""
