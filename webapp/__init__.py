"""The Flask web viewer: pages for people, plus machine interfaces for other tools."""
from govgraph.webapp.app import create_app

__all__ = ["create_app"]
