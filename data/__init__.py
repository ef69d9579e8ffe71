"""The sample council estate and the synthetic estate generator (``govgraph.data``)."""
