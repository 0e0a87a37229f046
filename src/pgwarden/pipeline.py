"""How `lint_paths` runs many files: read once, reuse cached results, rebuild the catalog, lint.

Each file is checked against the schema that `--schema` and the earlier files of the run leave
behind, so the order matters and the catalog is threaded through the files one by one. A cached
result is only reused while every earlier file is unchanged too (the keys are chained); from the
first miss on, the catalog is rebuilt from the earlier files and the rest is linted for real.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import itertools
import os
import signal
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from pgwarden.sql import ParseFailure, SqlSource
from pgwarden.sql._read import read_bytes
from pgwarden.sql.discover import discover

if TYPE_CHECKING:
    from collections.abc import Callable

    from pgwarden.cache import ResultCache
    from pgwarden.catalog import Catalog
    from pgwarden.config import LintConfig
    from pgwarden.lint import FileOut, LintResult
    from pgwarden.rules.base import Rule
    from pgwarden.sql import ParsedFile
    from pgwarden.sql.read_ahead import ReadAhead


@dataclass(slots=True)
class _Item:
    """One source of the run and what is known about it so far."""

    source: SqlSource
    data: bytes | ParseFailure
    key: str = ""
    out: FileOut | ParseFailure | None = None
    # The result as a cache entry (cache.encode_entry), as a worker or the cache gave it
    # (`out` then stays None until something needs the objects) or as encoded for them.
    encoded: bytes | None = None
    parts: tuple[int, memoryview] | tuple[int, int, str] | None = None  # split_entry(encoded)

    @property
    def done(self) -> bool:
        return self.out is not None or self.encoded is not None


def parse_item(source: SqlSource, data: bytes | ParseFailure) -> ParsedFile | ParseFailure:
    from pgwarden.sql.source import decode, parse_text  # the parser: not for a warm run

    if isinstance(data, ParseFailure):
        return data
    text = decode(source, data)
    return text if isinstance(text, ParseFailure) else parse_text(source, text)


def load_schema_items(items: list[_Item], catalog: Catalog) -> list[ParseFailure]:
    """Apply `--schema` files; statements the catalog cannot model are skipped, not fatal."""
    from pgwarden.catalog.apply import apply_statement
    from pgwarden.sql.source import unvalidated_nodes

    errors: list[ParseFailure] = []
    if not items:
        return errors
    with unvalidated_nodes():  # (free within a run's block already)
        for item in items:
            parsed = parse_item(item.source, item.data)
            if isinstance(parsed, ParseFailure):
                errors.append(parsed)
                continue
            for st in parsed.statements:
                try:
                    apply_statement(st.node, catalog, False)
                except (AttributeError, TypeError, KeyError, IndexError, ValueError):
                    continue
    catalog.mark_all_existing()
    return errors


@dataclass(slots=True)
class Inputs:
    """Everything a run reads before linting: its sources and `--schema` files, as bytes."""

    items: list[_Item]
    schema: list[_Item]
    key: str | None = None  # the last file's chained key (with the cache on): the whole run

    @property
    def all_readable(self) -> bool:
        return not any(isinstance(it.data, ParseFailure) for it in (*self.items, *self.schema))


def read_inputs(
    paths: list[str], config: LintConfig, ahead: ReadAhead | None = None, *, keys: bool = True
) -> Inputs:
    """Discover and read the run's files and, with the cache on, chain their keys (`keys`
    False: later, with chain_keys); `ahead`: a helper already reading them
    (sql.read_ahead), whose answer is used if it has one."""
    read = ahead.result() if ahead is not None else None
    if read is not None:
        items = [_Item(src, data) for src, data in read[0]]
    else:
        items = [_Item(src, read_bytes(src)) for src in discover(paths)]
    if read is not None and read[1] is not None:
        schema = [_Item(src, data) for src, data in read[1]]
    else:
        schema = [_Item(s, read_bytes(s)) for s in discover(list(config.schema), must_exist=True)]
    inputs = Inputs(items, schema)
    if keys:
        chain_keys(inputs, config)
    return inputs


def chain_keys(inputs: Inputs, config: LintConfig) -> None:
    """With the cache on, each file's chained key and the run's (see pgwarden.cache)."""
    if not config.cache:
        return
    from pgwarden.cache import base_key, chain_key

    key = base_key(
        config,
        [(s.source.display, s.data if isinstance(s.data, bytes) else None) for s in inputs.schema],
    )
    for it in inputs.items:
        key = it.key = chain_key(
            key, it.source.display, it.data if isinstance(it.data, bytes) else None
        )
    inputs.key = key


def run(
    paths: list[str],
    config: LintConfig,
    inputs: Inputs | None = None,
    *,
    rendered: bool = False,
    waits: list[Callable[[], None]] | None = None,
    early: EarlyStart | None = None,
) -> LintResult:
    """Lint `paths`; `inputs`: what `read_inputs(paths, config)` returned, if already read;
    `rendered`: give files as JSON (see lint.LintResult). `waits`: write the result pack on
    a thread, appending what waits for it (and raises what it raised); the caller writes
    its output meanwhile (file writes let go of the interpreter lock, so the two overlap:
    a corpus's pack and output are ~15 MB each). `early`: what `start_early` started for
    these inputs (used if no file is found in the cache after all, else stopped)."""
    from pgwarden.lint import LintResult

    if inputs is None:
        inputs = read_inputs(paths, config)
    items, schema = inputs.items, inputs.schema
    try:
        cache = _open_cache(paths, config, items, rendered)
    except BaseException:
        if early is not None:
            early.cancel()
        raise
    first = next((i for i, it in enumerate(items) if not it.done), len(items))
    if early is not None and (first != 0 or early.items is not items):
        early.cancel()  # (a cache written meanwhile by another run)
        early = None
    result = LintResult()
    if first < len(items):
        _lint_from(items, first, schema, config, result, rendered, early)
    # Schema problems are not cached: a full hit must not hide one, so such a run is not
    # stored (it fails anyway, with exit 2).
    store = cache is not None and not result.errors
    if rendered:
        result.rendered = []
    _add_all(result, items)
    if cache is not None and store:
        # Made here, the thread only writes (and lets go of the interpreter at once).
        save = _prepare_store(cache, items, first, inputs.key, result)
        if save is not None and waits is not None:
            waits.append(_in_background(save))
        elif save is not None:
            save()
    reap_workers()  # the worker, if it is gone by now
    return result


def _in_background(work: Callable[..., None], *args: object) -> Callable[[], None]:
    """Start `work(*args)` on a thread; the function returned waits for it to end and
    raises what it raised (a thread's own exceptions would only be printed)."""
    import threading

    failed: list[BaseException] = []

    def run() -> None:
        try:
            work(*args)
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=run, name="pgwarden-store")
    thread.start()

    def wait() -> None:
        thread.join()
        if failed:
            raise failed[0]

    return wait


def _add_all(result: LintResult, items: list[_Item]) -> None:
    """The items' results into `result`, as objects or (result.rendered) as JSON."""
    from pgwarden.cache import encode_entry, split_entry

    rendered = result.rendered
    errors = result.errors
    error_findings = 0
    for it in items:
        out = it.out
        if isinstance(out, ParseFailure):
            errors.append(out)
        elif rendered is None:
            if out is not None:  # objects wanted: the cache and the worker decoded theirs
                result.files.append(out)
        elif out is not None or it.encoded is not None:
            if it.encoded is None:
                assert out is not None
                it.encoded = encode_entry(out)
            # Split when made or collected, else now (a cache hit: checked when read).
            parts = it.parts or split_entry(it.encoded, verify=False)
            if parts is None:  # cannot be: entries are checked when read
                raise ValueError(f"corrupt result for {it.source.display}")
            if len(parts) == 3:
                errors.append(ParseFailure(it.source, *parts))
            else:
                error_findings += parts[0]
                rendered.append(parts[1])
    result.error_findings += error_findings


def _open_cache(
    paths: list[str], config: LintConfig, items: list[_Item], rendered: bool
) -> ResultCache | None:
    """Look every file up in the cache (keys from read_inputs); None when caching is off.

    `rendered`: a hit is kept as stored (the JSON output splices it in); otherwise it is
    decoded now, so that an entry that does not decode is a miss like any other.
    """
    if not config.cache:
        return None
    from pgwarden.cache import ResultCache

    cache = ResultCache.open(paths, config)
    for it in items:
        if rendered:
            it.encoded = cache.get_entry(it.key)
        else:
            hit = cache.get(it.key, it.source.display)
            it.out = ParseFailure(it.source, *hit) if isinstance(hit, tuple) else hit
        if not it.done:
            break  # later keys are chained to this one: recompute from here
    return cache


def _prepare_store(
    cache: ResultCache, items: list[_Item], first: int, run: str | None, result: LintResult
) -> Callable[[], None] | None:
    """Store the run's entries (items[first:] were linted, the others are cache hits) and
    make its JSON output (the files' entries, as `result` has them or as stored, and its
    parse failures; also `result.document`); what writes the pack is returned (None:
    nothing to write)."""
    from pgwarden.report.json_document import document, error_dict

    # The linted files' entries in one go (the hits before `first` are kept as read); any
    # not encoded yet are encoded here.
    linted = items[first:]
    cache.put_entries([(it.key, it.encoded) for it in linted if it.encoded is not None])
    for it in linted:
        if it.encoded is not None:
            continue
        if isinstance(it.out, ParseFailure):
            cache.put(it.key, (it.out.line, it.out.column, it.out.message))
        elif it.out is not None:
            cache.put(it.key, it.out)
    if cache.unchanged:
        return None
    keys = [it.key for it in items]
    files = result.rendered if result.rendered is not None else cache.files_json(keys)
    errors = [error_dict(e.display, e.line, e.column, e.message) for e in result.errors]
    output = document(files, errors)
    if result.rendered is not None:
        result.document = output  # the same pieces make the JSON output
    exit_code, stderr = result.exit_code, [str(e) for e in result.errors]
    return functools.partial(cache.save, keys, run, output, exit_code, stderr)


def _lint_from(
    items: list[_Item],
    first: int,
    schema: list[_Item],
    config: LintConfig,
    result: LintResult,
    rendered: bool,
    early: EarlyStart | None = None,
) -> None:
    """Rebuild the catalog from files before `first`, then lint `first` and everything after.

    With enough to do and a second CPU, a forked worker lints the tail of the run: it rebuilds
    the catalog up to its first file by replaying (parsing and applying, no lock model or
    rules) while this process lints the head, so the two finish about together. `early`:
    that worker, started already (first is 0 then).
    """
    from pgwarden.sql.source import unvalidated_nodes

    with unvalidated_nodes():  # once for the run: switching it per file costs ~0.1 ms
        _lint_run(items, first, schema, config, result, rendered, early)


def _lint_run(
    items: list[_Item],
    first: int,
    schema: list[_Item],
    config: LintConfig,
    result: LintResult,
    rendered: bool,
    early: EarlyStart | None,
) -> None:
    if early is None:
        early = _prepare(items, first, schema, config, rendered)
    rules, catalog, split, worker = early.rules, early.catalog, early.split, early.worker
    result.errors.extend(early.schema_errors)
    # Each result is encoded (for the cache or the JSON output) as soon as it is made, once,
    # and a worker's are read as they come (while it is busy, not after it); as JSON output,
    # the objects are then dropped: they would pile up, and the garbage collector would
    # walk them all.
    encode = config.cache or rendered
    collector = _Collector(worker, items, split, rendered) if worker is not None else None
    try:
        for it in items[:first]:
            _replay_item(it, catalog)
        for n, it in enumerate(items[first:split]):
            it.out = _lint_one(it, catalog, config, rules)
            if encode:
                _encode(it, rendered)
            if collector is not None and n % 64 == 63:
                collector.pump()
        done = collector.finish() if collector is not None else split
        if done < len(items):  # no worker, or it failed part way: carry on here
            for it in items[split:done]:
                _replay_item(it, catalog)
            for it in items[done:]:
                it.out = _lint_one(it, catalog, config, rules)
                if encode:
                    _encode(it, rendered)
    finally:
        if worker is not None:
            worker.reap()


@dataclass(slots=True)
class EarlyStart:
    """What a run lints with (its rules, the catalog `--schema` built) and its worker, if it
    has one: made by `_prepare`, before the run's keys are hashed for `start_early`."""

    rules: list[Rule]
    catalog: Catalog
    schema_errors: list[ParseFailure]
    split: int
    worker: _Worker | None
    items: list[_Item]  # what the split was planned for

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.reap()
            self.worker = None


def start_early(inputs: Inputs, config: LintConfig, rendered: bool) -> EarlyStart:
    """Set a run up and fork its worker before the files' keys are hashed, the cache looked
    up and the output prepared: for a run with no cache yet (so every file is linted), the
    worker replays while this process does all that (~10 ms of a corpus run, two CPUs busy
    instead of one). Pass it to `run`, or `cancel` it."""
    return _prepare(inputs.items, 0, inputs.schema, config, rendered, before_keys=True)


def _prepare(
    items: list[_Item],
    first: int,
    schema: list[_Item],
    config: LintConfig,
    rendered: bool,
    before_keys: bool = False,
) -> EarlyStart:
    from pgwarden.catalog import Catalog
    from pgwarden.lint import select_rules

    rules = select_rules(config)
    catalog = Catalog()
    errors = load_schema_items(schema, catalog)
    lead = 0.0
    if before_keys:  # after forking, this process hashes the keys, sets cache and output up
        lead = EARLY_SETUP + (EARLY_HASH_FILE * len(items) if config.cache else 0.0)
    split = _plan_split(items, first, config.cache or rendered, lead)
    worker = _fork_worker(items, split, catalog, config, rules) if split < len(items) else None
    return EarlyStart(rules, catalog, errors, split, worker, items)


def _encode(it: _Item, drop: bool) -> None:
    """Encode the item's result (`drop`: and keep only that, unless it is a parse failure)."""
    from pgwarden.cache import encode_entry, split_entry

    out = it.out
    if out is None or it.encoded is not None:
        return
    if isinstance(out, ParseFailure):
        it.encoded = encode_entry((out.line, out.column, out.message))
    else:
        it.encoded = encode_entry(out)
        if drop:
            it.out = None
            it.parts = split_entry(it.encoded, verify=False)  # for the output, later


def _replay_item(it: _Item, catalog: Catalog) -> None:
    """Bring the catalog to where linting the item leaves it, without the lock model or rules.

    Mirrors what `locks.session.simulate` applies (every statement; transaction control
    changes nothing) followed by `mark_all_existing`, from the statements' nodes only (no
    locations, no directives). test_pipeline checks that parallel and serial runs agree.
    """
    from pgwarden.catalog.apply import apply_statement
    from pgwarden.sql.source import decode, parse_nodes

    if it.source.is_down or isinstance(it.data, ParseFailure):
        return
    text = decode(it.source, it.data)
    nodes = None if isinstance(text, ParseFailure) else parse_nodes(it.source, text)
    if nodes is not None:
        for node in nodes:
            apply_statement(node, catalog, True)
        catalog.mark_all_existing()


def _lint_one(
    it: _Item, catalog: Catalog, config: LintConfig, rules: list[Rule]
) -> FileOut | ParseFailure:
    from pgwarden.lint import lint_parsed

    parsed = parse_item(it.source, it.data)
    if isinstance(parsed, ParseFailure):
        return parsed
    if it.source.is_down:
        with catalog.scratch() as scratch:
            return lint_parsed(parsed, scratch, config, rules)
    out = lint_parsed(parsed, catalog, config, rules)
    catalog.mark_all_existing()
    return out


# Parallel linting. Costs are in units of linting one byte of SQL, per file: linting costs a
# fixed part plus its bytes, replaying a file (parse + catalog, no lock model or rules) about
# a quarter of a byte's lint, the worker encodes what it sends and this process decodes it.
# Fitted per file on the corpus of bench/lint_corpus.py (least squares, one process, fits of
# several runs averaged): ~68 us per file plus ~0.165 us per byte to lint, ~6.5 + 0.05 to
# replay, ~6.6 + 0.009 to encode.
PARALLEL_MIN_BYTES = 256 * 1024  # of work, in those units
LINT_FILE = 410
REPLAY_FILE, REPLAY_BYTE = 40, 0.3
SEND_FILE, SEND_BYTE = 40, 0.056
RECV_FILE, RECV_BYTE = 5, 0.0
_SEND_BYTES = 64 * 1024  # the worker writes its results in batches of about this much
EARLY_SETUP, EARLY_HASH_FILE = 25_000, 8  # what start_early leaves this process to do


def _plan_split(items: list[_Item], first: int, cached: bool = False, lead: float = 0.0) -> int:
    """Index where a worker takes over, so that it and this process finish about together.

    This process replays items[:first], lints up to the split, (`cached`) encodes its results
    for the cache or the JSON output and reads what the worker sends as it comes; the worker
    replays up to the split and lints (and encodes) the rest. What needs every result (the
    report) comes after both, so it does not enter the balance. `lead`: what this process
    does before its first file that the worker does not (start_early), in the same units.
    """
    rest = [len(d) if type(d) is bytes else 0 for d in [it.data for it in items[first:]]]
    files, size = len(rest), sum(rest)
    if LINT_FILE * files + size < PARALLEL_MIN_BYTES or not _can_fork():
        return len(items)
    # With the worker linting all of items[first:], it has `gap` more to do than this
    # process (both replay items[:first]). Moving an item to this process closes the gap by
    # its lint, store and replay, and by what the worker no longer lints, sends and this
    # process reads: a + b * its bytes.
    store_file, store_byte = (SEND_FILE, SEND_BYTE) if cached else (0.0, 0.0)
    gap = (LINT_FILE + SEND_FILE - RECV_FILE) * files + (1 + SEND_BYTE - RECV_BYTE) * size - lead
    a = 2 * LINT_FILE + SEND_FILE + store_file - RECV_FILE - REPLAY_FILE
    b = 2 + SEND_BYTE + store_byte - RECV_BYTE - REPLAY_BYTE
    closed = list(itertools.accumulate(a + b * n for n in rest))  # moving rest[: k + 1]
    k = bisect.bisect_left(closed, gap)  # the item that tips the balance to this process
    if k == files:
        return len(items)
    before = gap - (closed[k - 1] if k else 0.0)  # the worker's lead without item k
    after = closed[k] - gap  # this process's lead with it
    # The closer of the two balances (a large file tips it far).
    return first + k + 1 if after <= before else max(first + k, first + 1)


def _can_fork() -> bool:
    from pgwarden.forking import can_fork

    return can_fork()


class _Worker:
    """A forked child linting items[split:]; it writes one encoded entry per line to a file,
    and closes its end of a pipe (`done`) once it has written all it will write.

    A file, not a pipe: the parent reads only between its own files (and then the rest),
    and a child writing into a full pipe would sit blocked in the meantime. The pipe says
    when it is done before it has exited: taking a process of ~45 MB down takes a few ms.
    """

    def __init__(self, pid: int, out: IO[bytes], done: int, cpus: set[int] | None = None) -> None:
        self.pid = pid
        self.out = out
        self.done = done  # the pipe's read end: end of file once the child is done
        self.reaped = False
        self.cpus = cpus  # what this process runs on again once the worker is done (fork_beside)

    def _unpin(self) -> None:
        from pgwarden.forking import keep_to

        keep_to(self.cpus)
        self.cpus = None

    def wait_written(self) -> None:
        """Until the child has written everything it will (or has died)."""
        if self.done >= 0:
            with contextlib.suppress(OSError):
                os.read(self.done, 1)
            os.close(self.done)
            self.done = -1

    def release(self) -> None:
        """Let go of a child that is done: reaped now if it has exited, else later (by the
        next fork or run, see reap_workers), so as not to wait for its teardown."""
        self.wait_written()
        self._unpin()
        self.out.close()
        if not self.reaped:
            self.reaped = True
            _EXITING.append(self.pid)
            reap_workers()

    def reap(self) -> None:
        """Stop the child wherever it is, and wait for it."""
        if not self.reaped:
            self.reaped = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)  # harmless if it has exited already
            os.waitpid(self.pid, 0)
        if self.done >= 0:
            os.close(self.done)
            self.done = -1
        self._unpin()
        self.out.close()


