"""Rules: types."""
