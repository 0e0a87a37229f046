"""The rules catalogue: one module per rule, grouped in category folders."""