_EXITING: list[int] = []  # workers released while exiting, not reaped yet


def reap_workers(block: bool = False) -> None:
    """Reap the released workers that have exited (`block`: wait for all of them: a
    command's last step, so that its process accounts for their time)."""
    for pid in list(_EXITING):
        try:
            if os.waitpid(pid, 0 if block else os.WNOHANG)[0] == 0:
                continue
        except ChildProcessError:
            pass
        _EXITING.remove(pid)


def _scratch_file() -> IO[bytes]:
    """An unnamed file for the worker's results: in memory where Linux offers it (memfd),
    which also spares importing tempfile (~3 ms of a run); a temporary file otherwise."""
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create("pgwarden-worker", os.MFD_CLOEXEC), "w+b")
    import tempfile

    return tempfile.TemporaryFile()  # closed by _Worker.reap


def _fork_worker(
    items: list[_Item], split: int, catalog: Catalog, config: LintConfig, rules: list[Rule]
) -> _Worker | None:
    import codecs

    from pgwarden.cache import encode_entry
    from pgwarden.pieces import write_pieces
    from pgwarden.report import json_out  # noqa: F401  # encode_entry's, imported lazily

    # What both processes import anyway is imported before the fork, not once in each: the
    # JSON encoder (orjson pulls in uuid and platform: ~4 ms) and the codec `decode` uses.
    codecs.lookup("utf-8-sig")
    reap_workers()
    try:
        out = _scratch_file()
    except OSError:
        return None
    try:
        done, child_done = os.pipe()
    except OSError:
        out.close()
        return None
    from pgwarden.forking import fork_beside

    try:
        pid, cpus = fork_beside()
    except OSError:
        for f in (done, child_done):
            os.close(f)
        out.close()
        return None
    if pid:
        os.close(child_done)
        return _Worker(pid, out, done, cpus)
    # The child: never returns, never runs the parent's cleanup or flushes its buffers.
    from pgwarden.sql.source import unvalidated_nodes

    os.close(done)
    code = 1
    try:
        fd = out.fileno()
        with unvalidated_nodes():  # (the parent's block, entered again: free)
            for it in items[:split]:
                _replay_item(it, catalog)
            # Written a few files at a time (one system call each batch, no copy): the main
            # process reads between its own files, not after each of the worker's.
            batch: list[bytes] = []
            size = 0
            for it in items[split:]:
                res = _lint_one(it, catalog, config, rules)
                entry = encode_entry(
                    res
                    if not isinstance(res, ParseFailure)
                    else (res.line, res.column, res.message)
                )
                batch += (entry, b"\n")
                size += len(entry)
                if size >= _SEND_BYTES:
                    write_pieces(fd, batch)
                    batch, size = [], 0
            write_pieces(fd, batch)
        code = 0
    except BaseException:  # the parent sees a short answer and lints the rest itself
        pass
    finally:
        with contextlib.suppress(OSError):  # (nothing may keep this process from its exit)
            os.close(child_done)  # done: the parent need not wait for this process to go
        os._exit(code)


