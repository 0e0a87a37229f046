"""Result cache (like ruff's): each file's lint output, keyed by a chained content hash.

A file's result depends on the configuration, on pgwarden's own code, on the `--schema` files
and on every earlier file of the run (they build the schema it is checked against), so its key
hashes all of those plus its own bytes: a changed earlier file changes every later key. Results
are stored as JSON, one pack per (paths, configuration) under `.pgwarden_cache/` of the current
directory or `$PGWARDEN_CACHE_DIR` (beside it, pgwarden.output_cache keeps whole outputs).
Anything wrong with the cache
(unreadable, corrupt, other version, read-only directory) only means misses: correctness never
depends on it.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import importlib.util
import json
import os
import sys
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pgwarden.config import LintConfig
    from pgwarden.lint import FileOut

FORMAT = 1
ENV_DIR = "PGWARDEN_CACHE_DIR"
DEFAULT_DIR = ".pgwarden_cache"
KEEP_PACKS = 64  # least recently written packs beyond this are removed

Codec = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(tp) is typing.Union or isinstance(tp, types.UnionType):
        return typing.get_args(tp)
    return None


def _codecs(tp: Any, memo: dict[Any, tuple[Codec, Codec]]) -> tuple[Codec, Codec]:
    """(encode, decode) between values of type `tp` and JSON values, built from type hints.

    Built from the dataclasses' own fields, so a field added to FileOut, StatementOut or
    Finding is stored without touching this module.
    """
    if tp in memo:
        return memo[tp]
    if tp in (int, str, bool, float, type(None), Any, object):
        return _same, _same
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        members = {m.value: m for m in tp}  # a dict lookup: Enum(value) is slow
        return (lambda v: v.value), members.__getitem__
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _dataclass_codecs(tp, memo)
    args = _union_args(tp)
    if args is not None:
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"cannot cache values of type {tp}")
        enc, dec = _codecs(rest[0], memo)
        return (lambda v: None if v is None else enc(v)), (lambda v: None if v is None else dec(v))
    origin, targs = typing.get_origin(tp), typing.get_args(tp)
    if origin in (list, Sequence) and len(targs) == 1:
        enc, dec = _codecs(targs[0], memo)
        if enc is _same and dec is _same:
            return list, list
        return (lambda v: [enc(x) for x in v]), (lambda v: [dec(x) for x in v])
    if origin in (tuple, frozenset, set):
        if (len(targs) == 2 and targs[1] is Ellipsis) or origin is not tuple:
            enc, dec = _codecs(targs[0], memo)
            build: Callable[[Iterable[Any]], Any] = origin
            key = sorted if origin is not tuple else list
            return (lambda v: [enc(x) for x in key(v)]), (lambda v: build(dec(x) for x in v))
        pairs = [_codecs(a, memo) for a in targs]
        return (
            lambda v: [e(x) for (e, _), x in zip(pairs, v, strict=True)],
            lambda v: tuple(d(x) for (_, d), x in zip(pairs, v, strict=True)),
        )
    if origin is dict and targs and targs[0] is str:
        enc, dec = _codecs(targs[1], memo)
        return (lambda v: {k: enc(x) for k, x in v.items()}), (
            lambda v: {k: dec(x) for k, x in v.items()}
        )
    raise TypeError(f"cannot cache values of type {tp}")


def _dataclass_codecs(cls: type, memo: dict[Any, tuple[Codec, Codec]]) -> tuple[Codec, Codec]:
    """Codecs for a dataclass as a JSON list of its init fields, compiled to straight-line
    code (a warm run decodes ~50k objects: a generic loop per field costs 3x as much)."""
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if f.init]
    names = [f.name for f in fields]
    ns: dict[str, Any] = {"cls": cls, "n_fields": len(names)}
    memo[cls] = (lambda o: ns["encode"](o), lambda v: ns["decode"](v))  # for recursive types
    enc_parts, dec_parts = [], []
    for i, name in enumerate(names):
        enc, dec = _codecs(hints[name], memo)
        ns[f"e{i}"], ns[f"d{i}"] = enc, dec
        enc_parts.append(f"o.{name}" if enc is _same else f"e{i}(o.{name})")
        value = f"v[{i}]" if dec is _same else f"d{i}(v[{i}])"
        kw_only = getattr(fields[i], "kw_only", False) is True
        dec_parts.append(f"{name}={value}" if kw_only else value)
    source = (
        f"def encode(o):\n    return [{', '.join(enc_parts)}]\n"
        "def decode(v):\n"
        "    if len(v) != n_fields:\n"
        "        raise ValueError('stored with other fields')\n"
        f"    return cls({', '.join(dec_parts)})\n"
    )
    exec(source, ns)  # generated from the dataclass's own field names
    codecs: tuple[Codec, Codec] = (ns["encode"], ns["decode"])
    memo[cls] = codecs
    return codecs


_FILEOUT: tuple[Codec, Codec] | None = None


def _fileout_codecs() -> tuple[Codec, Codec]:
    global _FILEOUT
    if _FILEOUT is None:
        from pgwarden.lint import FileOut

        _FILEOUT = _codecs(FileOut, {})
    return _FILEOUT


# What lint results are computed by: a change to any of these files invalidates the cache.
_LINT_CODE = ("sql", "catalog", "locks", "rules", "lint.py", "pipeline.py", "cache.py", "config.py")


def code_fingerprint() -> str:
    """pgwarden's version plus the size and mtime of the modules lint runs (a changed rule
    invalidates every entry; an edit elsewhere, e.g. the runner, does not)."""
    # The parser too: an upgrade rewrites its files (importlib.metadata, or importing it,
    # would cost more than a warm run).
    return fingerprint(_LINT_CODE, "pglast")


def fingerprint(parts: Sequence[str], package: str) -> str:
    """Of the files or folders `parts` of pgwarden and of the package `package`."""
    import pgwarden

    h = hashlib.blake2b(digest_size=16)
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
    h = hashlib.blake2b(digest_size=20)
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
    """Key of a file: the previous file's key, its path and its bytes (None: unreadable)."""
    return digest(previous, display, b"\x00unreadable" if data is None else data)


