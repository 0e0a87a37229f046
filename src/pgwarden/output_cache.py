"""A whole run's rendered output, replayed by a warm run whose inputs are all unchanged."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pgwarden.cache import FORMAT, cache_dir, digest, fingerprint, pack_id, write_gitignore
from pgwarden.pieces import write_pieces

if TYPE_CHECKING:
    from pgwarden.config import LintConfig

# What turns results into output; lint's own code is in the run's key already.
_OUTPUT_CODE = ("report", "cli/lint.py", "output_cache.py")


@dataclass(frozen=True, slots=True)
class SavedOutput:
    """A saved run's exit code and stderr lines; its stdout is `size` bytes of `file`, from
    where the file is now (open, so that a concurrent run replacing it cannot mix versions)."""

    exit_code: int
    stderr: tuple[str, ...]
    file: BinaryIO
    size: int


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
            if os.fstat(fh.fileno()).st_size - fh.tell() != size:
                raise ValueError("cut short")
            return SavedOutput(int(head["exit_code"]), tuple(map(str, head["stderr"])), fh, size)
        except (OSError, ValueError, TypeError, KeyError):
            fh.close()
            return None  # corrupt or foreign: a miss

    def put(
        self, exit_code: int, stderr: Sequence[str], stdout: Sequence[bytes | memoryview]
    ) -> None:
        """Write atomically (`stdout`: its pieces, in order); failures to write are ignored
        (the next run is a miss)."""
        head = {
            "key": self.key,
            "exit_code": exit_code,
            "stderr": list(stderr),
            "size": sum(len(p) for p in stdout),
        }
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