class _Collector:
    """Reads the worker's results into items[split:] as it writes them.

    `pump` takes what is there now (called between this process's own files, so that little
    is left to read once they are done); `finish` waits for the rest and says where the
    results stop (short of the end if the worker failed). `rendered`: entries are kept
    encoded (the JSON output splices them in); otherwise each is decoded as it arrives.
    """

    def __init__(self, worker: _Worker, items: list[_Item], split: int, rendered: bool) -> None:
        self.worker = worker
        self.items = items
        self.next = split  # the item the next line is for
        self.rendered = rendered
        self.pending = b""  # an incomplete last line: waiting for the rest
        self.offset = 0
        self.failed = False

    def pump(self) -> bool:
        """Take in what the worker has written; False when there was nothing new."""
        if self.failed or self.next >= len(self.items):
            return False
        chunk = os.pread(self.worker.out.fileno(), 1 << 20, self.offset)
        if not chunk:
            return False
        self.offset += len(chunk)
        lines = chunk.split(b"\n")  # (the pending piece joins the first line only: a chunk
        lines[0] = self.pending + lines[0]  # is up to 1 MB, not worth copying twice)
        self.pending = lines.pop()
        for line in lines:
            if self.next >= len(self.items) or not self._take(self.items[self.next], line):
                break
            self.next += 1
        return True

    def _take(self, it: _Item, line: bytes) -> bool:
        from pgwarden.cache import decode_entry, split_entry

        if self.rendered:  # the length is checked: its checksum was computed a moment ago
            parts = split_entry(line, verify=False)
            it.parts = parts
            ok = parts is not None
        else:
            entry = decode_entry(line, it.source.display)
            it.out = ParseFailure(it.source, *entry) if isinstance(entry, tuple) else entry
            ok = entry is not None
        if not ok:
            self.failed = True
            self.worker.reap()
            return False
        it.encoded = line
        return True

    def finish(self) -> int:
        while self.pump():
            pass
        if not self.failed and self.next < len(self.items):
            # The rest comes all at once (waiting in the kernel, not polling).
            self.worker.wait_written()
            while self.pump():
                pass
        if self.failed:
            self.worker.reap()
        else:
            self.worker.release()
        return self.next
