"""The reference runner behind `floe run`: compiled artifact in, rows delivered out.

Needs the `runner` extra (pyarrow, pyiceberg, and the built-in connectors' clients).
"""
