"""A whole run's rendered output, replayed by a warm run whose inputs are all unchanged."""

from __future__ import annotations

import json
import marshal
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pgwarden.cache import (
    FORMAT,
    PackLayout,
    cache_dir,
    digest,
    fingerprint,
    pack_id,
    pack_identity,
    write_gitignore,
)
from pgwarden.pieces import write_pieces

if TYPE_CHECKING:
    from pgwarden.config import LintConfig

# What turns results into output; lint's own code is in the run's key already.
_OUTPUT_CODE = ("report", "cli/lint.py", "output_cache.py")


@dataclass(frozen=True, slots=True)
class SavedOutput:
    """A saved run's exit code and stderr lines; its stdout is `size` bytes of `file`, from
    where the file is now (open, so that a concurrent run replacing it cannot mix versions),
    or, when it points into the run's result pack, `pieces` (views of the pack, mapped)."""

    exit_code: int
    stderr: tuple[str, ...]
    file: BinaryIO
    size: int
    pieces: list[bytes | memoryview] | None = None


class OutputCache:
    """The rendered output of a whole run, reused while nothing it depends on has changed.

    When every file hits, a run would decode all its results and render them again (a
    corpus of 2,600 files is ~50k objects and 15 MB of JSON) to produce the very output of
    the run before. So the output itself is kept, keyed by the run's last chained key
    (every file, `--schema`, configuration, lint code), the rendering code, the format and
    what the caller says the output depends on (`context`: TTY or not, directory, encoding).
    """

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key

    @classmethod
    def open(
        cls, paths: Sequence[str], config: LintConfig, run_key: str, fmt: str, context: str
    ) -> OutputCache:
        name = f"{pack_id(paths, config)}.{digest(fmt, context)[:16]}.out"
        key = digest(run_key, fmt, context, fingerprint(_OUTPUT_CODE, "rich"))
        return cls(cache_dir() / f"v{FORMAT}" / name, key)

    def get(self) -> SavedOutput | None:
        """The saved output (the caller closes its file), or None."""
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - handed to the caller
        except OSError:
            return None
        try:
            head = json.loads(fh.readline())
            if not isinstance(head, dict) or head.get("key") != self.key:
                raise ValueError("another run's output")
            size = int(head["size"])
            code, stderr = int(head["exit_code"]), tuple(map(str, head["stderr"]))
            if "pack" in head:
                pieces = _pieces(self.path.parent, head["pack"], fh.read(), size)
                return SavedOutput(code, stderr, fh, size, pieces)
            if os.fstat(fh.fileno()).st_size - fh.tell() != size:
                raise ValueError("cut short")
            return SavedOutput(code, stderr, fh, size)
        except (OSError, ValueError, TypeError, KeyError, EOFError, IndexError):
            fh.close()
            return None  # corrupt, foreign, or its pack has been replaced: a miss

    def put(
        self,
        exit_code: int,
        stderr: Sequence[str],
        stdout: Sequence[bytes | memoryview],
        pack: PackLayout | None = None,
    ) -> None:
        """Write atomically (`stdout`: its pieces, in order); failures to write are ignored
        (the next run is a miss). With `pack` (where this run's result pack holds each file's
        JSON), what the pack holds is saved as a place in it, not a second copy (~15 MB for a
        large directory): the saved output is only the pieces in between and that list."""
        head: dict[str, object] = {
            "key": self.key,
            "exit_code": exit_code,
            "stderr": list(stderr),
            "size": sum(len(p) for p in stdout),
        }
        recipe = _recipe(stdout, pack) if pack is not None else None
        if recipe is not None and pack is not None:
            head["pack"] = [pack.path.name, *pack.identity]
            stdout = [marshal.dumps(recipe)]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_gitignore(self.path.parent.parent)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            try:
                with open(tmp, "wb", buffering=0) as fh:
                    write_pieces(fh.fileno(), [json.dumps(head).encode("ascii") + b"\n", *stdout])
                os.replace(tmp, self.path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        except OSError:
            pass


# A saved output that points into the pack: a list of pieces, each bytes of its own or
# (offset, length) in the pack.
Recipe = list[bytes | tuple[int, int]]


def _recipe(stdout: Sequence[bytes | memoryview], pack: PackLayout) -> Recipe | None:
    """The output as pieces of its own and places in the pack; None when the pack holds
    none of it (then the output is saved as it is)."""
    out: Recipe = []
    found = False
    for piece in stdout:
        place = pack.locate(piece)
        if place is None:
            out.append(bytes(piece))
        else:
            out.append(place)
            found = True
    return out if found else None


def _pieces(
    directory: Path, pack: list[object], recipe: bytes, size: int
) -> list[bytes | memoryview]:
    """The output a recipe describes, as views of the pack it names (mapped, not read);
    ValueError when that pack is no longer the one the recipe was made with."""
    import mmap

    name, *identity = pack
    with open(directory / str(name), "rb") as fh:
        if list(pack_identity(fh.fileno())) != identity:
            raise ValueError("the pack has been replaced")
        whole = memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
    pieces: list[bytes | memoryview] = []
    for part in marshal.loads(recipe):
        if isinstance(part, bytes):
            pieces.append(part)
        else:
            at, length = part
            if at < 0 or at + length > len(whole):
                raise ValueError("outside the pack")
            pieces.append(whole[at : at + length])
    if sum(len(p) for p in pieces) != size:
        raise ValueError("cut short")
    return pieces
