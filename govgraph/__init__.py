"""govgraph: a governance knowledge graph and metadata lineage tool for public-sector data estates."""
__version__ = "0.1.0"
