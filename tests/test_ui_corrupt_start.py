"""A damaged vault file at start (issue 7 §4): the app says so, names the latest automatic
backup, restores it without overwriting or deleting the damaged file, and unlocks after."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from peersupport.paths import DataDir
from peersupport.services.backup import automatic_backup
from peersupport.services.vault import UnlockedVault
from peersupport.ui import damaged_start
from peersupport.ui.app import AppController
from peersupport.ui.tasks import wait_for_tasks
from tests._support import sha256_file
from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE

GARBAGE = bytes(range(256)) * 256  # 64 KiB, not a database


def _damaged_vault_with_backups(vault: UnlockedVault) -> tuple[DataDir, Path, bytes]:
    from peersupport.domain.officer import Officer

    vault.add_officer(Officer(alias="Kept in the backup"))
    folder = vault.data_dir.backups
    automatic_backup(vault, folder, keep=5, now=datetime(2025, 1, 1, 9, 0, tzinfo=UTC))
    newest = automatic_backup(vault, folder, keep=5, now=datetime(2025, 2, 1, 9, 0, tzinfo=UTC))
    vault.lock()
    data = vault.data_dir
    data.database.write_bytes(GARBAGE)
    return data, newest, GARBAGE


def test_latest_automatic_backup_is_newest_by_name(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "peersupport-2025-01-01-090000.psbak").write_bytes(b"x")
    (b / "peersupport-2025-03-01-090000.psbak").write_bytes(b"x")
    (b / ".peersupport-2025-04-01-090000.psbak.abc.tmp").write_bytes(b"x")  # a killed write
    (b / "notes.psbak").write_bytes(b"x")
    assert damaged_start.latest_automatic_backup([a, b]) == b / (
        "peersupport-2025-03-01-090000.psbak")
    c = tmp_path / "c"
    c.mkdir()
    (c / "pre-migration-base-to-0007.psbak").write_bytes(b"x")
    assert damaged_start.latest_automatic_backup([c]) == c / "pre-migration-base-to-0007.psbak"
    assert damaged_start.latest_automatic_backup([tmp_path / "missing"]) is None


def test_a_damaged_vault_is_named_and_restored_beside_the_damaged_file(
    qtbot, vault: UnlockedVault
) -> None:
    data, newest, garbage = _damaged_vault_with_backups(vault)
    ctl = AppController(data.root, FAST_TEST_PROFILE)
    try:
        assert ctl.start()
        with qtbot.waitSignal(ctl.unlock_failed, timeout=20_000) as failed:
            ctl.unlock(PASSPHRASE)
        message = failed.args[0]
        assert "damaged" in message and newest.name in message
        assert ctl.window is not None and newest.name in ctl.window.lock_screen.status.text()
        assert data.database.read_bytes() == garbage  # nothing was changed yet

        box = ctl.damaged.box
        assert isinstance(box, QMessageBox) and box.isVisible()
        assert "damaged" in box.text()
        ctl.damaged.restore_button.click()
        dialog = ctl.damaged.dialog
        assert dialog is not None and dialog.isVisible()

        # a wrong passphrase: refused, nothing moved
        dialog.secret.setText("not the passphrase at all")
        dialog.ok_button.click()
        qtbot.waitUntil(lambda: dialog.status.isVisible(), timeout=20_000)
        assert "does not open this backup" in dialog.status.text()
        assert data.database.read_bytes() == garbage
        assert not list(data.root.glob("peersupport.db.damaged-*"))

        with qtbot.waitSignal(ctl.damaged.restored, timeout=20_000) as restored:
            dialog.secret.setText(PASSPHRASE)
            dialog.ok_button.click()
        aside = Path(restored.args[0])
        assert aside.parent == data.root and aside.name.startswith("peersupport.db.damaged-")
        assert aside.read_bytes() == garbage  # byte for byte, next to the restored one
        assert data.database.read_bytes()[:16] == b"SQLite format 3\x00"
        assert not list(data.root.glob(".restoring-*"))  # the staging folder is gone
        assert "kept as " + aside.name in ctl.window.lock_screen.status.text()

        with qtbot.waitSignal(ctl.unlocked, timeout=20_000):
            ctl.unlock(PASSPHRASE)
        assert ctl.vault is not None
        assert [o.alias for o in ctl.vault.checkins().officers()] == ["Kept in the backup"]
        assert ctl.vault.verify().ok
        assert sha256_file(newest)  # the backup itself is still there
    finally:
        ctl.shutdown()
        wait_for_tasks()


def test_a_damaged_vault_without_backups_says_so_and_offers_nothing(
    qtbot, vault: UnlockedVault
) -> None:
    vault.lock()
    data = vault.data_dir
    data.database.write_bytes(GARBAGE)
    ctl = AppController(data.root, FAST_TEST_PROFILE)
    try:
        assert ctl.start()
        with qtbot.waitSignal(ctl.unlock_failed, timeout=20_000) as failed:
            ctl.unlock(PASSPHRASE)
        assert "damaged" in failed.args[0] and "No automatic backup" in failed.args[0]
        assert ctl.damaged.restore_button is None
        assert data.database.read_bytes() == GARBAGE
    finally:
        ctl.shutdown()
        wait_for_tasks()
