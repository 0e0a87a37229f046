"""The OS user a throwaway server runs as when we are root: postgres refuses to start as root."""

from __future__ import annotations

import os
import pwd
import site
import stat
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pgwarden.errors import ClusterError

_CREATED_USER = "pgwarden"


@dataclass(frozen=True, slots=True)
class RunAs:
    """Credentials handed to `subprocess.Popen(user=, group=, extra_groups=)`."""

    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]


def run_as_user() -> RunAs | None:
    """None unless root; then `postgres` if the system has it, else a system user `pgwarden`."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", _CREATED_USER):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return RunAs(name, entry.pw_uid, entry.pw_gid, tuple(os.getgrouplist(name, entry.pw_gid)))
    _create_user(_CREATED_USER)
    return run_as_user()


def _create_user(name: str) -> None:
    # xdist workers may race here: the loser sees "already exists" or a locked /etc/passwd.
    argv = ["useradd", "--system", "--user-group", "--no-create-home", "-s", "/usr/sbin/nologin"]
    last = ""
    for _ in range(20):
        try:
            done = subprocess.run([*argv, name], capture_output=True, text=True, check=False)
        except OSError as exc:
            raise ClusterError(f"postgres cannot run as root and useradd failed: {exc}") from exc
        try:
            pwd.getpwnam(name)
            return
        except KeyError:
            last = done.stderr.strip()
            time.sleep(0.1)
    raise ClusterError(f"postgres cannot run as root and `useradd {name}` failed: {last}")


def ensure_reachable(dirs: Iterable[Path], user: RunAs) -> None:
    """Let `user` traverse every parent of `dirs`, or say which directory blocks it.

    A venv under /root is often 0700. Adding o+x is done only inside the active venv or a
    site-packages dir (our own install); any other directory belongs to someone else.
    """
    for top in dirs:
        top = top.resolve()
        for d in (top, *top.parents):
            st = d.stat()
            if _can_enter(st, user):
                continue
            if not _is_ours(d):
                raise ClusterError(
                    f"user {user.name!r} (postgres refuses to run as root) cannot enter {d}; "
                    f"run `chmod o+x {d}`, run pgwarden as a non-root user or pick other binaries"
                )
            os.chmod(d, stat.S_IMODE(st.st_mode) | stat.S_IXOTH)


def ensure_readable_tree(root: Path) -> None:
    """Give others read (and exec where the owner has it) on an install tree inside our venv.

    A wheel unpacked under a 077 umask is root-only; a system install is left alone.
    """
    if not _is_ours(root.resolve()):
        return
    for base, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = os.path.join(base, name)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                continue
            want = stat.S_IROTH | (stat.S_IXOTH if st.st_mode & stat.S_IXUSR else 0)
            if st.st_mode & want != want:
                os.chmod(path, stat.S_IMODE(st.st_mode) | want)


def _is_ours(d: Path) -> bool:
    roots = [Path(p).resolve() for p in (*site.getsitepackages(), site.getusersitepackages())]
    if sys.prefix != sys.base_prefix:
        roots.append(Path(sys.prefix).resolve())
    return any(d.is_relative_to(root) for root in roots)


def _can_enter(st: os.stat_result, user: RunAs) -> bool:
    if st.st_uid == user.uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid in user.groups:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)
