"""Rules: locking."""
