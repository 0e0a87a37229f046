"""Find and read a run's files in a forked helper while this process imports the linter.

Finding 2,600 files in 2,000 directories and reading them is mostly time in the kernel
(~45 ms), and importing the parser and the rules is mostly Python (~40 ms): a thread cannot
overlap them (every system call hands the interpreter lock back and forth), a second process
can. The helper runs what `discover` and `read_bytes` are built on (sql._files, which imports
nothing heavier than pathlib) and sends back its answers as marshal data in an anonymous
file; anything unexpected (an error, no answer) and the caller reads the files itself, so
the result is the same with or without the helper.

The console script starts the helper before it imports anything else (`start_early`, from a
guess at `lint`'s paths, see cli.start); the lint command takes it if it guessed right
(`take`) and starts one itself otherwise. This module imports nothing heavy at the top.
"""

from __future__ import annotations

import marshal
import os

from pgwarden.forking import can_fork, fork_beside, keep_to

TYPE_CHECKING = False  # typing's own would import typing (~5 ms) before the helper forks
if TYPE_CHECKING:
    from typing import NoReturn

    from pgwarden.sql._read import ParseFailure
    from pgwarden.sql.discover import SqlSource

    Sources = list[tuple[SqlSource, bytes | ParseFailure]]
    Read = tuple[Sources, Sources | None]  # the paths' files; the schema files, if read

# One file as marshalled: display, location, whether that is a Path, its bytes or why they
# cannot be read (sql._files.read_file).
_Packed = tuple[str, str, bool, bytes | str]


class ReadAhead:
    """A helper process reading `paths` (and, unless None, the `--schema` files)."""

    _early: ReadAhead | None = None  # started by the console script, not taken yet

    def __init__(self, pid: int, fd: int, paths: list[str], cpus: set[int] | None = None) -> None:
        self.pid = pid
        self.fd = fd
        self.paths = paths
        self.cpus = cpus  # what this process runs on again once the helper is done (fork_beside)

    @classmethod
    def start(cls, paths: list[str], schema: list[str] | None) -> ReadAhead | None:
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
            pid, cpus = fork_beside()
        except OSError:
            os.close(fd)
            return None
        if pid:
            return cls(pid, fd, list(paths), cpus)
        _serve(paths, schema, fd)  # the child: never returns

    @classmethod
    def start_early(cls, paths: list[str]) -> None:
        """Start the helper for `paths` now, for `take` to find (the schema files are read
        later, by the caller: which ones the configuration names is not known yet)."""
        cls._early = cls.start(paths, None)

    @classmethod
    def take(cls, paths: list[str]) -> ReadAhead | None:
        """The helper `start_early` started, if it is reading `paths` (stopped if not)."""
        early, cls._early = cls._early, None
        if early is not None and early.paths != paths:
            early.cancel()
            return None
        return early

    def result(self) -> Read | None:
        """What the helper read (waiting for it), or None if it did not finish its work."""
        try:
            _, status = os.waitpid(self.pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                return None
            size = os.fstat(self.fd).st_size
            data = os.pread(self.fd, size, 0) if size else b""
            items, schema = marshal.loads(data)
            return _unpack(items), None if schema is None else _unpack(schema)
        except (OSError, ValueError, EOFError, TypeError):
            return None
        finally:
            keep_to(self.cpus)
            os.close(self.fd)

    def cancel(self) -> None:
        """Stop the helper (its answer is not wanted) and wait for it to go."""
        try:
            os.kill(self.pid, 9)  # SIGKILL: harmless if it has exited already
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        finally:
            keep_to(self.cpus)
            os.close(self.fd)


def _serve(paths: list[str], schema: list[str] | None, fd: int) -> NoReturn:
    """The helper's work; ends the process. Its standard streams are let go first: a helper
    of a run that stopped early must not keep the caller's pipes open."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for std in (0, 1, 2):
            os.dup2(null, std)
        # (stdin is the caller's to read: the helper is not started for it among the paths)
        if schema is not None and "-" in schema:
            schema = None
        packed = (_pack(paths), None if schema is None else _pack(schema, True))
        view = memoryview(marshal.dumps(packed))
        while view:
            view = view[os.write(fd, view) :]
        code = 0
    except BaseException:  # the caller reads the files itself (and reports what failed)
        pass
    finally:
        os._exit(code)


def _pack(paths: list[str], must_exist: bool = False) -> list[_Packed]:
    from pathlib import Path

    from pgwarden.sql._files import expand, read_file

    out: list[_Packed] = []
    for arg in paths:
        for display, loc in expand(arg, must_exist):
            out.append((display, str(loc), isinstance(loc, Path), read_file(loc)))
    return out


def _unpack(packed: list[_Packed]) -> Sources:
    from pathlib import Path

    from pgwarden.sql._read import ParseFailure
    from pgwarden.sql.discover import SqlSource

    out: Sources = []
    for display, loc, is_path, data in packed:
        src = SqlSource(display, Path(loc) if is_path else loc)
        out.append((src, data if isinstance(data, bytes) else ParseFailure(src, 1, 1, data)))
    return out
