"""Lineage engine: a networkx graph of flows and derivations, queries over it, layout and exporters.

Entry points (each takes a Store or a LineageGraph first):
``upstream``, ``downstream``, ``lineage``, ``paths``, ``impact``, ``cycles``, ``orphans``,
(in ``queries``); ``sensitivity`` (``sensitivity``), ``field_trace``, ``trace_dataset_fields``
(``fields``), ``ownership`` (``ownership``);
``get_graph`` (in ``live_graph``); ``layered_layout`` (in ``layout``); ``export`` (in ``export``).
"""
from govgraph.lineage.graph import LineageGraph
from govgraph.lineage.live_graph import clear_cache, get_graph
from govgraph.lineage.fields import field_trace, trace_dataset_fields
from govgraph.lineage.ownership import ownership
from govgraph.lineage.queries import cycles, downstream, impact, lineage, orphans, paths, upstream
from govgraph.lineage.sensitivity import sensitivity

__all__ = ["LineageGraph", "get_graph", "clear_cache", "upstream", "downstream", "lineage", "paths", "impact",
           "cycles", "orphans", "sensitivity", "field_trace", "trace_dataset_fields", "ownership"]
