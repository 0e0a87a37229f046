"""Write many buffers to a file descriptor without joining them first.

A corpus run's JSON output and result pack are ~15 MB each, in ~5,000 pieces. Joining them
means a fresh 15 MB buffer (its pages faulted in and zeroed) and a copy, once per file
written; `os.writev` hands the kernel the pieces as they are.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

Buffer = bytes | bytearray | memoryview
_BATCH = 1024  # IOV_MAX on Linux and the BSDs


def write_pieces(fd: int, pieces: Sequence[Buffer]) -> None:
    """Write every piece, in order; raises OSError like os.write."""
    if not hasattr(os, "writev"):  # Windows
        for piece in pieces:
            _write_all(fd, piece)
        return
    for start in range(0, len(pieces), _BATCH):
        batch = pieces[start : start + _BATCH]
        want = sum(len(p) for p in batch)
        done = os.writev(fd, batch)
        if done == want:
            continue
        # A short write (a pipe, a signal): finish this batch piece by piece.
        for piece in batch:
            size = len(piece)
            if done >= size:
                done -= size
                continue
            _write_all(fd, memoryview(piece)[done:])
            done = 0


def _write_all(fd: int, data: Buffer) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
