"""Run slow work (key derivation, database work) off the UI thread.

One small helper: ``run_task(fn, on_done, on_error)``. Callbacks run on the UI thread.
Tasks are serialized on a single worker thread, so database writes never race each other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # handed to the UI thread, never printed here
            self._relay.failed.emit(exc)
        else:
            self._relay.done.emit(result)


_pool: QThreadPool | None = None
_live: set[_Relay] = set()


def pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(1)
    return _pool


def run_task(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
) -> None:
    relay = _Relay()
    _live.add(relay)

    def finish_ok(result: Any) -> None:
        _live.discard(relay)
        on_done(result)

    def finish_err(exc: Any) -> None:
        _live.discard(relay)
        on_error(exc)

    relay.done.connect(finish_ok)
    relay.failed.connect(finish_err)
    pool().start(_Task(fn, relay))


def wait_for_tasks(msecs: int = 30_000) -> bool:
    """Block until queued work finishes (used at shutdown)."""
    return pool().waitForDone(msecs)
