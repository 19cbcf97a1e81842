"""The first-run wizard, driven the way a person would: typing, clicking, waiting."""

from __future__ import annotations

import errno
import re
import shutil
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QDialog,
    QFileDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QStyle,
    QWizard,
)

from peersupport.crypto.secret import SecretKey
from peersupport.domain.notice import DEFAULT_NOTICE
from peersupport.services.errors import VaultExistsError
from peersupport.services.vault import UnlockedVault, VaultService
from peersupport.ui import first_run
from peersupport.ui.first_run import FirstRunWizard, describe_creation_error
from peersupport.ui.recovery_kit import KIT_FILE_NAME, write_recovery_kit
from peersupport.ui.tasks import wait_for_tasks
from tests.conftest import FAST_TEST_PROFILE, NEW_PASSPHRASE, PASSPHRASE

KEY_PATTERN = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){6}$")
EDITED_NOTICE = "CONFIDENTIALITY IN OHIO: what you tell a peer supporter stays private"
B = QWizard.WizardButton


@pytest.fixture
def opened() -> Iterator[list[UnlockedVault]]:
    """Every vault a test gets goes here and is locked at the end."""
    vaults: list[UnlockedVault] = []
    yield vaults
    wait_for_tasks()
    for vault in vaults:
        if not vault.is_locked:
            vault.lock()


@pytest.fixture
def issued_keys(monkeypatch: pytest.MonkeyPatch) -> list[SecretKey]:
    """The SecretKey objects the wizard was given, to check it wipes them."""
    keys: list[SecretKey] = []
    real = first_run.new_recovery_key

    def spy() -> tuple[SecretKey, str]:
        key, text = real()
        keys.append(key)
        return key, text

    monkeypatch.setattr(first_run, "new_recovery_key", spy)
    return keys


def make_wizard(qtbot, service: VaultService, opened: list[UnlockedVault],
                *, as_supporter: bool = True) -> FirstRunWizard:
    """The wizard on its welcome page: "I am a peer supporter" chosen on the role page."""
    wizard = FirstRunWizard(service)
    qtbot.addWidget(wizard)
    wizard.vault_created.connect(opened.append)
    wizard.show()
    qtbot.waitExposed(wizard)
    if as_supporter:
        choose_supporter(qtbot, wizard)
    return wizard


def choose_supporter(qtbot, wizard: FirstRunWizard) -> None:
    assert wizard.currentPage() is wizard.role_page
    click(qtbot, wizard.role_page.supporter)
    press_next(qtbot, wizard)
    assert wizard.currentPage() is wizard.welcome_page


@pytest.fixture
def wizard(qtbot, service: VaultService, opened: list[UnlockedVault],
           issued_keys: list[SecretKey]) -> Iterator[FirstRunWizard]:
    w = make_wizard(qtbot, service, opened)
    yield w
    wait_for_tasks()


def click(qtbot, button: QAbstractButton) -> None:
    if isinstance(button, QCheckBox):  # a stretched check box only reacts on its box and text
        at = QPoint(button.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth) // 2 + 1,
                    button.height() // 2)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=at)
    else:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def press_next(qtbot, wizard: FirstRunWizard) -> None:
    button = wizard.button(B.NextButton)
    assert button.isEnabled()
    click(qtbot, button)


def go_to_passphrase(qtbot, wizard: FirstRunWizard) -> None:
    if wizard.currentPage() is wizard.role_page:  # e.g. after a restart
        choose_supporter(qtbot, wizard)
    press_next(qtbot, wizard)  # welcome -> notice
    press_next(qtbot, wizard)  # notice -> passphrase
    assert wizard.currentPage() is wizard.passphrase_page


def type_passphrase(qtbot, wizard: FirstRunWizard, first: str, second: str) -> None:
    chooser = wizard.passphrase_page.chooser
    chooser.first.clear()
    chooser.second.clear()
    qtbot.keyClicks(chooser.first, first)
    qtbot.keyClicks(chooser.second, second)


def go_to_key(qtbot, wizard: FirstRunWizard) -> str:
    go_to_passphrase(qtbot, wizard)
    type_passphrase(qtbot, wizard, PASSPHRASE, PASSPHRASE)
    press_next(qtbot, wizard)
    assert wizard.currentPage() is wizard.key_page
    return wizard.key_page.key_label.text()


