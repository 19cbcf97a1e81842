"""The key dialogs, driven like a person: change the passphrase (then lock and unlock with the
new one), a wrong current passphrase, and a new recovery key that opens the vault."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from peersupport.crypto.errors import WrongSecretError
from peersupport.crypto.secret import SecretKey
from peersupport.services.vault import UnlockedVault, VaultService
from peersupport.ui.app import AppController
from peersupport.ui.key_dialogs import ChangePassphraseDialog, NewRecoveryKeyDialog
from peersupport.ui.tasks import wait_for_tasks
from tests._support import sha256_file
from tests.conftest import FAST_TEST_PROFILE, NEW_PASSPHRASE, PASSPHRASE

SHOTS = os.environ.get("PEERSUPPORT_SHOTS", "/tmp")


@pytest.fixture
def controller(qtbot, vault: UnlockedVault) -> Iterator[AppController]:
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
    qtbot.keyClicks(screen.passphrase, passphrase)
    with qtbot.waitSignal(ctl.unlocked, timeout=10_000):
        qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)


def _change_dialog(qtbot, ctl: AppController) -> ChangePassphraseDialog:
    action = ctl.window.change_passphrase_action
    assert action.isEnabled()
    action.trigger()
    dialogs = [w for w in ctl.window.findChildren(ChangePassphraseDialog) if w.isVisible()]
    assert len(dialogs) == 1
    return dialogs[0]


def test_key_actions_only_while_unlocked(qtbot, controller: AppController) -> None:
    window = controller.window
    assert not window.change_passphrase_action.isEnabled()
    assert not window.new_recovery_key_action.isEnabled()
    assert controller.open_change_passphrase() is None
    _unlock(qtbot, controller)
    assert window.change_passphrase_action.isEnabled()
    assert window.new_recovery_key_action.isEnabled()
    controller.lock()
    assert not window.change_passphrase_action.isEnabled()


def test_change_passphrase_then_unlock_with_the_new_one(
    qtbot, controller: AppController, service: VaultService
) -> None:
    _unlock(qtbot, controller)
    dialog = _change_dialog(qtbot, controller)
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.current, PASSPHRASE)
    qtbot.keyClicks(dialog.chooser.first, NEW_PASSPHRASE)
    assert not dialog.ok_button.isEnabled()  # not repeated yet
    qtbot.keyClicks(dialog.chooser.second, NEW_PASSPHRASE)
    assert dialog.ok_button.isEnabled()
    dialog.grab().save(f"{SHOTS}/keys_change_passphrase.png")
    with qtbot.waitSignal(dialog.finished, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "Passphrase changed" in controller.window.statusBar().currentMessage()

    controller.lock()
    screen = controller.window.lock_screen
    qtbot.keyClicks(screen.passphrase, PASSPHRASE)  # the old one is refused
    with qtbot.waitSignal(controller.unlock_failed, timeout=10_000):
        qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    controller.throttle.reset()
    screen.reset()
    _unlock(qtbot, controller, NEW_PASSPHRASE)
    assert controller.is_unlocked()


def test_wrong_current_passphrase_shows_the_error(
    qtbot, controller: AppController, vault: UnlockedVault
) -> None:
    _unlock(qtbot, controller)
    db = vault.data_dir.database
    controller.vault.checkpoint()
    before = sha256_file(db)
    dialog = _change_dialog(qtbot, controller)
    qtbot.keyClicks(dialog.current, "not my passphrase at all")
    qtbot.keyClicks(dialog.chooser.first, NEW_PASSPHRASE)
    qtbot.keyClicks(dialog.chooser.second, NEW_PASSPHRASE)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not your current passphrase" in dialog.status.text(),
                    timeout=10_000)
    assert dialog.isVisible() and dialog.status.isVisible()
    assert dialog.ok_button.isEnabled()  # can try again
    dialog.grab().save(f"{SHOTS}/keys_change_passphrase_wrong.png")
    dialog.reject()
    controller.lock()
    assert sha256_file(db) == before


def test_same_passphrase_is_refused_in_the_dialog(qtbot, controller: AppController) -> None:
    _unlock(qtbot, controller)
    dialog = _change_dialog(qtbot, controller)
    qtbot.keyClicks(dialog.current, PASSPHRASE)
    qtbot.keyClicks(dialog.chooser.first, PASSPHRASE)
    qtbot.keyClicks(dialog.chooser.second, PASSPHRASE)
    assert not dialog.ok_button.isEnabled()
    assert "same as the current one" in dialog.status.text()
    dialog.reject()


def test_new_recovery_key_dialog_shows_a_working_key(
    qtbot, controller: AppController, service: VaultService,
    recovery: tuple[SecretKey, str],
) -> None:
    _unlock(qtbot, controller)
    dialog = controller.open_new_recovery_key()
    assert isinstance(dialog, NewRecoveryKeyDialog)
    dialog.grab().save(f"{SHOTS}/keys_new_recovery_ask.png")

    qtbot.keyClicks(dialog.passphrase, "wrong wrong wrong")  # first a wrong passphrase
    qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not your current passphrase" in dialog.status.text(),
                    timeout=10_000)
    assert not dialog.showing_key()

    dialog.passphrase.clear()
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    qtbot.mouseClick(dialog.make_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.showing_key, timeout=10_000)
    key = dialog.key_label.text()
    assert key and key != recovery[1]
    assert "no longer works" in dialog.replaced.text()
    assert dialog.passphrase.text() == ""
    qtbot.wait(50)
    dialog.grab().save(f"{SHOTS}/keys_new_recovery_key.png")

    dialog.reject()  # Escape before confirming keeps the key on screen
    assert dialog.isVisible()
    assert not dialog.close_button.isEnabled()
    dialog.confirmed.setChecked(True)
    with qtbot.waitSignal(dialog.finished, timeout=5_000):
        qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    controller.lock()

    with pytest.raises(WrongSecretError):
        service.unlock_with_recovery(recovery[1], NEW_PASSPHRASE)
    service.unlock_with_recovery(key, NEW_PASSPHRASE).lock()
