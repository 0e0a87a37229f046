"""Clean abort: SIGINT/SIGTERM set a flag the runner checks, and wake whoever cancels the backend.

The handler itself never touches a connection: it may interrupt the main thread in the middle
of a psycopg call on that very connection. A second signal exits at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from pgwarden.runner.errors import RunAborted


class Abort:
    """A thread-safe abort request with listeners (the watchdog cancels our backend)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        self.signum = 0

    def request(self, signum: int = signal.SIGTERM) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self.signum = signum
            self._event.set()
            listeners = list(self._listeners)
        for fn in listeners:
            fn()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def listen(self, fn: Callable[[], None]) -> Callable[[], None]:
        """Call `fn` (from the requesting thread) on abort; returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._listeners:
                    self._listeners.remove(fn)

        return unsubscribe

    def sleep(self, seconds: float) -> bool:
        """Sleep unless aborted; True when the sleep was cut short by an abort."""
        return self._event.wait(max(seconds, 0.0))

    def check(self, what: str = "run") -> None:
        if self._event.is_set():
            name = signal.Signals(self.signum).name
            raise RunAborted(self.signum, f"{what} aborted by {name}")


@contextmanager
def handle_signals(abort: Abort) -> Iterator[Abort]:
    """Route SIGINT/SIGTERM to `abort` while the block runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield abort
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if abort.requested:  # second signal: the user means it
            raise SystemExit(128 + signum)
        # Notify from a helper thread: listeners take locks the interrupted code may hold.
        threading.Thread(target=abort.request, args=(signum,), daemon=True).start()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield abort
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
