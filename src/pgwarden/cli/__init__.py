"""Command-line layer: one module per command; each parses options and calls one function."""
