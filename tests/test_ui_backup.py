"""Backups and retention in the window, offscreen, driven like a person: File > Back up now…
writes a file that opens with the passphrase; automatic backups run when due and keep N; File
> Restore… replaces the records (and a wrong passphrase changes nothing); Open a backup to
inspect… leaves the vault alone; the Preferences Backups and Retention tabs round-trip and
Preview shows the service's counts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from peersupport import settings as settings_mod
from peersupport.domain.officer import Officer
from peersupport.services.backup import verify_backup
from peersupport.services.retention import RetentionPolicy, RetentionService
from peersupport.services.vault import UnlockedVault
from peersupport.ui.app import AppController
from peersupport.ui.backups import BackupProgressDialog, RestoreDialog
from peersupport.ui.dialogs import PreferencesDialog
from peersupport.ui.tasks import wait_for_tasks
from tests._support import sha256_file
from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE
from tests.test_ui_checkins_page import TZ, make_checkin, seed

SHOTS = os.environ.get("PEERSUPPORT_SHOTS", "/tmp")


@pytest.fixture
def controller(qtbot, vault: UnlockedVault) -> Iterator[AppController]:
    heron = Officer(alias="Heron 4", full_name="Dana Reyes")
    seed(vault.checkins(), [make_checkin(heron, datetime(2020, 6, 20, 9, 30, tzinfo=TZ),
                                         notes="old notes")], [heron])
    vault.lock()
    ctl = AppController(vault.data_dir.root, FAST_TEST_PROFILE)
    with qtbot.waitSignal(ctl.ready, timeout=5_000):
        assert ctl.start()
    assert ctl.window is not None
    qtbot.addWidget(ctl.window)
    yield ctl
    ctl.shutdown()
    wait_for_tasks()


def _unlock(qtbot, ctl: AppController, passphrase: str = PASSPHRASE) -> None:
    screen = ctl.window.lock_screen
    screen.reset()
    qtbot.keyClicks(screen.passphrase, passphrase)
    with qtbot.waitSignal(ctl.unlocked, timeout=10_000):
        qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)


def _save_to(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(path), "")))


def _open(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(path), "")))


def _back_up(qtbot, ctl: AppController, monkeypatch, target: Path) -> BackupProgressDialog:
    _save_to(monkeypatch, target)
    with qtbot.waitSignal(ctl.backups.backup_finished, timeout=10_000) as blocker:
        ctl.window.backup_action.trigger()
        dialog = ctl.backups.progress_dialog
        assert isinstance(dialog, BackupProgressDialog)
    assert blocker.args == [True]
    return dialog


def test_back_up_now_writes_a_backup_that_opens_with_the_passphrase(
        qtbot, controller: AppController, monkeypatch, tmp_path: Path) -> None:
    assert not controller.window.backup_action.isEnabled()  # locked
    assert controller.window.restore_action.isEnabled()  # restore works while locked
    _unlock(qtbot, controller)
    assert controller.window.backup_action.isEnabled()
    target = tmp_path / "out" / "mine"  # the suffix is added
    target.parent.mkdir()
    dialog = _back_up(qtbot, controller, monkeypatch, target)
    written = target.with_name("mine.psbak")
    assert dialog.highest == 100
    header, _db = verify_backup(written.read_bytes(), passphrase=PASSPHRASE,
                                profile=FAST_TEST_PROFILE)
    assert header.vault_id == controller.vault.vault_id
    box = controller.backups.message_box
    assert box is not None and box.text() == f"Backup written to {written}"
    assert sorted(p.name for p in written.parent.iterdir()) == ["mine.psbak"]
    box.close()


def test_progress_dialog_cancel_leaves_nothing_and_disk_full_is_plain(
        qtbot, controller: AppController, monkeypatch, tmp_path: Path) -> None:
    _unlock(qtbot, controller)
    # the dialog itself: closing it mid-write asks to cancel and keeps it up until done
    dialog = BackupProgressDialog(tmp_path / "x.psbak", controller.window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_percent(42)
    assert dialog.bar.text() == "42%"
    dialog.grab().save(f"{SHOTS}/bk_progress.png")
    dialog.close()
    assert dialog.isVisible() and dialog.cancel_event.is_set()
    assert "Cancelling" in dialog.label.text()
    dialog.finish()
    assert not dialog.isVisible()

    # a full disk: plain words, no file and no temporary file left
    import errno

    from peersupport import atomic

    real = atomic.os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    target = tmp_path / "full" / "b.psbak"
    target.parent.mkdir()
    _save_to(monkeypatch, target)
    with qtbot.waitSignal(controller.backups.backup_finished, timeout=10_000) as blocker:
        controller.window.backup_action.trigger()
    monkeypatch.setattr(atomic.os, "fsync", real)
    assert blocker.args == [False]
    box = controller.backups.message_box
    assert box is not None and "not enough free space" in box.text()
    assert list(target.parent.iterdir()) == []
    box.close()


def test_automatic_backup_runs_when_due_and_keeps_n(
        qtbot, controller: AppController, tmp_path: Path) -> None:
    folder = tmp_path / "auto"
    folder.mkdir()
    controller.settings = controller.settings._replace(
        auto_backup_folder=str(folder), auto_backup_keep=2, auto_backup_hours=24)
    old = datetime.now(UTC) - timedelta(days=3)
    for n in range(3):  # three old automatic backups (names only; unreadable ones stay)
        stamp = (old - timedelta(days=n)).strftime("%Y-%m-%d-%H%M%S")
        (folder / f"peersupport-{stamp}.psbak").write_bytes(b"")
    with qtbot.waitSignal(controller.backups.auto_backup_finished, timeout=10_000) as blocker:
        _unlock(qtbot, controller)  # the newest is 3 days old: due
    assert blocker.args == [True]
    assert controller.window.statusBar().currentMessage() == "Automatic backup written."
    fresh = [p for p in folder.iterdir() if p.stat().st_size > 0]
    assert len(fresh) == 1
    verify_backup(fresh[0].read_bytes(), passphrase=PASSPHRASE, profile=FAST_TEST_PROFILE)
    assert not controller.backups.is_due()
    assert controller.backups.run_if_due() is False  # not due again
    # keep 2: two more real backups leave the newest two of this vault
    from peersupport.services.backup import automatic_backup

    for n in (1, 2):
        automatic_backup(controller.vault, folder, 2,
                         now=datetime.now(UTC) + timedelta(hours=n))
    ours = [p for p in folder.iterdir() if p.stat().st_size > 0]
    assert len(ours) == 2 and fresh[0] not in ours


def test_automatic_backup_failure_warns_once(
        qtbot, controller: AppController, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    controller.settings = controller.settings._replace(auto_backup_folder=str(blocked / "x"))
    with qtbot.waitSignal(controller.backups.auto_backup_finished, timeout=10_000):
        _unlock(qtbot, controller)
    box = controller.backups.message_box
    assert box is not None and box.windowTitle() == "Automatic backup failed"
    box.close()
    qtbot.waitUntil(lambda: controller.backups.message_box is None)
    with qtbot.waitSignal(controller.backups.auto_backup_finished, timeout=10_000):
        assert controller.backups.run_if_due()  # the next timer tick
    assert controller.backups.message_box is None  # not again


def _restore_dialog(ctl: AppController) -> RestoreDialog:
    dialog = ctl.backups.restore_dialog
    assert isinstance(dialog, RestoreDialog) and dialog.isVisible()
    return dialog


def test_restore_replaces_the_records_and_a_wrong_passphrase_changes_nothing(
        qtbot, controller: AppController, monkeypatch, tmp_path: Path) -> None:
    _unlock(qtbot, controller)
    backup = tmp_path / "b.psbak"
    _back_up(qtbot, controller, monkeypatch, backup)
    controller.backups.message_box.close()
    checkins = controller.vault.checkins()
    heron = checkins.officers()[0]
    seed(checkins, [make_checkin(heron, datetime(2025, 1, 5, 9, 0, tzinfo=TZ))])
    assert checkins.count() == 2

    _open(monkeypatch, backup)
    controller.window.restore_action.trigger()  # locks first
    assert not controller.is_unlocked()
    dialog = _restore_dialog(controller)
    db = controller.data.database
    before = sha256_file(db)
    qtbot.keyClicks(dialog.secret, "not the passphrase")
    with qtbot.waitSignal(controller.backups.restore_finished, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [False]
    assert dialog.status.isVisible()
    assert "does not open this backup" in dialog.status.text()
    dialog.grab().save(f"{SHOTS}/bk_restore_wrong.png")
    assert sha256_file(db) == before

    dialog.secret.clear()
    qtbot.keyClicks(dialog.secret, PASSPHRASE)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.question.isVisible(), timeout=10_000)
    assert dialog.question.text().startswith(
        "Replace the current vault with this backup from ")
    assert dialog.ok_button.text() == "&Replace the vault"
    dialog.grab().save(f"{SHOTS}/bk_restore_confirm.png")
    assert sha256_file(db) == before  # nothing written before the confirmation
    with qtbot.waitSignal(controller.backups.restore_finished, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [True]
    assert controller.window.stack.currentWidget() is controller.window.lock_screen
    kept = list(controller.data.backups.glob("replaced-before-restore-*.psbak"))
    assert len(kept) == 1
    controller.backups.message_box.close()
    _unlock(qtbot, controller)
    assert controller.vault.checkins().count() == 1  # the check-in added later is gone


def test_restore_dialog_recovery_toggle(qtbot, controller: AppController, monkeypatch,
                                        tmp_path: Path) -> None:
    _open(monkeypatch, tmp_path / "none.psbak")
    dialog = controller.backups.open_restore()
    assert dialog is not None
    qtbot.keyClicks(dialog.secret, "abc")
    dialog.use_recovery.setChecked(True)
    assert dialog.secret.text() == ""
    assert dialog.secret_label.text() == "&Recovery key:"
    dialog.grab().save(f"{SHOTS}/bk_restore.png")
    dialog.reject()


def test_inspect_restores_into_a_new_folder_and_leaves_the_vault(
        qtbot, controller: AppController, monkeypatch, tmp_path: Path) -> None:
    _unlock(qtbot, controller)
    backup = tmp_path / "b.psbak"
    _back_up(qtbot, controller, monkeypatch, backup)
    controller.backups.message_box.close()
    controller.vault.checkpoint()
    db = controller.data.database
    before = sha256_file(db)
    target = tmp_path / "inspect"
    _open(monkeypatch, backup)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(target)))
    controller.window.inspect_backup_action.trigger()
    dialog = _restore_dialog(controller)
    qtbot.keyClicks(dialog.secret, PASSPHRASE)
    with qtbot.waitSignal(controller.backups.restore_finished, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [True]
    assert (target / db.name).is_file()
    box = controller.backups.message_box
    assert box is not None and f'peersupport --data-dir "{target}"' in box.informativeText()
    box.close()
    assert controller.is_unlocked()
    controller.vault.checkpoint()
    assert sha256_file(db) == before


def test_preferences_backups_and_retention_tabs_round_trip(qtbot, monkeypatch,
                                                           tmp_path: Path) -> None:
    chosen = settings_mod.Settings(auto_backup_folder=str(tmp_path), auto_backup_keep=12,
                                   auto_backup_hours=6, notes_expire_days=365,
                                   officer_details_expire_days=1825)
    dialog = PreferencesDialog(chosen, tray_available=False, autostart_supported=False)
    qtbot.addWidget(dialog)
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert tabs[-2:] == ["&Backups", "Re&tention"]
    assert dialog.result_settings() == chosen.validated()
    dialog.resize(720, 620)
    dialog.show()
    dialog.tabs.setCurrentIndex(tabs.index("&Backups"))
    dialog.grab().save(f"{SHOTS}/bk_prefs_backups.png")
    dialog.tabs.setCurrentIndex(tabs.index("Re&tention"))
    assert dialog.notes_expire.currentText() == "1 year"
    assert dialog.officers_expire.currentText() == "5 years"
    assert not dialog.preview_button.isEnabled()  # no vault open
    dialog.grab().save(f"{SHOTS}/bk_prefs_retention.png")

    other = tmp_path / "elsewhere"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(other)))
    qtbot.mouseClick(dialog.choose_backup_folder, Qt.MouseButton.LeftButton)
    dialog.backup_keep.setValue(3)
    dialog.notes_expire.setCurrentIndex(dialog.notes_expire.findData(90))
    result = dialog.result_settings()
    assert (result.auto_backup_folder, result.auto_backup_keep, result.notes_expire_days) == (
        str(other), 3, 90)
    qtbot.mouseClick(dialog.backups_off, Qt.MouseButton.LeftButton)
    assert dialog.result_settings().auto_backup_folder == ""
    path = tmp_path / "settings.json"
    settings_mod.save(path, result)
    assert settings_mod.load(path) == result


def test_settings_refuse_a_relative_backup_folder_and_odd_numbers(tmp_path: Path) -> None:
    import json

    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"auto_backup_folder": "relative/folder",
                                "auto_backup_keep": 500, "auto_backup_hours": "x"}))
    loaded = settings_mod.load(path)
    assert (loaded.auto_backup_folder, loaded.auto_backup_keep,
            loaded.auto_backup_hours) == ("", 100, 24)


def test_retention_preview_shows_the_service_counts(qtbot, controller: AppController) -> None:
    _unlock(qtbot, controller)
    controller.open_preferences()
    dialogs = [w for w in controller.window.findChildren(PreferencesDialog) if w.isVisible()]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.preview_button.isEnabled()
    dialog.notes_expire.setCurrentIndex(dialog.notes_expire.findData(365))
    dialog.officers_expire.setCurrentIndex(dialog.officers_expire.findData(730))
    expected = RetentionService(controller.vault).preview(RetentionPolicy(365, 730))
    assert (len(expected.notes_checkin_ids), len(expected.officer_ids)) == (1, 1)
    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "would empty" in dialog.preview_result.text(), timeout=10_000)
    assert dialog.preview_result.text() == (
        "Now this would empty the notes of 1 check-in(s) and the details of 1 officer(s).")
    dialog.reject()