def cache_dir() -> Path:
    env = os.environ.get(ENV_DIR)
    return Path(env) if env else Path.cwd() / DEFAULT_DIR


Entry = tuple[int, int, str]  # a parse failure: line, column, message


def encode_entry(result: FileOut | Entry) -> str:
    """One line of JSON for a file's result (ASCII only, so writing it cannot fail)."""
    if isinstance(result, tuple):
        value: Any = ["E", list(result)]
    else:
        value = ["F", _fileout_codecs()[0](result)]
    return json.dumps(value, separators=(",", ":")) + "\n"


def decode_entry(text: str, display: str) -> FileOut | Entry | None:
    """The result encoded in `text` (its path set to `display`); None if it is not valid."""
    try:
        kind, value = json.loads(text)
        if kind == "E":
            line, column, message = value
            return int(line), int(column), str(message)
        result: FileOut = _fileout_codecs()[1](value)
        result.path = display
        return result
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None  # a corrupt or foreign entry is a miss


class ResultCache:
    """One pack of entries (key -> FileOut or parse failure) for one run's paths and config."""

    def __init__(self, directory: Path, pack_id: str) -> None:
        self.path = directory / f"v{FORMAT}" / f"{pack_id}.jsonl"
        self._raw: dict[str, str] = {}  # key -> JSON text, as read
        self._used: dict[str, str] = {}  # entries of this run, written back by save()
        self._dirty = False
        self._load()

    @classmethod
    def open(cls, paths: Sequence[str], config: LintConfig) -> ResultCache:
        return cls(cache_dir(), pack_id(paths, config))

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    key, sep, value = line.partition("\t")
                    if sep:
                        self._raw[key] = value
        except (OSError, UnicodeDecodeError, ValueError):
            self._raw = {}

    def get(self, key: str, display: str) -> FileOut | Entry | None:
        """The cached result for a key (its path set to `display`), or None."""
        text = self._raw.get(key)
        if text is None:
            return None
        result = decode_entry(text, display)
        if result is not None:
            self._used[key] = text
        return result

    def has(self, key: str) -> bool:
        """True for an entry this run read (a hit) or stored."""
        return key in self._used

    def put(self, key: str, result: FileOut | Entry) -> None:
        self.put_text(key, encode_entry(result))

    def put_text(self, key: str, text: str) -> None:
        """Store an entry already encoded by `encode_entry`."""
        self._used[key] = text
        self._dirty = True

    def save(self) -> None:
        """Write this run's entries (atomically); failures to write are ignored."""
        if not self._dirty and self._used.keys() == self._raw.keys():
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_gitignore(self.path.parent.parent)
            tmp = self.path.with_name(f".{self.path.stem}.{os.getpid()}.tmp")
            try:
                with open(tmp, "w", encoding="utf-8") as fh:
                    fh.writelines(f"{k}\t{v}" for k, v in self._used.items())
                os.replace(tmp, self.path)  # readers see the old pack or the new one, whole
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            _prune(self.path.parent)
        except OSError:
            pass  # a read-only or full disk: the next run is just a cold run


def pack_id(paths: Sequence[str], config: LintConfig) -> str:
    """Names the pack (and saved outputs) of one run's paths and configuration."""
    ident = [os.path.abspath(p) if p != "-" else p for p in paths]
    return digest(json.dumps(ident), config_fingerprint(config))[:32]


def write_gitignore(directory: Path) -> None:
    marker = directory / ".gitignore"
    if not marker.exists():
        marker.write_text("# Automatically created by pgwarden.\n*\n", encoding="utf-8")


def _prune(directory: Path) -> None:
    packs = sorted(directory.glob("*.jsonl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in packs[KEEP_PACKS:]:
        old.unlink(missing_ok=True)
        for out in directory.glob(f"{old.stem}.*.out"):  # saved outputs of the same run
            out.unlink(missing_ok=True)
