"""Find and read a run's files in a forked helper while this process imports the linter.

Finding 2,600 files in 2,000 directories and reading them is mostly time in the kernel
(~45 ms), and importing the parser and the rules is mostly Python (~40 ms): a thread cannot
overlap them (every system call hands the interpreter lock back and forth), a second process
can. The helper sends back what `discover` and `read_bytes` would have returned, as marshal
data in an anonymous file; anything unexpected (an error, no answer) and the caller reads
the files itself, so the result is the same with or without the helper.
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path

from pgwarden.sql._read import ParseFailure, read_bytes
from pgwarden.sql.discover import SqlSource, discover

Read = tuple[
    list[tuple[SqlSource, bytes | ParseFailure]], list[tuple[SqlSource, bytes | ParseFailure]]
]
# One source as marshalled: display, location, whether it is a Path, bytes or a failure.
_Packed = tuple[str, str | None, bool, bytes | None, tuple[int, int, str] | None]


class ReadAhead:
    """A helper process reading `paths` (and the `--schema` files) for the caller."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd

    @classmethod
    def start(cls, paths: list[str], schema: list[str]) -> ReadAhead | None:
        """The helper, when it can pay off: a directory to walk, stdin not among the inputs,
        and a second CPU to run on (see can_fork). None otherwise."""
        if (
            "-" in paths
            or not any(os.path.isdir(p) for p in paths)
            or not can_fork()
            or not hasattr(os, "memfd_create")  # where it answers
        ):
            return None
        try:
            fd = os.memfd_create("pgwarden-read-ahead", os.MFD_CLOEXEC)
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            os.close(fd)
            return None
        if pid:
            return cls(pid, fd)
        code = 1  # the child: never returns, never runs the parent's cleanup
        try:
            data = marshal.dumps((_pack(discover(paths)), _pack(discover(schema, True))))
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            code = 0
        except BaseException:  # the parent reads the files itself (and reports what failed)
            pass
        finally:
            os._exit(code)

    def result(self) -> Read | None:
        """What the helper read (waiting for it), or None if it did not finish its work."""
        try:
            _, status = os.waitpid(self.pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                return None
            size = os.fstat(self.fd).st_size
            data = os.pread(self.fd, size, 0) if size else b""
            items, schema = marshal.loads(data)
            return _unpack(items), _unpack(schema)
        except (OSError, ValueError, EOFError, TypeError):
            return None
        finally:
            os.close(self.fd)


def can_fork() -> bool:
    """Whether a lint run may fork helpers: not PGWARDEN_JOBS=1 (one process), Linux, a
    second CPU for them to pay off, and fork() safe (a single-threaded process)."""
    import sys
    import threading

    return (
        os.environ.get("PGWARDEN_JOBS") != "1"
        and sys.platform == "linux"
        and hasattr(os, "fork")
        and (os.cpu_count() or 1) > 1
        and threading.active_count() == 1
    )


def _pack(sources: list[SqlSource]) -> list[_Packed]:
    out: list[_Packed] = []
    for src in sources:
        data = read_bytes(src)
        loc = src.location
        failure = (data.line, data.column, data.message) if isinstance(data, ParseFailure) else None
        out.append(
            (
                src.display,
                None if loc is None else str(loc),
                isinstance(loc, Path),
                None if failure else data,  # type: ignore[arg-type]
                failure,
            )
        )
    return out


def _unpack(packed: list[_Packed]) -> list[tuple[SqlSource, bytes | ParseFailure]]:
    out: list[tuple[SqlSource, bytes | ParseFailure]] = []
    for display, loc, is_path, data, failure in packed:
        src = SqlSource(display, Path(loc) if is_path and loc is not None else loc)
        if failure is not None:
            out.append((src, ParseFailure(src, *failure)))
        else:
            out.append((src, data if data is not None else b""))
    return out
