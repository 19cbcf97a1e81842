"""The system tray icon: shows reminders (a count, never record data) and offers Show
window, Lock and Quit. Where the desktop has no tray nothing is created and the window's
follow-ups badge and status bar do the reminding.

Also the close guard: closing the main window can keep the app running in the tray.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from peersupport import APP_DISPLAY_NAME
from peersupport.ui.icons import app_icon

MESSAGE_MS = 15_000


def tray_available() -> bool:
    """Whether the desktop shows tray icons (tests replace this)."""
    return QSystemTrayIcon.isSystemTrayAvailable()


def _t(text: str) -> str:
    return QCoreApplication.translate("Tray", text)


class TrayPresenter(QObject):
    show_requested = Signal()
    lock_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None, available: bool | None = None) -> None:
        super().__init__(parent)
        self.icon: QSystemTrayIcon | None = None
        self.menu: QMenu | None = None
        if tray_available() if available is None else available:
            self._build()

    def _build(self) -> None:
        icon = QSystemTrayIcon(app_icon(), self)
        icon.setToolTip(APP_DISPLAY_NAME)
        menu = QMenu()  # a tray menu has no parent widget; deleted in close()
        menu.setAccessibleName(_t("Peer Support tray menu"))
        self.show_action = menu.addAction(_t("&Show window"))
        self.show_action.triggered.connect(self.show_requested)
        self.lock_action = menu.addAction(_t("&Lock"))
        self.lock_action.triggered.connect(self.lock_requested)
        self.lock_action.setEnabled(False)
        menu.addSeparator()
        self.quit_action = menu.addAction(_t("&Quit"))
        self.quit_action.triggered.connect(self.quit_requested)
        icon.setContextMenu(menu)
        icon.activated.connect(self._on_activated)
        icon.messageClicked.connect(self.show_requested)
        icon.show()
        self.icon, self.menu = icon, menu

    @property
    def available(self) -> bool:
        return self.icon is not None

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()

    def show_message(self, text: str) -> None:
        if self.icon is not None:
            self.icon.showMessage(APP_DISPLAY_NAME, text,
                                  QSystemTrayIcon.MessageIcon.Information, MESSAGE_MS)

    def set_counts(self, due_now: int, badge: int) -> None:
        """The tooltip says how many follow-ups are due (a count only)."""
        if self.icon is None:
            return
        if due_now:
            tip = _t("{app}: {n} follow-ups due").format(app=APP_DISPLAY_NAME, n=due_now)
            if due_now == 1:
                tip = _t("{app}: 1 follow-up due").format(app=APP_DISPLAY_NAME)
        else:
            tip = APP_DISPLAY_NAME
        self.icon.setToolTip(tip)

    def set_locked(self, locked: bool) -> None:
        if self.icon is not None:
            self.lock_action.setEnabled(not locked)

    def close(self) -> None:
        icon, menu, self.icon, self.menu = self.icon, self.menu, None, None
        if icon is not None:
            icon.hide()
            icon.setContextMenu(None)  # type: ignore[arg-type]
            icon.deleteLater()
        if menu is not None:
            menu.deleteLater()


class CloseGuard(QObject):
    """Watches a window's close requests; when ``intercept()`` says so, the close is
    refused and ``close_requested`` emitted instead (the app decides: tray, ask or quit)."""

    close_requested = Signal()

    def __init__(self, intercept: Callable[[], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._intercept = intercept

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and self._intercept():
            event.ignore()
            self.close_requested.emit()
            return True
        return False