def go_to_confirm(qtbot, wizard: FirstRunWizard) -> str:
    shown = go_to_key(qtbot, wizard)
    click(qtbot, wizard.key_page.confirmed)
    press_next(qtbot, wizard)
    assert wizard.currentPage() is wizard.confirm_page
    return shown


def expected_group(wizard: FirstRunWizard, shown: str) -> str:
    return shown.split("-")[wizard.confirm_page.group_number - 1]


def type_group(qtbot, wizard: FirstRunWizard, text: str) -> None:
    entry = wizard.confirm_page.entry
    entry.clear()
    qtbot.keyClicks(entry, text)


def create(qtbot, wizard: FirstRunWizard) -> None:
    """From a satisfied confirm page: press Create vault and wait until it is ready."""
    commit = wizard.button(B.CommitButton)
    assert commit.isEnabled()
    click(qtbot, commit)
    assert wizard.currentPage() is wizard.create_page
    qtbot.waitUntil(lambda: wizard.button(B.FinishButton).isEnabled(), timeout=20_000)


# -- pages one by one ---------------------------------------------------------------------------
def test_role_page_comes_first_with_no_back(qtbot, service: VaultService,
                                            opened: list[UnlockedVault]) -> None:
    wizard = make_wizard(qtbot, service, opened, as_supporter=False)
    page = wizard.role_page
    assert wizard.currentPage() is page
    assert page.title() == "How will you use Peer Support?"
    assert page.supporter.text() == "I am a &peer supporter"
    assert page.supervisor.text() == (
        "I am a program &supervisor (I receive anonymized statistics only)")
    assert page.supporter.isChecked()  # the usual choice is ready; Next continues with it
    assert not wizard.button(B.BackButton).isVisible()
    click(qtbot, page.supervisor)
    press_next(qtbot, wizard)
    assert wizard.currentPage() is wizard.supervisor_page
    click(qtbot, wizard.button(B.BackButton))
    assert wizard.currentPage() is page


def test_welcome_explains_limits_and_goes_back_to_the_role(
    qtbot, wizard: FirstRunWizard
) -> None:
    assert wizard.windowTitle() == "Set up Peer Support"
    assert wizard.wizardStyle() == QWizard.WizardStyle.ModernStyle
    assert wizard.minimumWidth() >= 640 and wizard.minimumHeight() >= 520
    text = wizard.welcome_page.text.text()
    for phrase in ("AES-256", "not your department", "full-disk encryption", "memory",
                   "watches your screen", "gone"):
        assert phrase in text
    click(qtbot, wizard.button(B.BackButton))
    assert wizard.currentPage() is wizard.role_page


