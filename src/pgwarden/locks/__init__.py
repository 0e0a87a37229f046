"""The lock model: which relations a statement locks, in which mode, and what it rewrites."""
