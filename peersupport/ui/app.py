"""Application start-up and the controller that owns the vault's locked/unlocked state.

Start-up is kept lean: the lock screen is shown before the database and crypto layers are
imported; they load on the worker thread while the user types.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from peersupport import APP_DISPLAY_NAME, APP_NAME, __version__, hygiene, paths
from peersupport import settings as settings_mod
from peersupport.domain.throttle import UnlockThrottle
from peersupport.ui.icons import app_icon
from peersupport.ui.idle import IdleWatcher, SleepDetector
from peersupport.ui.main_window import MainWindow
from peersupport.ui.single_instance import SingleInstance
from peersupport.ui.tasks import run_task, wait_for_tasks

if TYPE_CHECKING:
    from peersupport.crypto.kdf import KdfProfile
    from peersupport.services.vault import UnlockedVault, VaultService

log = logging.getLogger(__name__)

DEFERRED_START_MS = 150


def create_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_DISPLAY_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("peersupport")
    app.setWindowIcon(app_icon())
    return app


def _preload() -> None:
    """Import the database and crypto layers on the worker thread."""
    import peersupport.services.vault  # noqa: F401


def _t(text: str) -> str:
    return QCoreApplication.translate("AppController", text)


def unlock_error_message(exc: BaseException) -> str:
    from peersupport.services.errors import (
        NoVaultError,
        TamperError,
        VaultCorruptError,
        WeakParametersError,
        WrongSecretError,
    )

    if isinstance(exc, WrongSecretError):
        return _t("That passphrase is not right. Check Caps Lock and try again.")
    if isinstance(exc, WeakParametersError):
        return _t(
            "This vault's key settings were weakened, which this app refuses. "
            "Its file may have been tampered with. Nothing was changed."
        )
    if isinstance(exc, VaultCorruptError):
        return _t(
            "The vault file cannot be read: it is damaged or is not a Peer Support vault. "
            "Nothing was changed."
        )
    if isinstance(exc, TamperError):
        return _t(
            "The vault failed its integrity check: it may have been edited outside the app. "
            "Nothing was changed."
        )
    if isinstance(exc, NoVaultError):
        return _t("There is no vault in this folder any more.")
    if isinstance(exc, OSError):
        return _t("The vault could not be opened: {reason}.").format(
            reason=exc.strerror or "input/output error")
    return _t("The vault could not be opened ({kind}).").format(
        kind=type(exc).__name__)


class AppController(QObject):
    """Owns the window, the vault session and every lock trigger."""

    unlocked = Signal()
    locked = Signal()
    unlock_failed = Signal(str)
    ready = Signal()  # deferred start-up work (D-Bus, raise requests) is in place

    def __init__(
        self, data_root: Path, profile: KdfProfile | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.data = paths.ensure(data_root)
        self.settings = settings_mod.load(self.data.settings)
        self._profile = profile
        self._service: VaultService | None = None
        self.vault: UnlockedVault | None = None
        self.throttle = UnlockThrottle()
        self.window: MainWindow | None = None
        self.wizard: QWidget | None = None
        self._recovery_dialog: QDialog | None = None
        self._notice_box: QMessageBox | None = None
        self.instance = SingleInstance(self.data.root, self.data.lock_file, self)
        self.idle = IdleWatcher(self.settings.idle_lock_minutes * 60_000, self)
        self.idle.idle.connect(self.lock)
        self.sleep = SleepDetector(self)
        self.sleep.resumed.connect(self._on_os_lock)
        self._session_watch: QObject | None = None

    # -- start ----------------------------------------------------------------------------
    def service(self) -> VaultService:
        if self._service is None:
            from peersupport.crypto.kdf import PRODUCTION
            from peersupport.services.vault import VaultService

            self._service = VaultService(self.data, self._profile or PRODUCTION)
        return self._service

    def start(self) -> bool:
        """Show the first screen. False if another instance already owns this folder."""
        if not self.instance.acquire():
            return False
        self.instance.raise_requested.connect(self.bring_to_front)
        if self.data.has_vault():
            self._show_lock_screen()
        else:
            self._show_first_run()
        # Work the first screen does not need waits until it has been painted.
        QTimer.singleShot(DEFERRED_START_MS, self._deferred_start)
        return True

    def _deferred_start(self) -> None:
        from peersupport.ui.session_watch import SessionWatcher

        self.instance.listen()
        if self._session_watch is None:
            watcher = SessionWatcher(self)
            watcher.lock_requested.connect(self._on_os_lock)
            self._session_watch = watcher
        if self.vault is None and self.data.has_vault():
            run_task(_preload, lambda _: None, lambda _exc: None)
        self.ready.emit()

    def _ensure_window(self) -> MainWindow:
        if self.window is None:
            window = MainWindow()
            window.lock_requested.connect(self.lock)
            window.quit_requested.connect(self.quit)
            window.preferences_requested.connect(self.open_preferences)
            window.about_requested.connect(self.open_about)
            window.lock_screen.unlock_requested.connect(self.unlock)
            window.lock_screen.recovery_requested.connect(self.open_recovery)
            window.new_checkin_requested.connect(lambda: self.open_checkin_form())
            window.find_requested.connect(self._focus_search)
            self.window = window
        return self.window

    def _show_lock_screen(self) -> None:
        window = self._ensure_window()
        window.show_locked()
        window.show()
        window.lock_screen.focus_passphrase()

    def _show_first_run(self) -> None:
        from peersupport.ui.first_run import FirstRunWizard

        wizard = FirstRunWizard(self.service())
        wizard.vault_created.connect(self._on_created)
        wizard.rejected.connect(self._on_wizard_cancelled)
        self.wizard = wizard
        wizard.show()

    def _on_wizard_cancelled(self) -> None:
        if self.vault is not None:
            return
        if self.data.has_vault():  # e.g. another process created one meanwhile
            self.wizard = None
            self._show_lock_screen()
        else:
            self.quit()

    def _on_created(self, vault: UnlockedVault) -> None:
        wizard, self.wizard = self.wizard, None
        if wizard is not None:
            wizard.hide()
            wizard.deleteLater()
        self._ensure_window().show()
        self._enter_unlocked(vault)

    def bring_to_front(self) -> None:
        target = self.wizard or self.window
        if target is not None:
            target.showNormal()
            target.raise_()
            target.activateWindow()

    # -- unlocking --------------------------------------------------------------------------
    def unlock(self, passphrase: str) -> None:
        window = self._ensure_window()
        window.lock_screen.set_busy(True)
        service = self.service()
        run_task(lambda: service.unlock(passphrase), self._on_unlocked, self._on_unlock_error)

    def _on_unlocked(self, vault: UnlockedVault) -> None:
        self.throttle.reset()
        self._enter_unlocked(vault)

    def _on_unlock_error(self, exc: BaseException) -> None:
        from peersupport.crypto.errors import WrongSecretError

        message = unlock_error_message(exc)
        delay = self.throttle.record_failure() if isinstance(exc, WrongSecretError) else 0
        if not isinstance(exc, WrongSecretError):
            log.warning("unlock failed: %s", hygiene.describe_exception(exc))
        if self.window is not None:
            self.window.lock_screen.failed(message, delay)
        self.unlock_failed.emit(message)

    def open_recovery(self) -> None:
        from peersupport.ui.recovery_dialog import RecoveryDialog

        dialog = RecoveryDialog(self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "_recovery_dialog", None))
        dialog.submitted.connect(self._recover)
        self._recovery_dialog = dialog
        dialog.open()

    def _recover(self, key_text: str, new_passphrase: str) -> None:
        dialog = self._recovery_dialog
        if dialog is not None:
            dialog.set_busy(True)  # type: ignore[attr-defined]
        service = self.service()

        def done(vault: UnlockedVault) -> None:
            if self._recovery_dialog is not None:
                self._recovery_dialog.accept()
                self._recovery_dialog = None
            self.throttle.reset()
            self._enter_unlocked(vault)

        def failed(exc: BaseException) -> None:
            from peersupport.crypto.errors import MalformedRecoveryKeyError, WrongSecretError

            if isinstance(exc, WrongSecretError):
                message = self.tr("That recovery key does not open this vault.")
            elif isinstance(exc, MalformedRecoveryKeyError):
                message = str(exc).capitalize() + "."
            else:
                message = unlock_error_message(exc)
            if self._recovery_dialog is not None:
                self._recovery_dialog.failed(message)  # type: ignore[attr-defined]

        run_task(lambda: service.unlock_with_recovery(key_text, new_passphrase), done, failed)

    def _enter_unlocked(self, vault: UnlockedVault) -> None:
        self.vault = vault
        window = self._ensure_window()
        window.show_unlocked(self.settings.idle_lock_minutes, vault.checkins())
        workspace = window.workspace
        if workspace is not None:
            workspace.new_checkin_requested.connect(lambda: self.open_checkin_form())
            workspace.edit_checkin_requested.connect(
                lambda checkin_id: self.open_checkin_form(checkin_id)
            )
        self.idle.set_timeout_ms(self.settings.idle_lock_minutes * 60_000)
        self.idle.start()
        app = QApplication.instance()
        if app is not None:  # watch input only while there is something to protect
            app.installEventFilter(self.idle)
        self.unlocked.emit()
        self._check_notice()
        self._restore_draft()

    # -- locking ----------------------------------------------------------------------------
    def is_unlocked(self) -> bool:
        return self.vault is not None

    def _on_os_lock(self) -> None:
        if self.settings.lock_on_screen_lock:
            self.lock()

    def lock(self) -> None:
        """Close dialogs, destroy every widget that showed record data, zero the key."""
        if self.vault is None:
            return
        self.idle.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.idle)
        self._keep_drafts(self.vault)
        self._close_dialogs()
        if self.window is not None:
            self.window.show_locked()
        vault, self.vault = self.vault, None
        try:
            vault.lock()
        except Exception as exc:
            log.warning("checkpoint on lock failed: %s", hygiene.describe_exception(exc))
        self._clear_clipboard()
        self.locked.emit()

    def _keep_drafts(self, vault: UnlockedVault) -> None:
        """Seal what was being typed in a check-in form, so unlocking can restore it."""
        from peersupport.ui.checkin_form import CheckinForm

        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, CheckinForm) and widget.isVisible():
                payload = widget.draft_payload()
                if payload is None:
                    continue
                try:
                    vault.checkins().save_draft(payload)
                except Exception as exc:
                    log.warning("could not keep a draft: %s", hygiene.describe_exception(exc))
                widget.discard()

    def _close_dialogs(self) -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible() and widget is not self.wizard:
                widget.reject()
                widget.close()
                widget.deleteLater()  # a closed dialog must not keep record text alive

    def _clear_clipboard(self) -> None:
        clipboard = QGuiApplication.clipboard()
        mime = clipboard.mimeData()
        if mime is not None and mime.hasFormat("application/x-peersupport"):
            clipboard.clear()

    # -- check-ins ----------------------------------------------------------------------------
    def open_checkin_form(
        self, checkin_id: str | None = None, draft: dict[str, Any] | None = None
    ) -> QDialog | None:
        from peersupport.ui.checkin_form import CheckinForm

        if self.vault is None or self.window is None:
            return None
        from peersupport.services.checkins import RecordNotFoundError

        service = self.vault.checkins()
        existing = None
        if checkin_id:
            try:
                existing = service.get(checkin_id)
            except RecordNotFoundError:
                if draft is None:  # deleted meanwhile; a draft still holds what was typed
                    return None
        form = CheckinForm(
            service, self.vault.notice(), self.settings.last_contact_type, self.window,
            existing=existing, draft=draft,
        )
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.saved.connect(self._on_checkin_saved)
        form.contact_type_used.connect(self._remember_contact_type)
        form.open()
        return form

    def _on_checkin_saved(self, checkin_id: str) -> None:
        window = self.window
        if window is not None and window.workspace is not None:
            window.workspace.refresh()
            window.statusBar().showMessage(self.tr("Check-in saved."), 5000)

    def _remember_contact_type(self, code: str) -> None:
        if code != self.settings.last_contact_type:
            self.settings = self.settings._replace(last_contact_type=code)
            settings_mod.save(self.data.settings, self.settings)

    def _restore_draft(self) -> None:
        if self.vault is None:
            return
        try:
            draft = self.vault.checkins().load_draft()
        except Exception as exc:
            log.warning("could not read a draft: %s", hygiene.describe_exception(exc))
            return
        if draft is not None:
            self.open_checkin_form(draft.get("checkin_id"), draft=draft)

    def _check_notice(self) -> None:
        """The notice is readable (and so editable) while locked; compare it with its sealed
        copy and tell the supporter if someone changed it outside the app."""
        if self.vault is None:
            return
        try:
            status = self.vault.check_notice()
        except Exception as exc:
            log.warning("notice check failed: %s", hygiene.describe_exception(exc))
            return
        if status not in ("changed", "unreadable"):
            return
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Confidentiality notice changed"))
        if status == "changed":
            box.setText(self.tr(
                "The confidentiality notice officers are shown was changed outside Peer "
                "Support since you last set it."))
            box.setInformativeText(self.tr(
                "Restore the notice you set, unless you know why it was changed."))
            restore = box.addButton(self.tr("&Restore my notice"),
                                    QMessageBox.ButtonRole.AcceptRole)
        else:
            box.setText(self.tr("The sealed copy of the confidentiality notice failed its "
                                "integrity check."))
            box.setInformativeText(self.tr("Check the notice text in the vault, then keep it."))
            restore = None
        keep = box.addButton(self.tr("&Keep the current text"), QMessageBox.ButtonRole.RejectRole)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setObjectName("noticeChangedBox")

        def answered(button: Any) -> None:
            vault = self.vault
            if vault is None:
                return
            if restore is not None and button is restore:
                vault.restore_notice()
            elif button is keep:
                vault.set_notice(vault.notice())

        box.buttonClicked.connect(answered)
        box.open()
        self._notice_box = box

    def _focus_search(self) -> None:
        if self.window is not None and self.window.workspace is not None:
            self.window.workspace.focus_search()

    # -- dialogs ----------------------------------------------------------------------------
    def open_preferences(self) -> None:
        from peersupport.ui.dialogs import PreferencesDialog

        dialog = PreferencesDialog(self.settings, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def accepted() -> None:
            self.settings = dialog.result_settings()
            settings_mod.save(self.data.settings, self.settings)
            self.idle.set_timeout_ms(self.settings.idle_lock_minutes * 60_000)
            if self.window is not None:
                self.window.set_idle_minutes(self.settings.idle_lock_minutes)

        dialog.accepted.connect(accepted)
        dialog.open()

    def open_about(self) -> None:
        from peersupport.ui.dialogs import AboutDialog

        dialog = AboutDialog(self.data.root, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # -- shutdown ---------------------------------------------------------------------------
    def quit(self) -> None:
        self.lock()
        wait_for_tasks()
        self.instance.release()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def shutdown(self) -> None:
        """Release everything without quitting the event loop (tests, error paths)."""
        self.lock()
        wait_for_tasks()
        self.instance.release()
        for widget in (self.wizard, self.window):
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.window = None
        self.wizard = None


def report_unhandled(exc: BaseException, log_dir: Path) -> QMessageBox:
    """Log the error's type and location (never its message) and show a calm dialog."""
    from peersupport.ui.dialogs import unexpected_error_box

    log.error("unhandled error: %s", hygiene.describe_exception(exc))
    box = unexpected_error_box(type(exc).__name__, log_dir / "peersupport.log", None)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def _install_excepthook(log_dir: Path) -> None:
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        exc.__traceback__ = tb
        try:
            report_unhandled(exc, log_dir)
        except Exception:  # noqa: S110 - nothing more can be done safely
            pass

    sys.excepthook = hook


def _already_running(controller: AppController) -> int:
    if controller.instance.ask_first_to_raise():
        sys.stderr.write("peersupport: already running for this data folder; "
                         "its window was brought to the front\n")
        return 0
    QMessageBox.information(
        None, APP_DISPLAY_NAME,
        _t("Peer Support is already running for this data folder."),
    )
    return 1


def run_gui(data_root: Path, argv: list[str] | None = None, **kwargs: Any) -> int:
    hygiene.disable_core_dumps()
    paths.private_umask()
    app = create_application(argv)
    controller = AppController(data_root, **kwargs)
    _install_excepthook(controller.data.logs)
    if not controller.start():
        return _already_running(controller)
    QTimer.singleShot(0, lambda: hygiene.configure_logging(controller.data.logs))
    app.aboutToQuit.connect(controller.shutdown)
    return int(app.exec())
