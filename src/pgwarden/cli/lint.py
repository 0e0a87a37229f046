"""`pgwarden lint`: check migration files against the rules and the lock model."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

if TYPE_CHECKING:
    from pgwarden.cache import Replay
    from pgwarden.output_cache import SavedOutput

FORMATS = ("text", "json", "sarif", "github")


def add_lint_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--schema",
        action="append",
        metavar="FILE",
        help="schema of existing tables (e.g. pg_dump --schema-only); repeatable",
    )
    p.add_argument("--pg-version", metavar="N", help="target PostgreSQL major (12-18; default 17)")
    p.add_argument(
        "--assume-in-transaction",
        action="store_true",
        default=None,
        help="the migration tool wraps each file in one transaction",
    )
    p.add_argument(
        "--runner-timeouts",
        action="store_true",
        default=None,
        help="files run under pgwarden's runner, which sets lock/statement timeouts",
    )


def register(sub: Any) -> None:
    p = sub.add_parser(
        "lint",
        help="lint migration SQL files (lock-aware)",
        description="Lint SQL migrations: which locks each statement takes and what is unsafe.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files, directories or - for stdin")
    add_lint_options(p)
    p.add_argument("--format", choices=FORMATS, default=None, help="output format (default text)")
    p.add_argument("--select", metavar="R,...", help="only these rules (names or codes)")
    p.add_argument("--ignore", metavar="R,...", help="skip these rules")
    p.add_argument("--extend-select", metavar="R,...", help="add opt-in rules")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    # quick_exit: once its output and cache are written, a lint run leaves nothing to clean up
    p.set_defaults(func=run, quick_exit=True)


def _rules(value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(v.strip() for v in value.split(",") if v.strip())


def _unless_selected(ignored: frozenset[str], selected: frozenset[str]) -> frozenset[str]:
    """The configured ignores, less the rules `--select` names: the command line wins."""
    from pgwarden.rules.base import get_rule  # only now: it imports every rule

    picked = {get_rule(k) for k in selected} - {None}
    return frozenset(k for k in ignored if get_rule(k) not in picked)


def config_from_args(args: argparse.Namespace) -> Any:
    from pgwarden.config import load_config, parse_pg_version

    cfg = load_config(Path.cwd())
    select = _rules(getattr(args, "select", None))
    ignore = _rules(getattr(args, "ignore", None))
    if select is not None and ignore is None and cfg.ignore:
        ignore = _unless_selected(cfg.ignore, select)
    return cfg.with_overrides(
        pg_version=parse_pg_version(args.pg_version) if args.pg_version else None,
        select=select,
        ignore=ignore,
        extend_select=_rules(getattr(args, "extend_select", None)),
        assume_in_transaction=args.assume_in_transaction,
        runner_timeouts=args.runner_timeouts,
        schema=tuple(args.schema) if args.schema else None,
        cache=False if getattr(args, "no_cache", False) else None,
    )


# Environment variables rich reads to decide colours and sizes (text output).
_RICH_ENV = (
    "COLORTERM",
    "COLUMNS",
    "DATABRICKS_RUNTIME_VERSION",
    "FORCE_COLOR",
    "JUPYTER_COLUMNS",
    "JUPYTER_LINES",
    "LINES",
    "NO_COLOR",
    "TERM",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
)


class _Capture(io.StringIO):
    """Collects the rendered output; formatters see the real stdout's TTY-ness and encoding."""

    def __init__(self, real: TextIO) -> None:
        super().__init__()
        self._real = real

    def isatty(self) -> bool:
        return self._real.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._real, "encoding", None) or "utf-8"