def test_notice_is_prefilled_validated_and_restorable(qtbot, wizard: FirstRunWizard) -> None:
    press_next(qtbot, wizard)
    page = wizard.notice_page
    assert wizard.currentPage() is page
    assert page.editor.toPlainText() == DEFAULT_NOTICE
    qtbot.keyClick(page.editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(page.editor, "Be nice.")
    assert not wizard.button(B.NextButton).isEnabled()
    assert "too short" in page.problem.text()
    click(qtbot, page.restore)
    assert page.editor.toPlainText() == DEFAULT_NOTICE
    assert page.problem.text() == ""
    assert wizard.button(B.NextButton).isEnabled()


def test_weak_passphrase_keeps_next_disabled(qtbot, wizard: FirstRunWizard) -> None:
    go_to_passphrase(qtbot, wizard)
    type_passphrase(qtbot, wizard, "password1", "password1")
    assert not wizard.button(B.NextButton).isEnabled()
    assert "Very weak" in wizard.passphrase_page.chooser.meter.format()


def test_mismatched_repeat_keeps_next_disabled(qtbot, wizard: FirstRunWizard) -> None:
    go_to_passphrase(qtbot, wizard)
    type_passphrase(qtbot, wizard, PASSPHRASE, PASSPHRASE + "x")
    assert not wizard.button(B.NextButton).isEnabled()
    assert "do not match" in wizard.passphrase_page.chooser.mismatch.text()
    qtbot.keyClick(wizard.passphrase_page.chooser.second, Qt.Key.Key_Backspace)
    assert wizard.button(B.NextButton).isEnabled()


def test_key_is_shown_once_and_kept_when_going_back(
    qtbot, wizard: FirstRunWizard, issued_keys: list[SecretKey]
) -> None:
    shown = go_to_key(qtbot, wizard)
    assert KEY_PATTERN.match(shown)
    label = wizard.key_page.key_label
    assert label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert label.font().styleHint() == QFont.StyleHint.Monospace
    assert not wizard.button(B.NextButton).isEnabled()  # the checkbox is required
    click(qtbot, wizard.key_page.confirmed)
    assert wizard.button(B.NextButton).isEnabled()

    click(qtbot, wizard.button(B.BackButton))
    press_next(qtbot, wizard)
    assert wizard.key_page.key_label.text() == shown
    assert len(issued_keys) == 1


def test_restart_generates_a_new_key_and_wipes_the_old(
    qtbot, wizard: FirstRunWizard, issued_keys: list[SecretKey]
) -> None:
    first = go_to_key(qtbot, wizard)
    wizard.restart()
    assert issued_keys[0].is_wiped()
    second = go_to_key(qtbot, wizard)
    assert second != first
    assert len(issued_keys) == 2


def test_wrong_group_blocks_and_right_group_proceeds(qtbot, wizard: FirstRunWizard) -> None:
    shown = go_to_confirm(qtbot, wizard)
    page = wizard.confirm_page
    n = page.group_number
    assert 2 <= n <= 7
    assert f"group {n}" in page.prompt.text()
    right = expected_group(wizard, shown)
    wrong = shown.split("-")[0] if shown.split("-")[0] != right else "ZZZZ"
    type_group(qtbot, wizard, wrong)
    assert not wizard.button(B.CommitButton).isEnabled()
    assert f"not group {n}" in page.feedback.text()

    # forgiving: small letters, O for 0, L for 1
    type_group(qtbot, wizard, right.lower().replace("0", "o").replace("1", "l"))
    assert wizard.button(B.CommitButton).isEnabled()
    assert page.feedback.text() == "That matches."


def test_back_from_confirm_shows_the_same_key(qtbot, wizard: FirstRunWizard) -> None:
    shown = go_to_confirm(qtbot, wizard)
    n = wizard.confirm_page.group_number
    click(qtbot, wizard.button(B.BackButton))
    assert wizard.currentPage() is wizard.key_page
    assert wizard.key_page.key_label.text() == shown
    press_next(qtbot, wizard)
    assert wizard.confirm_page.group_number == n
    assert wizard.confirm_page.entry.text() == ""


# -- the whole run ------------------------------------------------------------------------------
def test_full_run_creates_a_vault_that_opens_both_ways(
    qtbot, wizard: FirstRunWizard, service: VaultService, opened: list[UnlockedVault],
    issued_keys: list[SecretKey],
) -> None:
    press_next(qtbot, wizard)
    editor = wizard.notice_page.editor
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, EDITED_NOTICE)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "except as Ohio law requires.")
    notice = wizard.notice_page.editor.toPlainText()
    assert notice == EDITED_NOTICE + "\nexcept as Ohio law requires."
    press_next(qtbot, wizard)
    type_passphrase(qtbot, wizard, PASSPHRASE, PASSPHRASE)
    press_next(qtbot, wizard)
    shown = wizard.key_page.key_label.text()
    click(qtbot, wizard.key_page.confirmed)
    press_next(qtbot, wizard)
    type_group(qtbot, wizard, expected_group(wizard, shown))

    create(qtbot, wizard)
    assert not opened  # handed over on Finish, not before
    assert wizard.create_page.title() == "Your vault is ready"
    assert not wizard.button(B.BackButton).isEnabled()
    assert not wizard.button(B.CancelButton).isEnabled()
    # nothing secret left in the wizard
    assert wizard.passphrase_page.chooser.first.text() == ""
    assert wizard.passphrase_page.chooser.second.text() == ""
    assert wizard.key_page.key_label.text() == ""
    assert issued_keys[0].is_wiped()

    with qtbot.waitSignal(wizard.vault_created, timeout=5_000) as blocker:
        click(qtbot, wizard.button(B.FinishButton))
    vault = blocker.args[0]
    assert isinstance(vault, UnlockedVault)
    assert opened == [vault]
    assert wizard.result() == QDialog.DialogCode.Accepted.value
    assert service.data_dir.database.exists()
    assert vault.notice() == notice
    vault.lock()

    by_passphrase = service.unlock(PASSPHRASE)
    opened.append(by_passphrase)
    assert by_passphrase.vault_id == vault.vault_id
    assert by_passphrase.notice() == notice
    by_passphrase.lock()

    by_recovery = service.unlock_with_recovery(shown, NEW_PASSPHRASE)
    opened.append(by_recovery)
    assert by_recovery.vault_id == vault.vault_id
    by_recovery.lock()


