"""Rules: rewrites."""
