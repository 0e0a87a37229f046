"""Rules: compat."""
