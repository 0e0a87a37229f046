"""Catalog and control queries of the runner, one file each."""