def _saved_output(
    paths: list[str], config: Any, inputs: Any, fmt: str
) -> tuple[Any, str, str] | None:
    """Where this run's output is kept (with stdout's encoding), or None if it is not kept.

    Not kept: without the cache, for stdin, when a file could not be read (the message
    depends on why, the key does not), for text on a terminal (rich adapts to it), and
    where stdout translates newlines.
    """
    if not _replayable(paths, inputs) or os.linesep != "\n":
        return None  # (a saved output is written as bytes: no newline translation)
    out = sys.stdout
    tty = out.isatty()
    if tty and fmt != "json":
        return None
    import json

    from pgwarden.output_cache import OutputCache

    encoding = getattr(out, "encoding", None) or "utf-8"
    errors = getattr(out, "errors", None) or "strict"
    env = {k: os.environ[k] for k in _RICH_ENV if k in os.environ} if fmt == "text" else {}
    context = json.dumps([tty, os.getcwd(), encoding, errors, env])
    return OutputCache.open(paths, config, inputs.key, fmt, context), encoding, errors


def _replayable(paths: list[str], inputs: Any) -> bool:
    """Whether a run's output may be written again from the cache when nothing changed:
    not without the cache, for stdin, nor when a file could not be read (the message
    depends on why, the key does not)."""
    return inputs.key is not None and "-" not in paths and inputs.all_readable


def _replay(saved: SavedOutput | Replay) -> int:
    """Write a saved output: stdout's bytes as saved (copied by the kernel where it can)."""
    with saved.file as fh:
        sys.stdout.flush()
        buffer: BinaryIO | None = getattr(sys.stdout, "buffer", None)
        left = saved.size
        if buffer is not None and hasattr(os, "sendfile"):
            buffer.flush()
            offset = fh.tell()
            try:
                while left:
                    sent = os.sendfile(buffer.fileno(), fh.fileno(), offset, left)
                    if not sent:
                        break
                    offset, left = offset + sent, left - sent
            except (OSError, AttributeError, ValueError):  # no file behind stdout, or no
                if left != saved.size:  # sendfile to it; but failing part way (a closed
                    raise  # pipe) is a failed write
            fh.seek(offset)
        while left:  # no sendfile for this stdout: copy it ourselves
            chunk = fh.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
            if buffer is not None:
                buffer.write(chunk)
            else:
                sys.stdout.write(chunk.decode(sys.stdout.encoding or "utf-8"))
        if buffer is not None:
            buffer.flush()
    for line in saved.stderr:
        print(line, file=sys.stderr)
    return saved.exit_code


def _write_out(buffer: BinaryIO, pieces: list[bytes | memoryview]) -> None:
    """The pieces to stdout: straight to its file descriptor when it has one."""
    from pgwarden.pieces import write_pieces

    try:
        fd = buffer.fileno()
    except (AttributeError, OSError, ValueError):  # a replaced stdout (tests, embedding)
        for piece in pieces:
            buffer.write(piece)
        buffer.flush()
        return
    write_pieces(fd, pieces)


@contextmanager
def _lean_gc() -> Iterator[None]:
    """Linting allocates millions of short-lived objects but few reference cycles: the cycle
    collector, run every 700 allocations over a growing heap, cost ~15% of a cold run."""
    import atexit
    import gc

    old = gc.get_threshold()
    gc.freeze()  # what is loaded so far (modules, the parser's tables) is never garbage
    gc.set_threshold(100_000, 50, 1000)
    try:
        yield
    finally:
        # What the run left alive goes to the oldest generation before the thresholds are
        # back, or the next allocation would walk all of it as young objects (~5 ms).
        gc.freeze()
        gc.unfreeze()
        gc.set_threshold(*old)
        # The interpreter's last collection at exit walks every object left (~35 ms after
        # a corpus run): frozen, they are freed without it. Called in-process (tests), the
        # freeze waits for that process's exit.
        atexit.unregister(gc.freeze)
        atexit.register(gc.freeze)


def run(args: argparse.Namespace) -> int:
    with _lean_gc():  # from the start: the parser and rules modules are imported within
        return _run(args)


def _has_cache(paths: list[str], config: Any) -> bool:
    if not config.cache:
        return False
    from pgwarden.cache import ResultCache

    return ResultCache.pack_path(paths, config).exists()


