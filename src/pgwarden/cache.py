"""Result cache (like ruff's): each file's lint output, keyed by a chained content hash.

A file's result depends on the configuration, on pgwarden's own code, on the `--schema` files
and on every earlier file of the run (they build the schema it is checked against), so its key
hashes all of those plus its own bytes: a changed earlier file changes every later key.
Results are stored in the shape of `--format json` (report.json_out, so that JSON output
needs no decoding), one pack per (paths, configuration) under `.pgwarden_cache/` of the
current directory or `$PGWARDEN_CACHE_DIR`. A pack holds the whole JSON output of the run
that wrote it, which a warm JSON run with unchanged inputs writes out as it is (`Replay`);
beside it, pgwarden.output_cache keeps other formats' outputs. Anything wrong with the cache
(unreadable, corrupt, other version, read-only directory) only means misses: correctness
never depends on it.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import sys
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pgwarden.pieces import write_pieces

try:  # hashlib would load OpenSSL first (~2 ms of every run, warm ones included)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b

if TYPE_CHECKING:
    from pgwarden.config import LintConfig
    from pgwarden.lint import FileOut

FORMAT = 3
ENV_DIR = "PGWARDEN_CACHE_DIR"
DEFAULT_DIR = ".pgwarden_cache"
KEEP_PACKS = 64  # least recently written packs beyond this are removed

# What lint results are computed by: a change to any of these files invalidates the cache.
_LINT_CODE = (
    "sql",
    "catalog",
    "locks",
    "rules",
    "lint.py",
    "pipeline.py",
    "cache.py",
    "config.py",
    "report/json_out.py",  # the shape entries are stored in
    "report/json_document.py",  # and the document around them
)


def code_fingerprint() -> str:
    """pgwarden's version plus the size and mtime of the modules lint runs (a changed rule
    invalidates every entry; an edit elsewhere, e.g. the runner, does not)."""
    # The parser too: an upgrade rewrites its files (importlib.metadata, or importing it,
    # would cost more than a warm run).
    return fingerprint(_LINT_CODE, "pglast")


def fingerprint(parts: Sequence[str], package: str) -> str:
    """Of the files or folders `parts` of pgwarden and of the package `package`."""
    import pgwarden

    h = blake2b(digest_size=16)
    h.update(f"{FORMAT}:{pgwarden.__version__}:{sys.version_info[:2]}".encode())
    root = Path(pgwarden.__file__).parent
    spec = importlib.util.find_spec(package)
    found = [spec.origin] if spec is not None and spec.origin else []
    for top in parts:
        path = root / top
        found += [str(path)] if path.is_file() else []
        for dirpath, dirnames, files in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            found += [
                os.path.join(dirpath, f) for f in sorted(files) if f.endswith((".py", ".sql"))
            ]
    for name in found:
        st = os.stat(name)
        h.update(f"{name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def config_fingerprint(config: LintConfig) -> str:
    """Everything in the configuration that can change a result (not where it came from)."""
    fields = {
        f.name: getattr(config, f.name)
        for f in dataclasses.fields(config)
        if f.name not in ("cache", "source", "schema")
    }
    return json.dumps(
        fields,
        sort_keys=True,
        default=lambda v: sorted(v) if isinstance(v, set | frozenset) else repr(v),
    )


def digest(*parts: bytes | str) -> str:
    h = blake2b(digest_size=20)
    for p in parts:
        b = p.encode("utf-8", "surrogatepass") if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


def base_key(config: LintConfig, schema: Iterable[tuple[str, bytes | None]]) -> str:
    """Hash of code, configuration and `--schema` files (None: the file could not be read)."""
    parts: list[bytes | str] = [code_fingerprint(), config_fingerprint(config)]
    for display, data in schema:
        parts += [display, b"\x00missing" if data is None else data]
    return digest(*parts)


def chain_key(previous: str, display: str, data: bytes | None) -> str:
    """Key of a file: the previous file's key, its path and its bytes (None: unreadable).

    `digest(previous, display, data)`, written out: every run hashes every file (a corpus
    run's keys took ~5 ms, ~4 of them in calls), a warm run before anything else."""
    if data is None:
        data = b"\x00unreadable"
    prev = previous.encode("utf-8", "surrogatepass")
    name = display.encode("utf-8", "surrogatepass")
    h = blake2b(
        b"".join(
            (
                len(prev).to_bytes(8, "little"),
                prev,
                len(name).to_bytes(8, "little"),
                name,
                len(data).to_bytes(8, "little"),
            )
        ),
        digest_size=20,
    )
    h.update(data)
    return h.hexdigest()


def cache_dir() -> Path:
    env = os.environ.get(ENV_DIR)
    return Path(env) if env else Path.cwd() / DEFAULT_DIR


Entry = tuple[int, int, str]  # a parse failure: line, column, message


def encode_entry(result: FileOut | Entry) -> bytes:
    """One line (without its newline) for a file's result.

    A file: `F<error findings> <length> <CRC-32>\t` and its `--format json` entry
    (file_json), which JSON output splices in undecoded: the length and checksum tell a
    damaged entry from a whole one (~3 ms for a corpus's 15 MB). JSON escapes newlines. A
    parse failure: `E` and [line, column, message].
    """
    from pgwarden.report.json_document import dumps
    from pgwarden.report.json_out import file_json

    if isinstance(result, tuple):
        return b"E" + dumps(list(result))
    data = file_json(result)
    return b"F%d %d %d\t%s" % (result.error_count(), len(data), zlib.crc32(data), data)


def split_entry(entry: bytes, verify: bool = True) -> tuple[int, memoryview] | Entry | None:
    """(error findings, file JSON) of a file's entry, a parse failure's (line, column,
    message), or None for something else (a corrupt or cut entry). The JSON is a view of
    `entry`, not a copy (a corpus's entries are ~15 MB). `verify`: check the checksum (not
    needed again for an entry this run made or already checked)."""
    try:
        if entry[:1] == b"F":
            tab = entry.find(b"\t")
            errors, size, crc = entry[1:tab].split(b" ")
            data = memoryview(entry)[tab + 1 :]
            if tab > 0 and len(data) == int(size) and (not verify or zlib.crc32(data) == int(crc)):
                return int(errors), data
        elif entry[:1] == b"E":
            line, column, message = json.loads(entry[1:])
            if isinstance(line, int) and isinstance(column, int) and isinstance(message, str):
                return line, column, message
    except ValueError:
        pass
    return None


def decode_entry(entry: bytes, display: str) -> FileOut | Entry | None:
    """The result encoded in `entry` (its path set to `display`); None if it is not valid."""
    from pgwarden.report.json_out import file_from_json

    parts = split_entry(entry)
    if parts is None or len(parts) == 3:
        return parts
    try:
        result = file_from_json(parts[1])
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None  # a foreign entry is a miss
    result.path = display
    return result


@dataclass(frozen=True, slots=True)
class Replay:
    """The output a pack holds for a JSON run: `size` bytes of `file` from where the file
    is now, the exit code and the stderr lines (its parse failures) of that run."""

    exit_code: int
    stderr: tuple[str, ...]
    file: BinaryIO
    size: int


class ResultCache:
    """One pack of entries (key -> a file's result or parse failure) for one run's paths and
    configuration, as written by its last run.

    A pack is a first line of fixed width (`pgwarden-pack <output> <index> <head>`: the
    sizes of what follows), the run's `--format json` output, a line indexing its entries in
    the run's order ([key, header] pairs: a file's entry header `F<error findings> <length>
    <CRC-32>`, a parse failure's whole entry), and a line of JSON about that run ({"run": its
    key, "exit": exit code, "stderr": its parse failures}). The files' entries are found in
    the output, in that order: each result is stored once, and a warm JSON run writes the
    output out as it is (`replay`). The output comes first so that writing it can start
    while the index is being made.
    """

    def __init__(self, directory: Path, pack_id: str) -> None:
        self.path = _pack_file(directory, pack_id)
        self._raw: dict[str, bytes] = {}  # key -> entry (see encode_entry), as read
        self._used: dict[str, bytes] = {}  # entries of this run, written back by save()
        self._dirty = False
        self._load()

    @classmethod
    def open(cls, paths: Sequence[str], config: LintConfig) -> ResultCache:
        return cls(cache_dir(), pack_id(paths, config))

    @staticmethod
    def pack_path(paths: Sequence[str], config: LintConfig) -> Path:
        """Where `open` reads and writes the pack of these paths and this configuration."""
        return _pack_file(cache_dir(), pack_id(paths, config))

    @staticmethod
    def replay(paths: Sequence[str], config: LintConfig, run: str) -> Replay | None:
        """The JSON output stored by the run whose last key is `run` (the caller closes its
        file), or None: no pack, another run's, or one cut short."""
        try:
            fh = open(_pack_file(cache_dir(), pack_id(paths, config)), "rb")  # noqa: SIM115
        except OSError:
            return None
        try:
            sizes = _sizes(fh.read(_FIRST_LINE), os.fstat(fh.fileno()).st_size)
            fh.seek(_FIRST_LINE + sizes[0] + sizes[1])
            head = json.loads(fh.read(sizes[2]))
            if not isinstance(head, dict) or head.get("run") != run:
                raise ValueError("another run's pack")
            stderr = tuple(map(str, head["stderr"]))
            fh.seek(_FIRST_LINE)
            return Replay(int(head["exit"]), stderr, fh, sizes[0])
        except (OSError, ValueError, TypeError, KeyError):
            fh.close()
            return None

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                data = fh.read()
        except OSError:
            return
        try:
            self._raw = _entries(data)
        except (ValueError, TypeError, KeyError, IndexError):
            self._raw = {}  # corrupt or foreign: every file is a miss

    def get_entry(self, key: str) -> bytes | None:
        """The stored entry for a key, valid as far as split_entry can tell, or None."""
        entry = self._raw.get(key)
        if entry is None or split_entry(entry) is None:
            return None
        self._used[key] = entry
        return entry

    def get(self, key: str, display: str) -> FileOut | Entry | None:
        """The cached result for a key (its path set to `display`), or None."""
        entry = self._raw.get(key)
        if entry is None:
            return None
        result = decode_entry(entry, display)
        if result is not None:
            self._used[key] = entry
        return result

    @property
    def unchanged(self) -> bool:
        """Whether this run used the pack's entries and only them (nothing to write)."""
        return not self._dirty and self._used.keys() == self._raw.keys()

    def files_json(self, keys: Sequence[str]) -> list[memoryview]:
        """The files' JSON (report.json_out.file_json) of this run's entries for `keys`, in
        order (parse failures have none); KeyError for a key without an entry."""
        out: list[memoryview] = []
        for key in keys:
            entry = self._used[key]
            if entry[:1] == b"F":
                out.append(memoryview(entry)[entry.find(b"\t") + 1 :])
        return out

    def put(self, key: str, result: FileOut | Entry) -> None:
        self.put_entry(key, encode_entry(result))

    def put_entry(self, key: str, entry: bytes) -> None:
        """Store an entry already encoded by `encode_entry`."""
        self._used[key] = entry
        self._dirty = True

    def put_entries(self, entries: list[tuple[str, bytes]]) -> None:
        """Store entries already encoded by `encode_entry`."""
        if entries:
            self._used.update(entries)
            self._dirty = True

    def save(
        self,
        keys: Sequence[str],
        run: str | None,
        output: Sequence[bytes | memoryview],
        exit_code: int,
        stderr: Sequence[str],
    ) -> None:
        """Write the pack of the run whose files' keys are `keys` (in order; `run`: the last
        one), with its entries and its `--format json` output (`output`, as pieces, whose
        files are those entries'), exit code and stderr lines; atomically, and failures to
        write are ignored."""
        if self.unchanged:
            return
        from pgwarden.report.json_document import dumps

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_gitignore(self.path.parent.parent)
            tmp = self.path.with_name(f".{self.path.stem}.{os.getpid()}.tmp")
            try:
                with open(tmp, "wb", buffering=0) as fh:
                    fd = fh.fileno()
                    # The output first (~15 MB on a corpus, never joined; the interpreter is
                    # free meanwhile), then the index and what the first line says.
                    write_pieces(fd, [b" " * _FIRST_LINE, *output])
                    try:
                        index = dumps(_index(keys, self._used))
                    except KeyError:  # an entry missing: cannot be
                        raise OSError("incomplete") from None
                    head = dumps({"run": run, "exit": exit_code, "stderr": list(stderr)})
                    write_pieces(fd, [index, head])
                    size = sum(len(p) for p in output)
                    os.pwrite(fd, _first_line(size, len(index), len(head)), 0)
                os.replace(tmp, self.path)  # readers see the old pack or the new one, whole
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            _prune(self.path.parent)
        except OSError:
            pass  # a read-only or full disk: the next run is just a cold run


_FIRST_LINE = 64  # bytes: `pgwarden-pack <output size> <index size> <head size>`, padded


def _first_line(output: int, index: int, head: int) -> bytes:
    return f"pgwarden-pack {output} {index} {head}".encode().ljust(_FIRST_LINE - 1) + b"\n"


def _sizes(line: bytes, total: int) -> tuple[int, int, int]:
    """(output, index, head) sizes from a pack's first line; ValueError if it does not
    describe a pack of `total` bytes."""
    magic, *sizes = line.split()
    output, index, head = map(int, sizes)
    if magic != b"pgwarden-pack" or _FIRST_LINE + output + index + head != total:
        raise ValueError("not a whole pack")
    return output, index, head


def _index(keys: Sequence[str], entries: dict[str, bytes]) -> list[tuple[str, str]]:
    """[key, header] for each key, in order (see ResultCache); KeyError for a missing one."""
    index: list[tuple[str, str]] = []
    add = index.append
    for key in keys:
        entry = entries[key]
        # A file's entry header (its JSON is in the output); a parse failure whole.
        add((key, (entry[: entry.find(b"\t")] if entry[:1] == b"F" else entry).decode()))
    return index


def _entries(data: bytes) -> dict[str, bytes]:
    """A pack's entries by key, in encode_entry's form (see ResultCache)."""
    output, index_size, _ = _sizes(data[:_FIRST_LINE], len(data))
    start = _FIRST_LINE + output
    index = json.loads(data[start : start + index_size])
    out_view = memoryview(data)[_FIRST_LINE:start]
    out: dict[str, bytes] = {}
    at = bytes(out_view[:256]).index(b'"files":[') + 9 if index else 0  # after the version
    for key, header in index:
        if header[:1] != "F":
            out[key] = header.encode()
            continue
        size = int(header.rsplit(" ", 2)[1])
        out[key] = header.encode() + b"\t" + out_view[at : at + size]
        at += size + 1  # and the comma
    return out


def _pack_file(directory: Path, pack: str) -> Path:
    return directory / f"v{FORMAT}" / f"{pack}.pack"


def pack_id(paths: Sequence[str], config: LintConfig) -> str:
    """Names the pack (and saved outputs) of one run's paths and configuration."""
    ident = [os.path.abspath(p) if p != "-" else p for p in paths]
    return digest(json.dumps(ident), config_fingerprint(config))[:32]


def write_gitignore(directory: Path) -> None:
    marker = directory / ".gitignore"
    if not marker.exists():
        marker.write_text("# Automatically created by pgwarden.\n*\n", encoding="utf-8")


def _prune(directory: Path) -> None:
    packs = sorted(directory.glob("*.pack"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in packs[KEEP_PACKS:]:
        old.unlink(missing_ok=True)
        for out in directory.glob(f"{old.stem}.*.out"):  # saved outputs of the same run
            out.unlink(missing_ok=True)
