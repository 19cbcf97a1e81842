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
from peersupport.domain.clock import Clock, system_clock
from peersupport.domain.throttle import UnlockThrottle
from peersupport.ui.icons import app_icon
from peersupport.ui.idle import IdleWatcher, SleepDetector
from peersupport.ui.main_window import MainWindow
from peersupport.ui.reminders import ReminderService
from peersupport.ui.single_instance import SingleInstance
from peersupport.ui.storage_messages import storage_error_message
from peersupport.ui.tasks import run_task, wait_for_tasks
from peersupport.ui.tray import CloseGuard, TrayPresenter

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from peersupport.crypto.kdf import KdfProfile
    from peersupport.domain.checkin import CheckIn
    from peersupport.services.followups import FollowupPolicy
    from peersupport.services.requests import RequestDrop
    from peersupport.services.vault import UnlockedVault, VaultService
    from peersupport.ui.backups import BackupController
    from peersupport.ui.supervisor.window import SupervisorWindow

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
    storage = storage_error_message(exc)
    if storage is not None:
        return storage
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
        parent: QObject | None = None, *, clock: Clock | None = None,
    ) -> None:
        super().__init__(parent)
        self.data = paths.ensure(data_root)
        self.settings = settings_mod.load(self.data.settings)
        self.clock: Clock = clock or system_clock  # follow-up plans and reminders share it
        self._profile = profile
        self._service: VaultService | None = None
        self.vault: UnlockedVault | None = None
        self.throttle = UnlockThrottle()
        self.window: MainWindow | None = None
        self.wizard: QWidget | None = None
        self.supervisor_window: SupervisorWindow | None = None  # a program supervisor's folder
        self._recovery_dialog: QDialog | None = None
        self.damaged: Any = None  # ui.damaged_start.DamagedStart, once the file is unreadable
        self._notice_box: QMessageBox | None = None
        self.instance = SingleInstance(self.data.root, self.data.lock_file, self)
        self.idle = IdleWatcher(self.settings.idle_lock_minutes * 60_000, self)
        self.idle.idle.connect(self.lock)
        self.sleep = SleepDetector(self)
        self.sleep.resumed.connect(self._on_os_lock)
        self._session_watch: QObject | None = None
        # follow-up reminders: counts from due times only; the tray comes with deferred start
        self.reminders = ReminderService(self.clock, self)
        self.reminders.set_zone(self.settings.time_zone)
        self.reminders.set_nudge(self.settings.daily_nudge)
        self.reminders.due_changed.connect(self._on_due_changed)
        self.reminders.notify.connect(self._on_reminder)
        self.sleep.resumed.connect(self.reminders.check)  # after the lock it may cause
        self.tray: TrayPresenter | None = None
        self._close_guard = CloseGuard(self._close_goes_to_tray, self)
        self._close_guard.close_requested.connect(self._on_window_close)
        self._close_box: QMessageBox | None = None
        self._quitting = False
        self._told_tray = False

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
        elif self._has_supervisor_profile():
            self.show_supervisor()
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
        if self.supervisor_window is None:  # a supervisor has no records to remind of
            self._start_tray()
            self.reminders.start()
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
            window.lock_screen.request_form_requested.connect(self.open_request_form)
            window.new_checkin_requested.connect(lambda: self.open_checkin_form())
            window.find_requested.connect(self._focus_search)
            window.change_passphrase_requested.connect(self.open_change_passphrase)  # keys
            window.new_recovery_key_requested.connect(self.open_new_recovery_key)  # keys
            self._backups_follow(window)  # backups
            window.installEventFilter(self._close_guard)
            self.window = window
            self._watch_requests()
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
        wizard.supervisor_created.connect(self._on_supervisor_created)
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

    # -- a program supervisor's folder: anonymized statistics only, no vault ----------------
    def _has_supervisor_profile(self) -> bool:
        from peersupport.supervisor.profile import PROFILE_FILENAME

        return (self.data.root / PROFILE_FILENAME).is_file()

    def show_supervisor(self, profile: object | None = None) -> SupervisorWindow:
        """The supervisor's window, locked, or showing ``profile`` (just created)."""
        from peersupport.crypto.kdf import PRODUCTION
        from peersupport.ui.supervisor.window import SupervisorWindow

        window = self.supervisor_window
        if window is None:
            window = SupervisorWindow(self.data.root, self._profile or PRODUCTION)
            window.quit_requested.connect(self.quit)
            window.unlocked.connect(self._watch_idle)
            window.locked.connect(self._stop_watching_idle)
            self.supervisor_window = window
        self.reminders.stop()
        if self.tray is not None:  # no records, so no tray: closing the window quits
            self.tray.close()
            self.tray = None
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setQuitOnLastWindowClosed(True)
        window.show()
        if profile is not None:
            from peersupport.supervisor.profile import SupervisorProfile

            if isinstance(profile, SupervisorProfile):
                window.enter(profile)
        return window

    def _on_supervisor_created(self, profile: object) -> None:
        wizard, self.wizard = self.wizard, None
        if wizard is not None:
            wizard.hide()
            wizard.deleteLater()
        self.show_supervisor(profile)

    def _watch_idle(self) -> None:
        self.idle.set_timeout_ms(self.settings.idle_lock_minutes * 60_000)
        self.idle.start()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.idle)

    def _stop_watching_idle(self) -> None:
        self.idle.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.idle)

    def bring_to_front(self) -> None:
        target = self.wizard or self.supervisor_window or self.window
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
        damaged = self._vault_file_damaged(exc)
        if damaged is not None:
            message = damaged
        if self.window is not None:
            self.window.lock_screen.failed(message, delay)
        self.unlock_failed.emit(message)

    def _vault_file_damaged(self, exc: BaseException) -> str | None:
        """A vault file that cannot be read (and not for lack of permission): say it is
        damaged, name the latest automatic backup and offer to restore it."""
        from peersupport.services.errors import VaultCorruptError
        from peersupport.ui import damaged_start

        if not isinstance(exc, VaultCorruptError):
            return None
        if damaged_start.folder_is_read_only(self.data):
            return storage_error_message(PermissionError(13, "read-only"))
        if self.damaged is None:
            from peersupport.crypto.kdf import PRODUCTION

            self.damaged = damaged_start.DamagedStart(
                self.data, self._profile or PRODUCTION, self.window, self)
            self.damaged.restored.connect(self._on_damaged_restored)
        backup = damaged_start.latest_automatic_backup(damaged_start.backup_folders(
            self.data, getattr(self.settings, "auto_backup_folder", "")))
        self.damaged.offer(backup)
        return self.damaged.message(backup)

    def _on_damaged_restored(self, aside: str) -> None:
        message = _t("The backup was restored. The damaged file was kept as {name}. Unlock "
                     "with the passphrase that was valid when the backup was made.").format(
                         name=Path(aside).name)
        if self.window is not None:
            self.window.show_locked()
            self.window.lock_screen.show_message(message, error=False)

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
        self._apply_followup_policy()  # before the workspace reads any plan
        window = self._ensure_window()
        window.show_unlocked(self.settings.idle_lock_minutes, vault.checkins())
        workspace = window.workspace
        if workspace is not None:
            workspace.new_checkin_requested.connect(lambda: self.open_checkin_form())
            workspace.edit_checkin_requested.connect(
                lambda checkin_id: self.open_checkin_form(checkin_id)
            )
            workspace.followup_done_requested.connect(self.open_followup_checkin)
        self.idle.set_timeout_ms(self.settings.idle_lock_minutes * 60_000)
        self.idle.start()
        app = QApplication.instance()
        if app is not None:  # watch input only while there is something to protect
            app.installEventFilter(self.idle)
        self._reminders_follow(vault)
        self.unlocked.emit()
        self._check_notice()
        self._restore_draft()
        self._inbox_follow(vault)  # the requests inbox
        self._retention_follow()  # the retention purge

    # -- locking ----------------------------------------------------------------------------
    def is_unlocked(self) -> bool:
        return self.vault is not None

    def _on_os_lock(self) -> None:
        if self.settings.lock_on_screen_lock:
            self.lock()

    def lock(self) -> None:
        """Close dialogs, destroy every widget that showed record data, zero the key."""
        if self.supervisor_window is not None:
            self.supervisor_window.lock()
        if self.vault is None:
            return
        self.idle.stop()
        self._inbox_stop()  # the requests inbox
        self._retention_stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.idle)
        self._keep_drafts(self.vault)
        self._close_dialogs()
        if self.window is not None:
            self.window.show_locked()
        self._reminders_keep_counting()
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
        self, checkin_id: str | None = None, draft: dict[str, Any] | None = None,
        prefill: CheckIn | None = None, completes: tuple[str, str] | None = None,
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
            existing=existing, draft=draft, prefill=prefill, completes=completes,
        )
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.saved.connect(self._on_checkin_saved)
        form.contact_type_used.connect(self._remember_contact_type)
        form.open()
        return form

    def open_followup_checkin(self, plan_id: str, step_id: str) -> QDialog | None:
        """A check-in prefilled for a follow-up step ("Done"); saving it completes the step."""
        if self.vault is None:
            return None
        from peersupport.services.followups import PlanError, RecordNotFoundError

        followups = self.vault.followups()
        try:
            step_id = followups.resolve_step_id(plan_id, step_id)
            prefill = followups.prefill(plan_id, step_id)
        except (PlanError, RecordNotFoundError) as exc:  # the app's own words, no record data
            QMessageBox.warning(self.window, self.tr("Follow-up"), str(exc))
            return None
        return self.open_checkin_form(prefill=prefill, completes=(plan_id, step_id))

    def _on_checkin_saved(self, checkin_id: str) -> None:
        window = self.window
        if window is not None and window.workspace is not None:
            window.workspace.refresh()
            window.statusBar().showMessage(self.tr("Check-in saved."), 5000)
        self.reminders.check()  # a new plan may already have due steps

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
            raw = draft.get("completes")
            completes = None
            if isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, str) for x in raw):
                completes = (raw[0], raw[1])
            self.open_checkin_form(draft.get("checkin_id"), draft=draft, completes=completes)

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

        dialog = PreferencesDialog(
            self.settings, self.window,
            tray_available=self.tray is not None and self.tray.available,
            retention_preview=self.retention_preview if self.vault is not None else None)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def accepted() -> None:
            previous, self.settings = self.settings, dialog.result_settings()
            settings_mod.save(self.data.settings, self.settings)
            self.idle.set_timeout_ms(self.settings.idle_lock_minutes * 60_000)
            if self.window is not None:
                self.window.set_idle_minutes(self.settings.idle_lock_minutes)
            self._followup_settings_changed(previous)
            if self.backups is not None:  # a new folder or interval may be due at once
                self.backups.run_if_due()

        dialog.accepted.connect(accepted)
        dialog.open()

    def open_about(self) -> None:
        from peersupport.ui.dialogs import AboutDialog

        dialog = AboutDialog(self.data.root, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # -- keys -------------------------------------------------------------------------------
    def open_change_passphrase(self) -> QDialog | None:
        """Current passphrase and a new one; the re-wrap (Argon2id twice) runs off the UI
        thread. The records are not re-encrypted."""
        from peersupport.ui.key_dialogs import ChangePassphraseDialog

        vault = self.vault
        if vault is None:
            return None
        dialog = ChangePassphraseDialog(self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        alive = [True]
        dialog.destroyed.connect(lambda *_: alive.clear())

        def done(_: object) -> None:
            if alive:
                dialog.accept()
            if self.window is not None and self.vault is vault:
                self.window.statusBar().showMessage(
                    self.tr("Passphrase changed. Use the new one from now on."), 15_000)

        def failed(exc: BaseException) -> None:
            if alive:
                dialog.failed(self._key_error(exc))

        def submitted(old: str, new: str) -> None:
            dialog.set_busy(True)
            run_task(lambda: vault.change_passphrase(old, new), done, failed)

        dialog.submitted.connect(submitted)
        dialog.open()
        return dialog

    def open_new_recovery_key(self) -> QDialog | None:
        """Confirm with the passphrase, make a new recovery key (the old one stops working)
        and show it once."""
        from peersupport.ui.key_dialogs import NewRecoveryKeyDialog

        vault = self.vault
        if vault is None:
            return None
        dialog = NewRecoveryKeyDialog(self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        alive = [True]
        dialog.destroyed.connect(lambda *_: alive.clear())

        def make(passphrase: str) -> str:
            vault.check_passphrase(passphrase)
            return vault.new_recovery_key()

        def shown(key: str) -> None:
            if alive:
                dialog.show_key(key)

        def failed(exc: BaseException) -> None:
            if alive:
                dialog.failed(self._key_error(exc))

        def submitted(passphrase: str) -> None:
            dialog.set_busy(True)
            run_task(lambda: make(passphrase), shown, failed)

        dialog.submitted.connect(submitted)
        dialog.open()
        return dialog

    def _key_error(self, exc: BaseException) -> str:
        from peersupport.crypto.errors import WrongSecretError

        if isinstance(exc, WrongSecretError):
            return self.tr("That is not your current passphrase. Nothing was changed.")
        log.warning("key change failed: %s", hygiene.describe_exception(exc))
        return self.tr("Something went wrong and nothing was changed ({kind}).").format(
            kind=type(exc).__name__)

    # -- follow-up reminders and the tray ----------------------------------------------------
    def followup_policy(self) -> FollowupPolicy:
        from peersupport.services.followups import policy_from_settings

        return policy_from_settings(self.settings, self.clock)

    def _apply_followup_policy(self) -> None:
        if self.vault is not None:
            self.vault.followup_policy = self.followup_policy()

    def _reminders_follow(self, vault: UnlockedVault) -> None:
        """While unlocked, every check reads the anonymous schedule afresh."""

        def fetch() -> Sequence[int]:
            return vault.followups().anonymous_schedule()

        self.reminders.set_source(fetch)
        self.reminders.check(force=True)
        if self.tray is not None:
            self.tray.set_locked(False)
        # a step done, snoozed or moved in the follow-ups panel: recount at once
        workspace = self.window.workspace if self.window is not None else None
        page = getattr(workspace, "followups_page", None)
        changed = getattr(page, "changed", None)
        if changed is not None:
            changed.connect(lambda *_: self.reminders.check())

    def _reminders_keep_counting(self) -> None:
        """Before the key goes: read the schedule one last time, then count from memory."""
        self.reminders.check()
        self.reminders.set_source(None)
        if self.tray is not None:
            self.tray.set_locked(True)

    def _followup_settings_changed(self, previous: settings_mod.Settings) -> None:
        self._apply_followup_policy()
        self.reminders.set_zone(self.settings.time_zone)
        self.reminders.set_nudge(self.settings.daily_nudge)
        if self.settings.start_at_login != previous.start_at_login:
            self._set_autostart(self.settings.start_at_login)

    def _set_autostart(self, enabled: bool) -> None:
        from peersupport import autostart

        extra: list[str] = []
        if self.data.root != paths.default_root():
            extra = ["--data-dir", str(self.data.root)]
        outcome = autostart.set_enabled(enabled, extra)
        if self.window is not None:
            if outcome.ok:
                self.window.statusBar().showMessage(self.tr(outcome.message), 5000)
            else:
                QMessageBox.warning(self.window, self.tr("Start at login"),
                                    self.tr(outcome.message))
        if not outcome.ok:  # the setting says what is true
            self.settings = self.settings._replace(start_at_login=not enabled)
            settings_mod.save(self.data.settings, self.settings)

    def _on_due_changed(self, due_now: int, badge: int) -> None:
        if self.tray is not None:
            self.tray.set_counts(due_now, badge)
        workspace = self.window.workspace if self.window is not None else None
        if workspace is not None and hasattr(workspace, "set_followup_badge"):
            workspace.set_followup_badge(badge)

    def _on_reminder(self, text: str) -> None:
        """A count or the nudge to unlock: never record data."""
        if self.tray is not None and self.tray.available:
            self.tray.show_message(text)
        elif self.window is not None:
            self.window.statusBar().showMessage(text, 60_000)
            QApplication.alert(self.window)

    def notify_urgent_request(self) -> None:
        """An urgent follow-up request arrived: say so at once, and nothing more."""
        self._on_reminder(self.tr("Urgent follow-up request"))
        if self.window is not None:
            QApplication.alert(self.window)

    # -- retention --------------------------------------------------------------------------
    # After unlock, and every 24 hours while unlocked: when the retention policy (Preferences)
    # is on, purge on the worker thread, then say in the status bar what expired (counts).
    RETENTION_INTERVAL_MS = 24 * 60 * 60 * 1000
    _retention_timer: QTimer | None = None

    def _retention_follow(self) -> None:
        if self._retention_timer is None:
            timer = QTimer(self)
            timer.setInterval(self.RETENTION_INTERVAL_MS)
            timer.timeout.connect(self.run_retention)
            self._retention_timer = timer
        self._retention_timer.start()
        self.run_retention()

    def _retention_stop(self) -> None:
        if self._retention_timer is not None:
            self._retention_timer.stop()

    def run_retention(self) -> bool:
        """Start a purge if the vault is open and the policy is on; returns whether it did."""
        from peersupport.services.retention import RetentionPolicy, RetentionService

        vault = self.vault
        policy = RetentionPolicy.from_settings(self.settings)
        if vault is None or not policy.is_on:
            return False
        service = RetentionService(vault)
        run_task(lambda: service.purge(policy), self._retention_done, self._retention_failed)
        return True

    def _retention_done(self, report: Any) -> None:
        if self.vault is None or report.is_empty or self.window is None:
            return
        text = self.tr("Retention: notes of {notes} check-in(s) and details of {officers} "
                       "officer(s) expired.").format(notes=len(report.notes_checkin_ids),
                                                     officers=len(report.officer_ids))
        self.window.statusBar().showMessage(text, 60_000)
        workspace = self.window.workspace
        if workspace is not None:  # what the pages show changed
            workspace.refresh()

    def _retention_failed(self, exc: BaseException) -> None:
        log.warning("retention purge failed: %s", hygiene.describe_exception(exc))

    def retention_preview(
        self, notes_days: int, officer_days: int,
        on_done: Callable[[int, int], None], on_error: Callable[[str], None],
    ) -> None:
        """Preferences > Retention > Preview…: what a purge with this policy would expire now
        (counts), worked out on the worker thread."""
        from peersupport.services.retention import RetentionPolicy, RetentionService

        vault = self.vault
        if vault is None:
            on_error(self.tr("Unlock the vault to preview."))
            return
        service = RetentionService(vault)
        policy = RetentionPolicy(notes_days, officer_days)

        def failed(exc: BaseException) -> None:
            log.warning("retention preview failed: %s", hygiene.describe_exception(exc))
            on_error(self.tr("The preview could not be made ({kind}).").format(
                kind=type(exc).__name__))

        run_task(lambda: service.preview(policy),
                 lambda plan: on_done(len(plan.notes_checkin_ids), len(plan.officer_ids)),
                 failed)

    # -- backups ----------------------------------------------------------------------------
    # File > Back up now…, Restore…, Open a backup to inspect…, and automatic backups while
    # unlocked: see ui/backups.py.
    backups: BackupController | None = None

    def _backups_follow(self, window: MainWindow) -> None:
        from peersupport.ui.backups import BackupController

        if self.backups is None:
            self.backups = BackupController(self)
        window.backup_requested.connect(self.backups.back_up_now)
        window.restore_requested.connect(self.backups.open_restore)
        window.inspect_backup_requested.connect(self.backups.open_inspect)

    # -- the requests inbox -----------------------------------------------------------------
    # After unlock: open the requests that arrived while locked (a few X25519 operations, on
    # the UI thread), say at once - and only - that an urgent one came, and look again every
    # 30 s for requests another process submitted (``peersupport request``). The class-level
    # defaults below are replaced per instance.
    INBOX_POLL_MS = 30_000
    _inbox_timer: QTimer | None = None
    _inbox_window: MainWindow | None = None  # the window whose import signals are wired
    _request_key_box: QMessageBox | None = None

    def _inbox_follow(self, vault: UnlockedVault) -> None:
        window = self.window
        if window is not None and self._inbox_window is not window:
            window.import_requests_requested.connect(self._import_requests)
            window.request_files_dropped.connect(self._import_request_files)
            self._inbox_window = window
        workspace = window.workspace if window is not None else None
        page = workspace.requests_page if workspace is not None else None
        if page is not None:  # an accepted request may be due at once: recount
            page.followups_changed.connect(lambda: self.reminders.check())
        if self._inbox_timer is None:
            timer = QTimer(self)
            timer.setInterval(self.INBOX_POLL_MS)
            timer.timeout.connect(self.receive_requests)
            self._inbox_timer = timer
        self._inbox_timer.start()
        self.receive_requests()
        self._check_request_key(vault)

    def _inbox_stop(self) -> None:
        if self._inbox_timer is not None:
            self._inbox_timer.stop()
        box, self._request_key_box = self._request_key_box, None
        if box is not None:
            box.reject()

    def receive_requests(self) -> int:
        """Open the requests waiting in the vault; returns how many were opened."""
        vault = self.vault
        if vault is None:
            if self._inbox_timer is not None:
                self._inbox_timer.stop()
            return 0
        try:
            report = vault.requests().receive_pending()
        except Exception as exc:  # the type and place only, never what a request says
            log.warning("receiving requests failed: %s", hygiene.describe_exception(exc))
            return 0
        workspace = self.window.workspace if self.window is not None else None
        page = workspace.requests_page if workspace is not None else None
        if page is not None and (report.opened or report.unreadable):
            page.reload()  # and so the badge
        if report.urgent:
            self.notify_urgent_request()
        return len(report.opened)

    def _import_requests(self) -> None:
        """File > Import request files…: choose .psreq files in the Requests section."""
        workspace = self.window.workspace if self.window is not None else None
        if self.vault is None or workspace is None or workspace.requests_page is None:
            return
        workspace.show_section("requests")
        workspace.requests_page.ask_import()

    def _import_request_files(self, paths: list[str]) -> None:
        """.psreq files dropped on the window (ignored while locked)."""
        workspace = self.window.workspace if self.window is not None else None
        if self.vault is None or workspace is None or workspace.requests_page is None:
            return
        workspace.show_section("requests")
        workspace.requests_page.import_files(paths)

    def _check_request_key(self, vault: UnlockedVault) -> None:
        """Say so when the request key was found changed at unlock (see ensure_keys)."""
        status = vault.request_key_status
        if status not in ("restored", "replaced"):
            return
        box = QMessageBox(self.window)
        box.setObjectName("requestKeyBox")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Request key changed"))
        if status == "restored":
            box.setText(self.tr(
                "The public key officers use to send you requests had been changed outside "
                "Peer Support. It was put back."))
            box.setInformativeText(self.tr(
                "Requests sealed to the changed key cannot be opened: they show in Requests "
                "as requests that could not be opened. Request cards you handed out still "
                "work."))
        else:
            box.setText(self.tr(
                "Your private request key failed its integrity check, so a new request key "
                "was made."))
            box.setInformativeText(self.tr(
                "Requests sealed to the old key cannot be opened: they show in Requests as "
                "requests that could not be opened. Request cards you handed out no longer "
                "work: give officers your new card (Requests > Request card)."))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda *_: setattr(self, "_request_key_box", None))
        self._request_key_box = box
        box.open()

    def _start_tray(self) -> None:
        if self.tray is not None:
            return
        tray = TrayPresenter(self)
        tray.show_requested.connect(self.bring_to_front)
        tray.lock_requested.connect(self.lock)
        tray.quit_requested.connect(self.quit)
        tray.set_locked(self.vault is None)
        tray.set_counts(self.reminders.due_now, self.reminders.badge)
        self.tray = tray
        app = QApplication.instance()
        if tray.available and isinstance(app, QApplication):
            # a hidden window (in the tray) must not end the app when a dialog closes;
            # quitting is always explicit (Quit, or closing the window when told to)
            app.setQuitOnLastWindowClosed(False)

    def _close_goes_to_tray(self) -> bool:
        """Whether closing the main window is intercepted (tray or ask) instead of quitting."""
        return (not self._quitting and self.tray is not None and self.tray.available
                and self.settings.close_to_tray != settings_mod.CLOSE_QUIT)

    def _on_window_close(self) -> None:
        if self.settings.close_to_tray == settings_mod.CLOSE_TRAY:
            self.hide_to_tray()
        else:
            self._ask_close()

    def _ask_close(self) -> None:
        if self._close_box is not None:
            self._close_box.raise_()
            return
        box = QMessageBox(self.window)
        box.setObjectName("closeToTrayBox")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Close Peer Support"))
        box.setText(self.tr("Keep Peer Support running in the tray?"))
        box.setInformativeText(self.tr(
            "In the tray it locks the vault and still reminds you when follow-ups fall due "
            "(by number only). Your choice is kept; change it in Preferences."))
        tray = box.addButton(self.tr("Keep running in the &tray"),
                             QMessageBox.ButtonRole.AcceptRole)
        quit_ = box.addButton(self.tr("&Quit"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(tray)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(lambda *_: setattr(self, "_close_box", None))

        def answered(button: Any) -> None:
            self._close_box = None
            if button is tray:
                self._remember_close(settings_mod.CLOSE_TRAY)
                QTimer.singleShot(0, self.hide_to_tray)
            elif button is quit_:
                self._remember_close(settings_mod.CLOSE_QUIT)
                QTimer.singleShot(0, self.quit)

        box.buttonClicked.connect(answered)
        self._close_box = box
        box.open()

    def _remember_close(self, choice: str) -> None:
        self.settings = self.settings._replace(close_to_tray=choice)
        settings_mod.save(self.data.settings, self.settings)

    def hide_to_tray(self) -> None:
        """Lock (a hidden window must not keep records open) and keep running in the tray."""
        self.lock()
        if self.window is not None:
            self.window.hide()
        if self.tray is not None and not self._told_tray:
            self._told_tray = True
            self.tray.show_message(self.tr(
                "Peer Support is still running here, locked, to remind you of follow-ups."))

    # -- requests on the lock screen --------------------------------------------------------
    # Officers leave follow-up requests on the locked laptop; the lock screen counts the new
    # ones (a number only). Set up with the window; the class-level defaults below are
    # replaced per instance.
    REQUEST_COUNT_MS = 30_000
    _request_drop: RequestDrop | None = None
    _request_dialog: QDialog | None = None
    _request_timer: QTimer | None = None

    def _watch_requests(self) -> None:
        """Recount every 30 s while locked (and at once); not while unlocked."""
        if self._request_timer is None:  # once, even if the window is made again
            timer = QTimer(self)
            timer.setInterval(self.REQUEST_COUNT_MS)
            timer.timeout.connect(self.refresh_new_requests)
            self._request_timer = timer
            self.locked.connect(self._requests_on_lock)
            self.unlocked.connect(self._requests_on_unlock)
        if self.vault is None:
            self._requests_on_lock()

    def _requests_on_lock(self) -> None:
        if self._request_timer is not None:
            self._request_timer.start()
        self.refresh_new_requests()

    def _requests_on_unlock(self) -> None:
        if self._request_timer is not None:
            self._request_timer.stop()
        dialog, self._request_dialog = self._request_dialog, None
        if dialog is not None:
            dialog.reject()
            dialog.close()
            dialog.deleteLater()

    def refresh_new_requests(self) -> None:
        """Count unseen requests on the worker thread and show the number on the lock screen."""
        if self.window is None:  # shut down
            if self._request_timer is not None:
                self._request_timer.stop()
            return
        if self.vault is not None:
            return
        drop, data = self._request_drop, self.data

        def count() -> int:
            if drop is not None:
                return drop.new_count()
            from peersupport.services.requests import RequestDrop  # SQLAlchemy: off the UI

            return RequestDrop(data).new_count()

        def show(found: int) -> None:
            if self.window is not None and self.vault is None:
                self.window.lock_screen.set_new_requests(found)

        def failed(exc: BaseException) -> None:
            log.warning("counting requests failed: %s", hygiene.describe_exception(exc))

        run_task(count, show, failed)

    def open_request_form(self) -> QDialog | None:
        """The request form in a modal dialog over the lock screen."""
        if self.vault is not None or self.window is None:
            return None
        if self._request_dialog is not None:
            self._request_dialog.raise_()
            self._request_dialog.activateWindow()
            return self._request_dialog
        from PySide6.QtWidgets import QVBoxLayout

        from peersupport.domain.follow_request import crisis_resources
        from peersupport.services.requests import RequestDrop
        from peersupport.ui.request_form import RequestForm

        rate = self.settings.request_rate_per_minute
        if self._request_drop is None:
            self._request_drop = RequestDrop(self.data, rate)
        self._request_drop.limiter.per_minute = rate  # Preferences may have changed it
        drop = self._request_drop

        dialog = QDialog(self.window)
        dialog.setObjectName("requestFormDialog")
        dialog.setWindowTitle(self.tr("Request a follow-up"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form = RequestForm(drop.submit, dialog,
                           resources=crisis_resources(self.settings.crisis_resources))
        layout = QVBoxLayout(dialog)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(form)
        dialog.resize(600, 680)
        form.submitted.connect(self._on_request_submitted)
        form.finished.connect(dialog.accept)

        def closed(*_: object) -> None:  # however it closes, nothing typed is kept
            form.reset()
            if self._request_dialog is dialog:
                self._request_dialog = None

        dialog.finished.connect(closed)
        form.load(lambda: (drop.notice(), drop.card()))
        self._request_dialog = dialog
        dialog.open()
        return dialog

    def _on_request_submitted(self, urgent: bool) -> None:
        if urgent:
            self.notify_urgent_request()
        self.refresh_new_requests()

    # -- shutdown ---------------------------------------------------------------------------
    def quit(self) -> None:
        self._quitting = True  # the windows' close events now let the app end
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
        self.reminders.stop()
        if self.tray is not None:
            self.tray.close()
            self.tray = None
        for widget in (self.wizard, self.window, self.supervisor_window):
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.window = None
        self.supervisor_window = None
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
