"""Lock triggers: idle time (an app-wide event filter), and the machine having slept.

The sleep check works everywhere: a timer ticks every few seconds, and if far more time has
passed than the timer can explain (on Linux: CLOCK_BOOTTIME ran while CLOCK_MONOTONIC stood
still), the machine was suspended and the vault is locked.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

_activity: frozenset[QEvent.Type] | None = None


def _activity_types() -> frozenset[QEvent.Type]:
    # Built on first use: touching QEvent.Type at import costs start-up time.
    global _activity
    if _activity is None:
        t = QEvent.Type
        _activity = frozenset({
            t.KeyPress, t.MouseButtonPress, t.MouseMove, t.Wheel, t.TouchBegin,
            t.TabletPress, t.Shortcut,
        })
    return _activity


class IdleWatcher(QObject):
    """Emits ``idle`` after ``timeout_ms`` without keyboard or mouse input to the app."""

    idle = Signal()

    def __init__(self, timeout_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        self._timer.setInterval(timeout_ms)

    def set_timeout_ms(self, timeout_ms: int) -> None:
        self._timer.setInterval(timeout_ms)
        if self._timer.isActive():
            self._timer.start()

    def timeout_ms(self) -> int:
        return self._timer.interval()

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._timer.isActive() and event.type() in _activity_types():
            self._timer.start()
        return False


def _suspend_clock() -> float:
    """Seconds elapsed including suspend, minus seconds elapsed excluding it."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        return time.clock_gettime(boottime) - time.monotonic()
    return time.time() - time.monotonic()


class SleepDetector(QObject):
    """Emits ``resumed`` when the machine appears to have been suspended."""

    resumed = Signal()
    TICK_MS = 5_000
    THRESHOLD_S = 30.0

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._last = _suspend_clock()
        self._timer = QTimer(self)
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        now = _suspend_clock()
        jumped = now - self._last
        self._last = now
        if jumped > self.THRESHOLD_S:
            self.resumed.emit()
