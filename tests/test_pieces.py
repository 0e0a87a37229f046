"""pieces.write_pieces: many buffers written in order, whatever the kernel takes per call."""

from __future__ import annotations

import os
import threading

import pytest

from pgwarden import pieces
from pgwarden.pieces import write_pieces


def test_writes_every_piece_in_order_to_a_file(tmp_path: object) -> None:
    data = [b"x%d," % i for i in range(5000)] + [memoryview(b"tail")]  # over IOV_MAX pieces
    path = os.path.join(str(tmp_path), "out")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        write_pieces(fd, data)
    finally:
        os.close(fd)
    with open(path, "rb") as fh:
        assert fh.read() == b"".join(bytes(p) for p in data)


def test_short_writes_to_a_pipe_are_finished(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pipe takes at most its buffer per call: the rest of the batch follows."""
    real = os.writev
    calls = {"n": 0}

    def short(fd: int, bufs: list[bytes]) -> int:  # the kernel taking a few bytes only
        calls["n"] += 1
        first = bytes(bufs[0])
        return real(fd, [first[: max(1, len(first) // 2)]])

    monkeypatch.setattr(pieces.os, "writev", short)
    data = [b"alpha", b"", b"beta" * 50_000, memoryview(b"gamma")]
    r, w = os.pipe()
    got = bytearray()

    def drain() -> None:
        while chunk := os.read(r, 65536):
            got.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        write_pieces(w, data)
    finally:
        os.close(w)
        reader.join()
        os.close(r)
    assert calls["n"] >= 1
    assert bytes(got) == b"".join(bytes(p) for p in data)
