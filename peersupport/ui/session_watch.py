"""Lock when the operating system locks the screen or prepares to sleep (Linux, D-Bus).

Listens, where available, to logind's PrepareForSleep on the system bus and to the
freedesktop and GNOME ScreenSaver ActiveChanged signals on the session bus. On other
platforms, and where no bus is reachable, nothing is connected; the sleep detector in
:mod:`peersupport.ui.idle` still locks after a resume, and idle lock still applies.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import SLOT, QObject, Signal, Slot

log = logging.getLogger(__name__)

# PySide6 takes the slot signature as a string here; its stubs say bytes.
_ON_ACTIVE: Any = SLOT("_on_active(bool)")

_SESSION_SIGNALS = (
    ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"),
    ("org.gnome.ScreenSaver", "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver"),
)


class SessionWatcher(QObject):
    lock_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.connected: list[str] = []
        try:
            from PySide6.QtDBus import QDBusConnection
        except ImportError:
            return
        system = QDBusConnection.systemBus()
        if system.isConnected() and system.connect(
            "org.freedesktop.login1", "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager", "PrepareForSleep",
            self, _ON_ACTIVE,
        ):
            self.connected.append("logind PrepareForSleep")
        session = QDBusConnection.sessionBus()
        if session.isConnected():
            for _service, path, interface in _SESSION_SIGNALS:
                # Any sender: the screen saver may not own the well-known name, and a
                # spurious signal can only make us lock, which is the safe direction.
                if session.connect(
                    "", path, interface, "ActiveChanged", self, _ON_ACTIVE
                ):
                    self.connected.append(f"{interface} ActiveChanged")
        log.info("screen-lock and sleep signals connected: %d", len(self.connected))

    @Slot(bool)
    def _on_active(self, active: bool) -> None:
        if active:
            self.lock_requested.emit()