def _import_linter() -> None:
    """Import what linting uses (the parser, its node and enum classes, the rules, the JSON
    writer); done anyway before the first file is linted, here while a helper reads."""
    import pglast.parser  # noqa: F401

    from pgwarden.catalog import apply  # noqa: F401
    from pgwarden.report import json_out  # noqa: F401
    from pgwarden.rules.base import load_all
    from pgwarden.sql import source  # noqa: F401

    load_all()


def _run(args: argparse.Namespace) -> int:
    from pgwarden.pipeline import chain_keys, read_inputs, start_early
    from pgwarden.sql.read_ahead import ReadAhead

    config = config_from_args(args)
    paths = args.paths or ["-"]
    fmt = args.format or "text"
    buffer: BinaryIO | None = getattr(sys.stdout, "buffer", None)
    # JSON for a program: files come out of the pipeline already rendered, as UTF-8 bytes.
    as_bytes = fmt == "json" and buffer is not None and not sys.stdout.isatty()
    # Walking directories and reading files is system calls, importing the linter is Python:
    # a helper process does the first while this one does the second (same result either way).
    # The console script started it already if it could tell the paths (cli.start); if not,
    # it is started here, unless this run's cache exists: a warm run imports no linter.
    ahead = ReadAhead.take(paths)
    cold = not _has_cache(paths, config)
    if cold:
        if ahead is None:
            ahead = ReadAhead.start(paths, list(config.schema))
        if ahead is not None:
            _import_linter()
    inputs = read_inputs(paths, config, ahead, keys=False)
    # Without a cache every file is linted: a worker process (if the run is worth one) starts
    # now, and the keys for the cache and the saved output are hashed while it works.
    early = start_early(inputs, config, as_bytes) if cold else None
    try:
        chain_keys(inputs, config)
        # A warm run whose inputs are all unchanged writes the output it saved, before even
        # importing the parser, the rules or the formatters: as JSON for a program, the
        # output its result pack holds (so it is not stored twice).
        keep = None if as_bytes else _saved_output(paths, config, inputs, fmt)
        saved: SavedOutput | Replay | None = keep[0].get() if keep is not None else None
        if as_bytes and not cold and inputs.key is not None and _replayable(paths, inputs):
            from pgwarden.cache import ResultCache

            saved = ResultCache.replay(paths, config, inputs.key)
    except BaseException:
        if early is not None:
            early.cancel()
        raise
    if saved is not None:
        if early is not None:
            early.cancel()
        return _replay(saved)

    from pgwarden.lint import lint_paths
    from pgwarden.report import render

    waits: list[Callable[[], None]] = []  # the result pack, written while we write output
    try:
        result = lint_paths(paths, config, inputs, rendered=as_bytes, waits=waits, early=early)
        if as_bytes:
            from pgwarden.report.json_out import json_document

            pieces = json_document(result)
            sys.stdout.flush()
            assert buffer is not None
            buffer.flush()
            _write_out(buffer, pieces)
        elif keep is None:
            render(result, fmt, sys.stdout)
        else:
            buf = _Capture(sys.stdout)
            render(result, fmt, buf)
            text = buf.getvalue()
            sys.stdout.write(text)
        errors = [str(err) for err in result.errors]
        code = result.exit_code
        # Freed now, by reference counts: once the collector's thresholds are back, its next
        # full pass would walk every object of the results first (~25 ms on a corpus). When
        # the process ends next (the console script) they are left to it: the kernel takes
        # the memory back at once, where freeing each object takes ~3 ms on a corpus.
        left = getattr(args, "left_at_exit", None)
        if left is not None:
            left += (result, inputs, early, pieces if as_bytes else None)
        del result, inputs
        for err in errors:
            print(err, file=sys.stderr)
        if keep is not None:
            cache, encoding, on_error = keep
            cache.put(code, errors, pieces if as_bytes else [text.encode(encoding, on_error)])
    except BaseException:  # (a closed stdout, an interrupt) the pack is still written whole
        for wait in waits:
            with contextlib.suppress(Exception):
                wait()
        raise
    for wait in waits:
        wait()
    from pgwarden.pipeline import reap_workers

    reap_workers(block=True)  # gone by now: the worker ended before the output was written
    return code
