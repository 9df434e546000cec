"""`floe lsp`: the language server, a thin adapter over the pipeline (needs the `lsp` extra).

server.py wires pygls; analysis.py runs the pipeline on a buffer; convert.py turns its
diagnostics into LSP ones; completion, hover, definition and code_actions each answer one
request; yaml_text.py reads the structure of YAML text that may not parse.
"""
