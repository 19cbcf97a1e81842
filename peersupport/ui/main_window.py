"""The main window: the lock screen while locked, the workspace while unlocked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QStackedWidget, QToolBar, QWidget

from peersupport.crypto.request_seal import FILE_EXTENSION as REQUEST_EXTENSION
from peersupport.ui.icons import app_icon
from peersupport.ui.lock_screen import LockScreen

if TYPE_CHECKING:
    from peersupport.services.checkins import CheckinService
    from peersupport.ui.workspace import Workspace


class MainWindow(QMainWindow):
    lock_requested = Signal()
    new_checkin_requested = Signal()
    find_requested = Signal()
    preferences_requested = Signal()
    about_requested = Signal()
    quit_requested = Signal()
    import_requests_requested = Signal()  # File > Import request files…
    request_files_dropped = Signal(list)  # paths of .psreq files dropped on the window
    change_passphrase_requested = Signal()  # File > Change passphrase…
    new_recovery_key_requested = Signal()  # File > New recovery key…
    backup_requested = Signal()  # File > Back up now… (unlocked)
    restore_requested = Signal()  # File > Restore… (locked or unlocked)
    inspect_backup_requested = Signal()  # File > Open a backup to inspect…

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Peer Support"))
        self.setWindowIcon(app_icon())
        self.resize(960, 640)
        self.setMinimumSize(640, 480)
        self.stack = QStackedWidget(self)
        self.lock_screen = LockScreen(self.stack)
        self.stack.addWidget(self.lock_screen)
        self.setCentralWidget(self.stack)
        self.workspace: Workspace | None = None

        self.lock_action = QAction(self.tr("&Lock"), self)
        self.lock_action.setShortcuts([QKeySequence("Ctrl+L"), QKeySequence("Ctrl+Shift+L")])
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.lock_action.setToolTip(self.tr("Lock now (Ctrl+L)"))
        self.lock_action.triggered.connect(self.lock_requested)
        self.preferences_action = QAction(self.tr("&Preferences…"), self)
        self.preferences_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.preferences_action.triggered.connect(self.preferences_requested)
        self.quit_action = QAction(self.tr("&Quit"), self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.quit_action.triggered.connect(self.quit_requested)
        self.new_checkin_action = QAction(self.tr("&New check-in…"), self)
        self.new_checkin_action.setShortcut(QKeySequence("Ctrl+N"))
        self.new_checkin_action.setToolTip(self.tr("Log a check-in (Ctrl+N)"))
        self.new_checkin_action.triggered.connect(self.new_checkin_requested)
        self.find_action = QAction(self.tr("&Search…"), self)
        self.find_action.setShortcut(QKeySequence("Ctrl+F"))
        self.find_action.triggered.connect(self.find_requested)
        self.import_requests_action = QAction(self.tr("&Import request files…"), self)
        self.import_requests_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_requests_action.setToolTip(self.tr(
            "Add follow-up requests officers made on another computer (Ctrl+I)"))
        self.import_requests_action.triggered.connect(self.import_requests_requested)
        self.change_passphrase_action = QAction(self.tr("Change &passphrase…"), self)
        self.change_passphrase_action.triggered.connect(self.change_passphrase_requested)
        self.new_recovery_key_action = QAction(self.tr("New &recovery key…"), self)
        self.new_recovery_key_action.triggered.connect(self.new_recovery_key_requested)
        self.backup_action = QAction(self.tr("&Back up now…"), self)
        self.backup_action.setShortcut(QKeySequence("Ctrl+Shift+B"))
        self.backup_action.setToolTip(self.tr(
            "Write an encrypted backup of the whole vault to a file (Ctrl+Shift+B)"))
        self.backup_action.triggered.connect(self.backup_requested)
        self.restore_action = QAction(self.tr("R&estore a backup…"), self)
        self.restore_action.setToolTip(self.tr(
            "Replace the vault with a backup (the current vault is kept as a copy)"))
        self.restore_action.triggered.connect(self.restore_requested)
        self.inspect_backup_action = QAction(self.tr("&Open a backup to inspect…"), self)
        self.inspect_backup_action.setToolTip(self.tr(
            "Put a backup in a new folder, leaving the vault as it is"))
        self.inspect_backup_action.triggered.connect(self.inspect_backup_requested)
        self.about_action = QAction(self.tr("&About Peer Support"), self)
        self.about_action.triggered.connect(self.about_requested)

        file_menu = self.menuBar().addMenu(self.tr("&File"))
        file_menu.addAction(self.new_checkin_action)
        file_menu.addAction(self.find_action)
        file_menu.addAction(self.import_requests_action)
        file_menu.addSeparator()
        file_menu.addAction(self.change_passphrase_action)
        file_menu.addAction(self.new_recovery_key_action)
        file_menu.addSeparator()
        file_menu.addAction(self.backup_action)
        file_menu.addAction(self.restore_action)
        file_menu.addAction(self.inspect_backup_action)
        file_menu.addSeparator()
        file_menu.addAction(self.lock_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = self.menuBar().addMenu(self.tr("&Edit"))
        edit_menu.addAction(self.preferences_action)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        help_menu.addAction(self.about_action)

        self.toolbar = QToolBar(self.tr("Main toolbar"), self)
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toolbar.addAction(self.new_checkin_action)
        self.toolbar.addAction(self.find_action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.lock_action)
        self.addToolBar(self.toolbar)

        self.state_label = QLabel(self)
        self.state_label.setAccessibleName(self.tr("Vault state"))
        self.statusBar().addPermanentWidget(self.state_label)
        self.setAcceptDrops(True)  # .psreq files, while unlocked only
        self.show_locked()

    def show_locked(self) -> None:
        """Destroy the workspace and everything it displayed; show the lock screen."""
        if self.workspace is not None:
            self.workspace.clear()
            self.stack.removeWidget(self.workspace)
            self.workspace.hide()
            self.workspace.setParent(None)
            self.workspace.deleteLater()
            self.workspace = None
        self.stack.setCurrentWidget(self.lock_screen)
        self.lock_screen.reset()
        for action in (self.lock_action, self.new_checkin_action, self.find_action,
                       self.import_requests_action, self.change_passphrase_action,
                       self.new_recovery_key_action, self.backup_action):
            action.setEnabled(False)
        self.toolbar.setVisible(False)
        self.state_label.setText(self.tr("Locked"))
        self.statusBar().clearMessage()
        self.lock_screen.focus_passphrase()

    def show_unlocked(self, idle_minutes: int, service: CheckinService | None = None) -> None:
        from peersupport.ui.workspace import Workspace

        self.workspace = Workspace(service, self.stack)
        self.stack.addWidget(self.workspace)
        self.stack.setCurrentWidget(self.workspace)
        self.lock_screen.reset()
        for action in (self.lock_action, self.new_checkin_action, self.find_action,
                       self.import_requests_action, self.change_passphrase_action,
                       self.new_recovery_key_action, self.backup_action):
            action.setEnabled(True)
        self.toolbar.setVisible(True)
        self.set_idle_minutes(idle_minutes)
        self.workspace.nav.setFocus()

    def set_idle_minutes(self, minutes: int) -> None:
        if self.workspace is not None:
            self.state_label.setText(
                self.tr("Unlocked · locks after {n} min idle").format(n=minutes)
            )
            self.state_label.setMinimumWidth(
                self.state_label.fontMetrics().horizontalAdvance(self.state_label.text()) + 8
            )

    # -- request files dropped on the window ---------------------------------------------------
    def _request_paths(self, event: QDragEnterEvent | QDropEvent) -> list[str]:
        """The local .psreq files being dragged, when the vault is unlocked (else none)."""
        if self.workspace is None:
            return []
        mime = event.mimeData()
        if mime is None or not mime.hasUrls():
            return []
        return [url.toLocalFile() for url in mime.urls()
                if url.isLocalFile() and url.toLocalFile().lower().endswith(REQUEST_EXTENSION)]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._request_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._request_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.request_files_dropped.emit(paths)

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        self.quit_requested.emit()