def test_closing_after_creation_still_hands_over_the_vault(
    qtbot, wizard: FirstRunWizard, opened: list[UnlockedVault]
) -> None:
    shown = go_to_confirm(qtbot, wizard)
    type_group(qtbot, wizard, expected_group(wizard, shown))
    create(qtbot, wizard)
    with qtbot.waitSignal(wizard.vault_created, timeout=5_000):
        qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert wizard.result() == QDialog.DialogCode.Accepted.value
    assert len(opened) == 1
    wizard.reject()  # a second close emits nothing more
    assert len(opened) == 1


class GatedService(VaultService):
    """A real service whose create() waits until the test opens the gate."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gate = threading.Event()

    def create(self, *args, **kwargs) -> UnlockedVault:
        self.gate.wait(10)
        return super().create(*args, **kwargs)


def test_cannot_go_back_or_cancel_while_creating(
    qtbot, data_dir, opened: list[UnlockedVault], issued_keys: list[SecretKey]
) -> None:
    service = GatedService(data_dir, FAST_TEST_PROFILE)
    wizard = make_wizard(qtbot, service, opened)
    try:
        shown = go_to_confirm(qtbot, wizard)
        type_group(qtbot, wizard, expected_group(wizard, shown))
        click(qtbot, wizard.button(B.CommitButton))
        page = wizard.create_page
        assert page.progress.isVisible()
        assert (page.progress.minimum(), page.progress.maximum()) == (0, 0)
        assert "Creating your vault" in page.status.text()
        assert not wizard.button(B.BackButton).isEnabled()
        assert not wizard.button(B.CancelButton).isEnabled()
        assert not wizard.button(B.FinishButton).isEnabled()
        qtbot.keyClick(wizard, Qt.Key.Key_Escape)
        assert not wizard.close()
        assert wizard.isVisible()
    finally:
        service.gate.set()
    qtbot.waitUntil(lambda: wizard.button(B.FinishButton).isEnabled(), timeout=20_000)
    assert not page.progress.isVisible()
    with qtbot.waitSignal(wizard.vault_created, timeout=5_000):
        click(qtbot, wizard.button(B.FinishButton))
    wait_for_tasks()


class FlakyDiskService(VaultService):
    """Fails once the way a full disk does, then works."""

    failures = 1

    def create(self, *args, **kwargs) -> UnlockedVault:
        if self.failures:
            self.failures -= 1
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().create(*args, **kwargs)


def test_disk_full_shows_a_message_and_try_again_works(
    qtbot, data_dir, opened: list[UnlockedVault], issued_keys: list[SecretKey]
) -> None:
    service = FlakyDiskService(data_dir, FAST_TEST_PROFILE)
    wizard = make_wizard(qtbot, service, opened)
    shown = go_to_confirm(qtbot, wizard)
    type_group(qtbot, wizard, expected_group(wizard, shown))
    click(qtbot, wizard.button(B.CommitButton))
    page = wizard.create_page
    qtbot.waitUntil(lambda: page.retry.isVisible(), timeout=10_000)
    assert "disk is full" in page.error.text()
    assert not wizard.button(B.FinishButton).isEnabled()
    assert wizard.button(B.CancelButton).isEnabled()
    assert not issued_keys[0].is_wiped()  # still needed for the retry
    assert wizard.passphrase_page.chooser.first.text() == PASSPHRASE

    click(qtbot, page.retry)
    qtbot.waitUntil(lambda: wizard.button(B.FinishButton).isEnabled(), timeout=20_000)
    assert not page.error.isVisible()
    with qtbot.waitSignal(wizard.vault_created, timeout=5_000) as blocker:
        click(qtbot, wizard.button(B.FinishButton))
    wait_for_tasks()
    blocker.args[0].lock()
    by_recovery = service.unlock_with_recovery(shown, NEW_PASSPHRASE)
    opened.append(by_recovery)
    by_recovery.lock()


def test_existing_vault_is_never_overwritten(
    qtbot, data_dir, opened: list[UnlockedVault], issued_keys: list[SecretKey]
) -> None:
    service = VaultService(data_dir, FAST_TEST_PROFILE)
    original = service.create(PASSPHRASE, SecretKey.random(16))
    opened.append(original)
    original.lock()
    before = data_dir.database.read_bytes()

    wizard = make_wizard(qtbot, service, opened)
    shown = go_to_confirm(qtbot, wizard)
    type_group(qtbot, wizard, expected_group(wizard, shown))
    click(qtbot, wizard.button(B.CommitButton))
    page = wizard.create_page
    qtbot.waitUntil(lambda: page.retry.isVisible(), timeout=10_000)
    assert "already a vault" in page.error.text()
    assert data_dir.database.read_bytes() == before
    with qtbot.assertNotEmitted(wizard.vault_created):
        click(qtbot, wizard.button(B.CancelButton))
    assert wizard.result() == QDialog.DialogCode.Rejected.value
    wait_for_tasks()


def test_error_messages_are_plain() -> None:
    assert "already a vault" in describe_creation_error(VaultExistsError("x"))
    assert "disk is full" in describe_creation_error(OSError(errno.ENOSPC, "full"))
    assert "Permission denied" in describe_creation_error(PermissionError(13, "Permission denied"))
    assert "Try again" in describe_creation_error(RuntimeError("boom"))


# -- the recovery kit ---------------------------------------------------------------------------
def test_save_as_pdf_from_the_key_page(
    qtbot, wizard: FirstRunWizard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "kit"  # no suffix: the wizard adds .pdf
    suggested: list[str] = []

    def fake_dialog(parent, caption, directory, filters, *args, **kwargs):
        suggested.append(directory)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_dialog)
    go_to_key(qtbot, wizard)
    click(qtbot, wizard.key_page.save_pdf)
    saved = tmp_path / "kit.pdf"
    assert saved.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(saved.stat().st_mode) & 0o077 == 0
    assert suggested[0].endswith(KIT_FILE_NAME)
    assert "Saved" in wizard.key_page.status.text()


def test_save_as_pdf_cancelled_writes_nothing(
    qtbot, wizard: FirstRunWizard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    go_to_key(qtbot, wizard)
    click(qtbot, wizard.key_page.save_pdf)
    assert wizard.key_page.status.text() == ""


def test_write_recovery_kit_makes_a_pdf_with_the_key(qapp, tmp_path: Path) -> None:
    key = "7DQ9-KZAG-QGNP-CAR9-HCYR-JN97-VPYG"
    path = tmp_path / KIT_FILE_NAME
    write_recovery_kit(str(path), key, "July 2025")
    assert path.read_bytes().startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext is not installed; the PDF text was not checked")
    text = subprocess.run(
        [pdftotext, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert key in text
    assert "July 2025" in text
    assert "Where I keep this page" in text


# -- accessibility ------------------------------------------------------------------------------
def test_every_input_and_button_has_an_accessible_name(qtbot, wizard: FirstRunWizard) -> None:
    widgets = [
        *wizard.findChildren(QAbstractButton), *wizard.findChildren(QLineEdit),
        *wizard.findChildren(QPlainTextEdit),
    ]
    named = [w for w in widgets if w.accessibleName()]
    unnamed = [w.objectName() or type(w).__name__ for w in widgets if not w.accessibleName()]
    assert len(named) > 10
    assert not unnamed
    for which in (B.BackButton, B.NextButton, B.CommitButton, B.FinishButton):
        assert "&" in wizard.buttonText(which)
    pages = (wizard.notice_page, wizard.key_page, wizard.create_page)
    for page in pages:
        for button in page.findChildren(QAbstractButton):
            assert "&" in button.text()
    assert wizard.notice_page.findChildren(QLabel)  # buddy labels exist
