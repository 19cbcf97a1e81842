"""The window side of backups (services.backup): File > Back up now…, Restore…, Open a backup
to inspect…, and automatic backups while the vault is unlocked.

Slow work (the snapshot, encryption, key derivation) runs on the worker thread; progress
crosses to the UI thread through a Qt signal (a queued connection). A backup is written
atomically, so a cancelled or failed one leaves nothing behind. A restore verifies the whole
file before it writes anything.
"""

from __future__ import annotations

import errno
import logging
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from peersupport import hygiene
from peersupport.ui import style
from peersupport.ui.file_dialogs import forget_file_dialog_history, save_file_name
from peersupport.ui.tasks import run_task

if TYPE_CHECKING:
    from peersupport.ui.app import AppController

log = logging.getLogger(__name__)

SUFFIX = ".psbak"
AUTO_STAMP = "%Y-%m-%d-%H%M%S"


def _t(text: str) -> str:
    return QCoreApplication.translate("Backups", text)


class BackupCancelledError(Exception):
    """The user cancelled a backup while it was being written (nothing was written)."""


def backup_error_message(exc: BaseException) -> str:
    """Plain words for a backup that failed; never record data."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return _t("There is not enough free space on the disk for the backup. Nothing was "
                      "written: free some space or choose another place.")
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return _t("Peer Support may not write in that folder. Nothing was written: choose "
                      "another place.")
        return _t("The backup could not be written: {reason}. Nothing was written.").format(
            reason=exc.strerror or _t("input/output error"))
    return _t("The backup could not be written ({kind}). Nothing was written.").format(
        kind=type(exc).__name__)


def restore_error_message(exc: BaseException, recovery: bool) -> str:
    """Plain words for a backup that could not be opened or restored; never record data."""
    from peersupport.crypto.errors import (
        MalformedRecoveryKeyError,
        TamperError,
        WeakParametersError,
        WrongSecretError,
    )
    from peersupport.services.backup import AppRunningError, BackupError, TargetNotEmptyError

    if isinstance(exc, WrongSecretError):
        return (_t("That recovery key does not open this backup. Nothing was changed.")
                if recovery else
                _t("That passphrase does not open this backup. It opens with the passphrase "
                   "that was valid when it was made. Nothing was changed."))
    if isinstance(exc, MalformedRecoveryKeyError):
        return _t("That is not a recovery key: {reason}. Nothing was changed.").format(
            reason=str(exc))
    if isinstance(exc, WeakParametersError):
        return _t("This backup's key settings were weakened, which Peer Support refuses: the "
                  "file may have been tampered with. Nothing was changed.")
    if isinstance(exc, TamperError):
        return _t("This file is damaged, incomplete or was altered: it failed its integrity "
                  "check. Nothing was changed.")
    if isinstance(exc, AppRunningError):
        return _t("Another Peer Support window is open for this data folder. Quit it first. "
                  "Nothing was changed.")
    if isinstance(exc, TargetNotEmptyError):
        return _t("That folder is not empty. Choose a new or empty folder. Nothing was "
                  "written.")
    if isinstance(exc, BackupError):
        return _t("The backup could not be restored: {reason}. Nothing was changed.").format(
            reason=str(exc))
    if isinstance(exc, OSError):
        return _t("The backup could not be read or written: {reason}. Nothing was "
                  "changed.").format(reason=exc.strerror or _t("input/output error"))
    return _t("The backup could not be restored ({kind}). Nothing was changed.").format(
        kind=type(exc).__name__)


def newest_automatic(folder: Path) -> datetime | None:
    """The time (UTC) of the newest automatic backup in ``folder``, by file name."""
    from peersupport.services.backup import AUTO_PATTERN

    newest: datetime | None = None
    try:
        names = [p.name for p in folder.iterdir()]
    except OSError:
        return None
    for name in names:
        found = AUTO_PATTERN.match(name)
        if found is None:
            continue
        try:
            when = datetime.strptime(found.group(1), AUTO_STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue
        if newest is None or when > newest:
            newest = when
    return newest


class _Progress(QObject):
    """Carries a percentage from the worker thread to the UI thread (queued)."""

    percent = Signal(int)


# -- dialogs ----------------------------------------------------------------------------------
class BackupProgressDialog(QDialog):
    """Percent written, and Cancel. Closing it while the backup is written cancels it: the
    dialog stays until the worker has stopped and removed what it had written."""

    def __init__(self, target: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backupProgressDialog")
        self.setWindowTitle(self.tr("Backing up"))
        self.setModal(True)
        self.cancel_event = threading.Event()
        self.running = True
        self.label = QLabel(self.tr("Writing an encrypted backup to\n{path}").format(
            path=str(target)), self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 100)
        self.bar.setValue(0)
        self.bar.setFormat("%p%")
        self.bar.setAccessibleName(self.tr("Backup progress"))
        self.cancel_button = QPushButton(self.tr("&Cancel"), self)
        self.cancel_button.setAccessibleName(self.tr("Cancel the backup"))
        self.cancel_button.clicked.connect(self.reject)
        buttons = QDialogButtonBox(self)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
        self.highest = 0

    @Slot(int)
    def set_percent(self, percent: int) -> None:
        self.highest = max(self.highest, percent)
        self.bar.setValue(percent)

    def reject(self) -> None:
        if not self.running:
            super().reject()
            return
        self.cancel_event.set()
        self.label.setText(self.tr("Cancelling… nothing will be kept."))
        self.cancel_button.setEnabled(False)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)

    def finish(self) -> None:
        self.running = False
        self.accept()


class RestoreDialog(QDialog):
    """Ask for the backup's passphrase (or its recovery key), check the whole backup, then
    (for a restore in place) ask to confirm before replacing the vault."""

    submitted = Signal(str, bool)  # the secret, whether it is the recovery key
    confirmed = Signal()

    def __init__(self, source: Path, inspect: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("restoreDialog")
        self.setWindowTitle(self.tr("Open a backup to inspect") if inspect
                            else self.tr("Restore a backup"))
        self.inspect = inspect
        self._confirming = False
        intro = QLabel(self.tr(
            "The backup is checked completely before anything is written.") if inspect else
            self.tr("The backup is checked completely before anything is written. Then you "
                    "are asked to confirm replacing the current vault."), self)
        intro.setWordWrap(True)
        self.file_label = QLabel(str(source), self)
        self.file_label.setTextFormat(Qt.TextFormat.PlainText)
        self.file_label.setWordWrap(True)
        self.file_label.setAccessibleName(self.tr("Backup file"))
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName(self.tr("Passphrase of the backup"))
        self.secret.setMinimumWidth(320)
        self.secret_label = QLabel(self.tr("&Passphrase of the backup:"), self)
        self.secret_label.setBuddy(self.secret)
        self.use_recovery = QCheckBox(self.tr("Use the &recovery key instead"), self)
        self.use_recovery.setAccessibleName(self.tr("Use the recovery key instead"))
        self.use_recovery.toggled.connect(self._toggle_recovery)
        self.status = style.error_label(self)
        self.status.setAccessibleName(self.tr("Restore problem"))
        self.status.setVisible(False)
        self.question = QLabel(self)
        self.question.setWordWrap(True)
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.question.setAccessibleName(self.tr("Confirm the restore"))
        self.question.setVisible(False)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setAccessibleName(self.tr("Checking the backup"))
        self.busy.setTextVisible(False)
        self.busy.setVisible(False)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = self.buttons.addButton(
            self.tr("&Open backup") if inspect else self.tr("&Check backup"),
            QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setDefault(True)
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        self.secret.textChanged.connect(
            lambda text: self.ok_button.setEnabled(bool(text.strip()) or self._confirming))

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(8)
        form.addRow(style.muted(self.tr("Backup file:"), self), self.file_label)
        form.addRow(self.secret_label, self.secret)
        form.addRow("", self.use_recovery)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.question)
        layout.addWidget(self.busy)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    def is_recovery(self) -> bool:
        return self.use_recovery.isChecked()

    def _toggle_recovery(self, on: bool) -> None:
        self.secret.clear()
        self.secret.setEchoMode(QLineEdit.EchoMode.Normal if on
                                else QLineEdit.EchoMode.Password)
        self.secret_label.setText(self.tr("&Recovery key:") if on
                                  else self.tr("&Passphrase of the backup:"))
        self.secret.setAccessibleName(self.tr("Recovery key") if on
                                      else self.tr("Passphrase of the backup"))
        self.secret.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX" if on else "")
        self.secret.setFocus()

    def _ok(self) -> None:
        if self._confirming:
            self.set_busy(True, self.tr("Restoring…"))
            self.confirmed.emit()
            return
        text = self.secret.text().strip()
        if text:
            self.set_busy(True)
            self.submitted.emit(text, self.is_recovery())

    def set_busy(self, busy: bool, text: str = "") -> None:
        self.busy.setVisible(busy)
        self.busy.setFormat(text)
        self.ok_button.setEnabled(not busy)
        self.secret.setEnabled(not busy and not self._confirming)
        self.use_recovery.setEnabled(not busy and not self._confirming)
        if busy:
            self.status.setVisible(False)

    def failed(self, message: str) -> None:
        self._confirming = False
        self.question.setVisible(False)
        self.set_busy(False)
        self.status.setText(message)
        self.status.setVisible(True)
        self.ok_button.setText(self.tr("&Open backup") if self.inspect
                               else self.tr("&Check backup"))
        self.secret.selectAll()
        self.secret.setFocus()
        self.adjustSize()

    def finish_ok(self) -> None:
        self.set_busy(False)
        self.accept()

    def ask_to_confirm(self, question: str) -> None:
        """The backup checked out: show the question and turn OK into Replace."""
        self._confirming = True
        self.secret.clear()  # not needed any more; not kept
        self.set_busy(False)
        self.question.setText(question)
        self.question.setVisible(True)
        self.ok_button.setText(self.tr("&Replace the vault"))
        self.ok_button.setEnabled(True)
        self.ok_button.setFocus()
        self.adjustSize()


# -- the controller ---------------------------------------------------------------------------
class BackupController(QObject):
    """Owns the backup actions of the main window and the automatic-backup timer."""

    backup_finished = Signal(bool)  # Back up now: written or not
    auto_backup_finished = Signal(bool)
    restore_finished = Signal(bool)  # restored (or opened into a folder), or not

    CHECK_MS = 10 * 60 * 1000  # how often to look whether an automatic backup is due

    def __init__(self, app: AppController) -> None:
        super().__init__(app)
        self._app = app
        self.timer = QTimer(self)
        self.timer.setInterval(self.CHECK_MS)
        self.timer.timeout.connect(self.run_if_due)
        self._auto_running = False
        self._auto_warned = False
        self.progress_dialog: BackupProgressDialog | None = None
        self.restore_dialog: RestoreDialog | None = None
        self.message_box: QMessageBox | None = None
        app.unlocked.connect(self._on_unlocked)
        app.locked.connect(self.timer.stop)

    # -- helpers ------------------------------------------------------------------------
    def _window(self) -> QWidget | None:
        return self._app.window

    def _status(self, text: str, msecs: int = 15_000) -> None:
        window = self._app.window
        if window is not None:
            window.statusBar().showMessage(text, msecs)

    def _tell(self, icon: QMessageBox.Icon, title: str, text: str, more: str = "") -> None:
        box = QMessageBox(self._window())
        box.setObjectName("backupMessageBox")
        box.setIcon(icon)
        box.setWindowTitle(title)
        box.setText(text)
        box.setTextFormat(Qt.TextFormat.PlainText)
        if more:
            box.setInformativeText(more)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(lambda *_: setattr(self, "message_box", None))
        self.message_box = box
        box.open()

    def _start_folder(self) -> Path:
        chosen = self._app.settings.auto_backup_folder
        if chosen and Path(chosen).is_dir():
            return Path(chosen)
        return Path.home()

    def _profile(self) -> Any:
        return self._app.service().profile

    # -- Back up now ----------------------------------------------------------------------
    def back_up_now(self) -> BackupProgressDialog | None:
        """Ask where, then write the backup on the worker thread with a progress dialog."""
        vault = self._app.vault
        if vault is None or self._app.window is None or self.progress_dialog is not None:
            return None
        suggested = self._start_folder() / f"peersupport-{date.today().isoformat()}{SUFFIX}"
        chosen = save_file_name(self._app.window, self.tr("Back up the vault"), str(suggested),
                                self.tr("Peer Support backups (*.psbak)"))
        if not chosen or self._app.vault is not vault:
            return None
        target = Path(chosen)
        if target.suffix.lower() != SUFFIX:
            target = target.with_name(target.name + SUFFIX)
        dialog = BackupProgressDialog(target, self._app.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        alive = [True]
        dialog.destroyed.connect(lambda *_: alive.clear())
        self.progress_dialog = dialog
        relay = _Progress(self)
        relay.percent.connect(dialog.set_percent)
        cancel = dialog.cancel_event

        def work() -> Any:
            from peersupport.services.backup import write_backup

            last = [-1]

            def progress(done: int, total: int) -> None:
                if cancel.is_set():
                    raise BackupCancelledError
                percent = done * 100 // total if total else 100
                if percent != last[0]:
                    last[0] = percent
                    relay.percent.emit(percent)

            return write_backup(vault, target, progress)

        def finished() -> None:
            self.progress_dialog = None
            relay.deleteLater()
            if alive:
                dialog.finish()

        def done(info: Any) -> None:
            finished()
            self._status(self.tr("Backup written."))
            self._tell(QMessageBox.Icon.Information, self.tr("Backup written"),
                       self.tr("Backup written to {path}").format(path=str(info.path)),
                       self.tr("It opens with your current passphrase, or with your recovery "
                               "key. Keep it somewhere safe, away from this computer."))
            self.backup_finished.emit(True)

        def failed(exc: BaseException) -> None:
            finished()
            if isinstance(exc, BackupCancelledError):
                self._status(self.tr("Backup cancelled. Nothing was written."))
            else:
                log.warning("backup failed: %s", hygiene.describe_exception(exc))
                self._tell(QMessageBox.Icon.Warning, self.tr("Backup not written"),
                           backup_error_message(exc))
            self.backup_finished.emit(False)

        dialog.open()
        run_task(work, done, failed)
        return dialog

    # -- automatic backups ----------------------------------------------------------------
    def _on_unlocked(self) -> None:
        self._auto_warned = False
        self.timer.start()
        self.run_if_due()

    def is_due(self, now: datetime | None = None) -> bool:
        settings = self._app.settings
        if not settings.auto_backup_folder:
            return False
        newest = newest_automatic(Path(settings.auto_backup_folder))
        if newest is None:
            return True
        now = now or datetime.now(UTC)
        return now - newest >= timedelta(hours=settings.auto_backup_hours)

    def run_if_due(self) -> bool:
        """Start an automatic backup on the worker thread when one is due; whether it did."""
        vault = self._app.vault
        if vault is None or self._auto_running or not self.is_due():
            return False
        settings = self._app.settings
        folder, keep = Path(settings.auto_backup_folder), settings.auto_backup_keep
        self._auto_running = True

        def work() -> Path:
            from peersupport.services.backup import automatic_backup

            return automatic_backup(vault, folder, keep)

        def done(_path: Path) -> None:
            self._auto_running = False
            self._auto_warned = False
            if self._app.vault is vault:
                self._status(self.tr("Automatic backup written."))
            self.auto_backup_finished.emit(True)

        def failed(exc: BaseException) -> None:
            self._auto_running = False
            log.warning("automatic backup failed: %s", hygiene.describe_exception(exc))
            if not self._auto_warned and self._app.vault is vault:
                self._auto_warned = True  # once per unlock, not at every check
                self._tell(QMessageBox.Icon.Warning, self.tr("Automatic backup failed"),
                           backup_error_message(exc),
                           self.tr("Peer Support tries again later. Check the folder in "
                                   "Preferences > Backups."))
            self.auto_backup_finished.emit(False)

        run_task(work, done, failed)
        return True

    # -- restoring --------------------------------------------------------------------------
    def _choose_backup(self) -> Path | None:
        try:
            chosen, _ = QFileDialog.getOpenFileName(
                self._window(), self.tr("Choose a backup"), str(self._start_folder()),
                self.tr("Peer Support backups (*.psbak)"))
        finally:
            forget_file_dialog_history()
        return Path(chosen) if chosen else None

    def open_restore(self) -> RestoreDialog | None:
        """File > Restore…: choose a backup, lock if unlocked, then ask for its secret."""
        if self._app.window is None or self.restore_dialog is not None:
            return None
        source = self._choose_backup()
        if source is None:
            return None
        if self._app.vault is not None:
            self._app.lock()
        dialog = self._restore_dialog(source, inspect=False)
        state: dict[str, str] = {}

        def verify(secret: str, recovery: bool) -> None:
            from peersupport.services.backup import verify_backup

            profile = self._profile()

            def work() -> str:
                header, _database = verify_backup(
                    source.read_bytes(), passphrase=None if recovery else secret,
                    recovery_text=secret if recovery else None, profile=profile)
                return header.vault_id

            def checked(vault_id: str) -> None:
                if self.restore_dialog is not dialog:
                    return
                state.update(secret=secret, recovery="1" if recovery else "")
                dialog.ask_to_confirm(self.tr(
                    "Replace the current vault with this backup from {vault}? The current "
                    "vault is kept as an encrypted copy in the backups folder.").format(
                        vault=vault_id[:8]))

            run_task(work, checked, lambda exc: self._restore_failed(dialog, exc, recovery))

        def replace() -> None:
            from peersupport.services.backup import restore_backup

            if self._app.vault is not None:  # unlocked meanwhile (another way in)
                self._app.lock()
            secret, recovery = state.pop("secret", ""), bool(state.pop("recovery", ""))
            data, profile = self._app.data, self._profile()
            instance = self._app.instance
            instance.release()  # our own lock file would refuse the restore

            def work() -> Any:
                return restore_backup(
                    source, data, passphrase=None if recovery else secret,
                    recovery_text=secret if recovery else None, profile=profile)

            def done(_info: Any) -> None:
                self._take_folder_back()
                if self.restore_dialog is dialog:
                    dialog.finish_ok()
                window = self._app.window
                if window is not None:
                    window.show_locked()
                    window.show()
                self._tell(QMessageBox.Icon.Information, self.tr("Backup restored"),
                           self.tr("The backup was restored."),
                           self.tr("Unlock it with the passphrase that was valid when the "
                                   "backup was made (or your recovery key)."))
                self.restore_finished.emit(True)

            def failed(exc: BaseException) -> None:
                self._take_folder_back()
                self._restore_failed(dialog, exc, recovery)

            run_task(work, done, failed)

        dialog.submitted.connect(verify)
        dialog.confirmed.connect(replace)
        dialog.open()
        return dialog

    def open_inspect(self) -> RestoreDialog | None:
        """File > Open a backup to inspect…: restore into a new or empty folder, leaving the
        vault as it is, and say how to open it."""
        if self._app.window is None or self.restore_dialog is not None:
            return None
        source = self._choose_backup()
        if source is None:
            return None
        try:
            folder = QFileDialog.getExistingDirectory(
                self._window(), self.tr("Choose a new or empty folder for the backup"),
                str(Path.home()))
        finally:
            forget_file_dialog_history()
        if not folder:
            return None
        target = Path(folder)
        from peersupport.paths import DataDir

        if target.resolve() == self._app.data.root.resolve():
            self._tell(QMessageBox.Icon.Warning, self.tr("Choose another folder"),
                       self.tr("That is the vault's own folder. Choose a new or empty folder; "
                               "to replace the vault, use File > Restore…"))
            return None
        dialog = self._restore_dialog(source, inspect=True)
        data, profile = self._app.data, self._profile()

        def opened(secret: str, recovery: bool) -> None:
            from peersupport.services.backup import restore_backup

            def work() -> Any:
                return restore_backup(
                    source, data, passphrase=None if recovery else secret,
                    recovery_text=secret if recovery else None, profile=profile,
                    target_dir=DataDir(target))

            def done(_info: Any) -> None:
                if self.restore_dialog is dialog:
                    dialog.finish_ok()
                self._tell(QMessageBox.Icon.Information, self.tr("Backup opened"),
                           self.tr("The backup was opened into {folder}. Your vault was not "
                                   "changed.").format(folder=str(target)),
                           self.tr("To look at it, start Peer Support with:\n"
                                   "peersupport --data-dir \"{folder}\"\nand unlock it with "
                                   "the backup's passphrase.").format(folder=str(target)))
                self.restore_finished.emit(True)

            run_task(work, done, lambda exc: self._restore_failed(dialog, exc, recovery))

        dialog.submitted.connect(opened)
        dialog.open()
        return dialog

    def _restore_dialog(self, source: Path, inspect: bool) -> RestoreDialog:
        dialog = RestoreDialog(source, inspect, self._window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: self._forget_restore_dialog(dialog))
        dialog.finished.connect(lambda *_: self._forget_restore_dialog(dialog))
        self.restore_dialog = dialog
        return dialog

    def _forget_restore_dialog(self, dialog: QDialog) -> None:
        if self.restore_dialog is dialog:
            self.restore_dialog = None

    def _restore_failed(self, dialog: RestoreDialog, exc: BaseException,
                        recovery: bool) -> None:
        from peersupport.crypto.errors import WrongSecretError

        if not isinstance(exc, WrongSecretError):
            log.warning("restore failed: %s", hygiene.describe_exception(exc))
        if self.restore_dialog is dialog:
            dialog.failed(restore_error_message(exc, recovery))
        self.restore_finished.emit(False)

    def _take_folder_back(self) -> None:
        if not self._app.instance.acquire():
            log.warning("could not take the data folder's lock back after a restore")
        else:
            self._app.instance.listen()
