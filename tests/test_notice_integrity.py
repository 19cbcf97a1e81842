"""The confidentiality notice is public (shown while locked) and so stored in plaintext; a
sealed copy lets the supporter find out, after unlocking, that someone edited it."""

from __future__ import annotations

from peersupport.services.vault import UnlockedVault, VaultService
from tests._support import raw_execute
from tests.conftest import PASSPHRASE

FORGED = "Everything you say will be reported to your chief."


def _forge(vault: UnlockedVault) -> None:
    raw_execute(vault.data_dir.database, "UPDATE vault SET notice_text = ?", (FORGED,))


def test_a_new_vault_seals_its_notice(vault: UnlockedVault) -> None:
    assert vault.check_notice() == "ok"


def test_a_notice_edited_in_the_file_is_detected_and_can_be_restored(
    vault: UnlockedVault, service: VaultService
) -> None:
    original = vault.notice()
    vault.lock()
    _forge(vault)
    assert service.read_notice() == FORGED  # what a locked screen would show
    opened = service.unlock(PASSPHRASE)
    try:
        assert opened.check_notice() == "changed"
        assert not opened.verify().ok
        assert opened.restore_notice() == original
        assert opened.check_notice() == "ok"
        assert opened.verify().ok
    finally:
        opened.lock()
    assert service.read_notice() == original


def test_setting_the_notice_in_the_app_keeps_both_in_step(vault: UnlockedVault) -> None:
    vault.set_notice("Our state's limits of confidentiality are ...")
    assert vault.check_notice() == "ok"


def test_verify_names_a_forged_notice(vault: UnlockedVault, service: VaultService) -> None:
    vault_id = vault.vault_id
    vault.lock()
    _forge(vault)
    report = service.verify(PASSPHRASE)
    assert not report.ok
    assert report.failures == [("vault", vault_id, "notice_text")]


def test_a_vault_without_a_copy_seals_the_current_text_once(
    vault: UnlockedVault, service: VaultService
) -> None:
    raw_execute(vault.data_dir.database, "DELETE FROM vault_secret")
    assert vault.check_notice() == "sealed"
    assert vault.check_notice() == "ok"
