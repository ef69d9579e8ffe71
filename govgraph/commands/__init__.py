"""The ``govgraph`` CLI's commands, one module per concern; ``govgraph/cli.py`` attaches them."""
