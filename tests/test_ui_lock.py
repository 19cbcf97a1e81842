"""The lock screen, unlocking, recovery and every way the app locks, driven like a person."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog, QLabel, QLineEdit, QPlainTextEdit

from peersupport.crypto.errors import WrongSecretError
from peersupport.crypto.secret import SecretKey
from peersupport.domain.officer import Officer
from peersupport.services.vault import UnlockedVault, VaultService
from peersupport.ui.app import AppController
from peersupport.ui.tasks import wait_for_tasks
from tests.conftest import FAST_TEST_PROFILE, NEW_PASSPHRASE, PASSPHRASE

CANARY = "Zq7CanaryOfficerXv"


@pytest.fixture
def locked_vault(vault: UnlockedVault) -> UnlockedVault:
    vault.add_officer(Officer(alias=CANARY, full_name=CANARY + " Full", notes=CANARY + " note"))
    vault.lock()
    return vault


@pytest.fixture
def controller(qtbot, locked_vault: UnlockedVault) -> Iterator[AppController]:
    ctl = AppController(locked_vault.data_dir.root, FAST_TEST_PROFILE)
    with qtbot.waitSignal(ctl.ready, timeout=5_000):
        assert ctl.start()
    assert ctl.window is not None
    qtbot.addWidget(ctl.window)
    yield ctl
    ctl.shutdown()
    wait_for_tasks()


def _unlock(qtbot, ctl: AppController, passphrase: str = PASSPHRASE) -> None:
    screen = ctl.window.lock_screen
    qtbot.keyClicks(screen.passphrase, passphrase)
    with qtbot.waitSignal(ctl.unlocked, timeout=10_000):
        qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)


def _visible_texts() -> list[str]:
    texts: list[str] = []
    for widget in QApplication.allWidgets():
        if isinstance(widget, QLineEdit):
            texts.append(widget.text())
        elif isinstance(widget, QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QPlainTextEdit):
            texts.append(widget.toPlainText())
    return texts


def test_lock_screen_is_first_and_unlocks_with_passphrase(qtbot, controller: AppController):
    window = controller.window
    assert window.stack.currentWidget() is window.lock_screen
    assert not window.lock_screen.unlock_button.isEnabled()  # nothing typed yet
    assert window.state_label.text() == "Locked"
    _unlock(qtbot, controller)
    assert controller.is_unlocked()
    assert window.workspace is not None and window.stack.currentWidget() is window.workspace
    assert window.lock_screen.passphrase.text() == ""  # the passphrase does not linger
    assert [o.alias for o in controller.vault.list_officers().officers] == [CANARY]
    assert "Unlocked" in window.state_label.text()


def test_enter_key_unlocks(qtbot, controller: AppController):
    screen = controller.window.lock_screen
    qtbot.keyClicks(screen.passphrase, PASSPHRASE)
    with qtbot.waitSignal(controller.unlocked, timeout=10_000):
        qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)


def test_wrong_passphrase_clear_message_file_unchanged_and_growing_delay(
    qtbot, controller: AppController, locked_vault: UnlockedVault
):
    db: Path = locked_vault.data_dir.database
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    screen = controller.window.lock_screen
    delays = []
    for attempt in range(4):
        screen.passphrase.clear()
        qtbot.keyClicks(screen.passphrase, f"not the passphrase {attempt}")
        qtbot.waitUntil(lambda: screen.unlock_button.isEnabled(), timeout=20_000)
        with qtbot.waitSignal(controller.unlock_failed, timeout=10_000) as blocker:
            qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
        assert "not right" in blocker.args[0]
        assert screen.status.isVisible() and "not right" in screen.status.text()
        delays.append(screen.cooldown_left())
    assert delays[:2] == [0, 0]
    assert 0 < delays[2] < delays[3]
    assert not screen.unlock_button.isEnabled()  # waiting out the delay
    assert "try again in" in screen.status.text()
    assert not controller.is_unlocked()
    assert controller.window.workspace is None
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_forgot_passphrase_unlocks_with_recovery_key_and_sets_new_passphrase(
    qtbot, controller: AppController, locked_vault: UnlockedVault,
    recovery: tuple[SecretKey, str], service: VaultService,
):
    screen = controller.window.lock_screen
    qtbot.mouseClick(screen.forgot_button, Qt.MouseButton.LeftButton)
    dialog = controller._recovery_dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.key_field, recovery[1].lower().replace("-", " "))
    qtbot.keyClicks(dialog.chooser.first, NEW_PASSPHRASE)
    qtbot.keyClicks(dialog.chooser.second, NEW_PASSPHRASE)
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(controller.unlocked, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert controller.is_unlocked()
    controller.lock()
    with pytest.raises(WrongSecretError):
        service.unlock(PASSPHRASE)
    service.unlock(NEW_PASSPHRASE).lock()


def test_recovery_dialog_rejects_a_typo_and_a_wrong_key(
    qtbot, controller: AppController, recovery: tuple[SecretKey, str]
):
    controller.open_recovery()
    dialog = controller._recovery_dialog
    good = recovery[1]
    typo = ("Z" if good[0] != "Z" else "Y") + good[1:]
    qtbot.keyClicks(dialog.key_field, typo)
    qtbot.keyClicks(dialog.chooser.first, NEW_PASSPHRASE)
    qtbot.keyClicks(dialog.chooser.second, NEW_PASSPHRASE)
    assert "typing mistake" in dialog.key_hint.text()
    assert not dialog.ok_button.isEnabled()
    from peersupport.services.vault import new_recovery_key

    _, other = new_recovery_key()
    dialog.key_field.setText(other)
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "does not open" in dialog.status.text(), timeout=10_000)
    assert not controller.is_unlocked()


def test_ctrl_l_locks_zeroes_key_and_destroys_workspace(qtbot, controller: AppController):
    _unlock(qtbot, controller)
    vault = controller.vault
    key = vault.data_key
    with qtbot.waitSignal(controller.locked, timeout=5_000):
        qtbot.keyClick(controller.window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert key.is_wiped() and vault.is_locked
    assert controller.window.workspace is None
    assert controller.window.stack.currentWidget() is controller.window.lock_screen
    assert not controller.window.lock_action.isEnabled()


def test_idle_lock_closes_an_open_dialog_and_leaves_no_plaintext(qtbot, controller: AppController):
    _unlock(qtbot, controller)
    key = controller.vault.data_key
    # a dialog showing decrypted text, as a record editor would
    officer = controller.vault.list_officers().officers[0]
    dialog = QInputDialog(controller.window)
    dialog.setLabelText("Alias")
    dialog.setTextValue(officer.alias)
    dialog.open()
    qtbot.waitUntil(dialog.isVisible)
    assert any(CANARY in t for t in _visible_texts())
    controller.idle.set_timeout_ms(300)
    controller.idle.start()
    with qtbot.waitSignal(controller.locked, timeout=5_000):
        pass
    assert key.is_wiped()
    qtbot.waitUntil(lambda: not any(CANARY in t for t in _visible_texts()), timeout=5_000)
    assert controller.window.workspace is None


def test_user_activity_postpones_idle_lock(qtbot, controller: AppController):
    _unlock(qtbot, controller)
    controller.idle.set_timeout_ms(400)
    controller.idle.start()
    for _ in range(4):
        qtbot.wait(200)
        qtbot.keyClick(controller.window.workspace.nav, Qt.Key.Key_Down)
    assert controller.is_unlocked()
    with qtbot.waitSignal(controller.locked, timeout=5_000):
        pass


def test_machine_resume_locks(qtbot, controller: AppController, monkeypatch):
    _unlock(qtbot, controller)
    import peersupport.ui.idle as idle

    base = idle._suspend_clock()
    monkeypatch.setattr(idle, "_suspend_clock", lambda: base + 3600)
    with qtbot.waitSignal(controller.locked, timeout=2_000):
        controller.sleep.check()


def test_os_screen_lock_signal_locks(qtbot, controller: AppController):
    _unlock(qtbot, controller)
    with qtbot.waitSignal(controller.locked, timeout=2_000):
        controller._session_watch._on_active(True)


def test_second_instance_is_refused_and_raises_the_first(qtbot, controller: AppController):
    second = AppController(controller.data.root, FAST_TEST_PROFILE)
    assert not second.start()
    with qtbot.waitSignal(controller.instance.raise_requested, timeout=5_000):
        assert second.instance.ask_first_to_raise()


def test_preferences_change_idle_time_and_are_saved(qtbot, controller: AppController):
    _unlock(qtbot, controller)
    controller.open_preferences()
    from peersupport.ui.dialogs import PreferencesDialog

    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, PreferencesDialog))
    dialog.idle.setValue(12)
    dialog.accept()
    assert controller.idle.timeout_ms() == 12 * 60_000
    assert '"idle_lock_minutes": 12' in controller.data.settings.read_text()
    assert "12 min idle" in controller.window.state_label.text()


def test_a_notice_changed_outside_the_app_is_reported_after_unlock_and_restored(
    qtbot, controller: AppController, locked_vault: UnlockedVault, service: VaultService
):
    from tests._support import raw_execute

    original = service.read_notice()
    raw_execute(locked_vault.data_dir.database, "UPDATE vault SET notice_text = ?",
                ("Everything you say will be reported.",))
    _unlock(qtbot, controller)
    qtbot.waitUntil(lambda: controller._notice_box is not None
                    and controller._notice_box.isVisible(), timeout=5_000)
    box = controller._notice_box
    assert "changed outside" in box.text()
    restore = next(b for b in box.buttons() if "Restore" in b.text())
    qtbot.mouseClick(restore, Qt.MouseButton.LeftButton)
    assert controller.vault.notice() == original
    assert controller.vault.check_notice() == "ok"


def test_an_untouched_notice_raises_no_warning(qtbot, controller: AppController):
    _unlock(qtbot, controller)
    qtbot.wait(100)
    assert controller._notice_box is None
