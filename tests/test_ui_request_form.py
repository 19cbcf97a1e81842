"""Follow-up requests from officers, driven like a person: the lock screen's "Request a
follow-up" dialog, flood protection, input errors, the card mode's sealed file, and that
nothing an officer typed stays in any widget afterwards."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from peersupport import settings as settings_mod
from peersupport.domain.follow_request import URGENT_NOW, VIA_FILE, reference_code
from peersupport.services.requests import RequestDrop
from peersupport.services.vault import UnlockedVault
from peersupport.ui import request_window
from peersupport.ui.app import AppController
from peersupport.ui.request_form import (
    FORM_PAGE,
    NOTICE_PAGE,
    RECEIPT_PAGE,
    RequestForm,
)
from peersupport.ui.request_window import RequestWindow, load_card, run_request_gui
from peersupport.ui.tasks import wait_for_tasks
from tests._support import raw_query, scan_bytes
from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE

ADDRESS = "Zq4CanaryAddressSgtK"
EMAIL = "zq4canary.mail@example.invalid"
TIMES = "Zq4CanaryTimesAfterNights"
MESSAGE = "Zq4CanaryMessage rough call last week\nsecond line"
CANARIES = (ADDRESS, EMAIL, TIMES, "Zq4CanaryMessage", "second line")
CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


# -- helpers ---------------------------------------------------------------------------------
@pytest.fixture
def locked_vault(vault: UnlockedVault) -> UnlockedVault:
    vault.lock()
    return vault


def _controller(qtbot, root: Path) -> AppController:
    ctl = AppController(root, FAST_TEST_PROFILE)
    with qtbot.waitSignal(ctl.ready, timeout=5_000):
        assert ctl.start()
    assert ctl.window is not None
    qtbot.addWidget(ctl.window)
    return ctl


@pytest.fixture
def controller(qtbot, locked_vault: UnlockedVault) -> Iterator[AppController]:
    ctl = _controller(qtbot, locked_vault.data_dir.root)
    yield ctl
    ctl.shutdown()
    wait_for_tasks()


def _open_dialog(qtbot, ctl: AppController) -> tuple[QDialog, RequestForm]:
    screen = ctl.window.lock_screen
    assert screen.request_button.isVisible() and screen.request_button.isEnabled()
    qtbot.mouseClick(screen.request_button, Qt.MouseButton.LeftButton)
    dialog = ctl._request_dialog
    assert dialog is not None and dialog.objectName() == "requestFormDialog"
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    assert dialog.isModal()
    form = dialog.findChild(RequestForm)
    assert form is not None
    qtbot.waitUntil(form.continue_button.isEnabled, timeout=10_000)  # the notice is loaded
    return dialog, form


def _continue(qtbot, form: RequestForm) -> None:
    assert form.page() == NOTICE_PAGE
    qtbot.mouseClick(form.continue_button, Qt.MouseButton.LeftButton)
    assert form.page() == FORM_PAGE and form.address_as.isVisible()
    assert form.window().focusWidget() is form.address_as  # ready to type


def _fill(qtbot, form: RequestForm, *, method: str = "email", contact: str = EMAIL) -> None:
    qtbot.keyClicks(form.address_as, ADDRESS)
    form.method.setCurrentIndex(form.method.findData(method))
    if contact:
        qtbot.keyClicks(form.contact, contact)
    qtbot.keyClicks(form.best_times, TIMES)
    first_line, second_line = MESSAGE.split("\n")
    qtbot.keyClicks(form.message, first_line)
    qtbot.keyClick(form.message, Qt.Key.Key_Return)
    qtbot.keyClicks(form.message, second_line)
    assert form.message.toPlainText() == MESSAGE


def _send_and_wait_for_receipt(qtbot, form: RequestForm) -> str:
    qtbot.mouseClick(form.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.page() == RECEIPT_PAGE, timeout=10_000)
    return form.reference.text()


def _visible_numbers(panel: QWidget) -> set[str]:
    return {label.text() for label in panel.findChildren(QLabel) if label.isVisible()}


def _typed_text_left(root: QWidget) -> list[str]:
    """Every place a canary could still be in ``root``: texts, and what undo brings back."""
    found: list[str] = []
    for edit in root.findChildren(QLineEdit):
        for text in (edit.text(), edit.placeholderText()):
            found.append(text)
        edit.undo()  # QLineEdit.clear() can be undone; the form must not allow it
        found.append(edit.text())
        edit.redo()
        found.append(edit.text())
    for plain in root.findChildren(QPlainTextEdit):
        found.append(plain.toPlainText())
        plain.undo()
        found.append(plain.toPlainText())
    for combo in root.findChildren(QComboBox):
        found.append(combo.currentText())
    for label in root.findChildren(QLabel):
        found.append(label.text())
    return [t for t in found if any(c.lower() in t.lower() for c in CANARIES)]


def _request_ids(db: Path) -> list[str]:
    return [str(r[0]) for r in raw_query(db, "SELECT id FROM follow_request")]


# -- 1: the whole flow on the lock screen ------------------------------------------------------
def test_officer_leaves_an_urgent_request_on_the_lock_screen(
    qtbot, controller: AppController, locked_vault: UnlockedVault, monkeypatch
):
    urgent_calls: list[int] = []
    original = AppController.notify_urgent_request

    def counted(self: AppController) -> None:
        urgent_calls.append(1)
        original(self)

    monkeypatch.setattr(AppController, "notify_urgent_request", counted)
    screen = controller.window.lock_screen
    qtbot.wait(200)
    assert not screen.new_requests.isVisible()  # none yet

    dialog, form = _open_dialog(qtbot, controller)
    # the confidentiality notice comes first, with whom the request goes to
    notice = RequestDrop(locked_vault.data_dir).notice()
    assert form.page() == NOTICE_PAGE and form.notice_view.isVisible()
    assert form.notice_view.toPlainText() == notice and "CONFIDENTIALITY" in notice
    card = RequestDrop(locked_vault.data_dir).card()
    assert form.recipient.isVisible() and card.fingerprint in form.recipient.text()
    assert not form.address_as.isVisible()  # the form itself only after Continue

    _continue(qtbot, form)
    _fill(qtbot, form)
    assert form.counter.text() == f"{len(MESSAGE)} / 2,000"
    assert form.routine.isChecked() and not form.crisis_panel.isVisible()
    qtbot.mouseClick(form.urgent, Qt.MouseButton.LeftButton)
    assert form.urgent.isChecked()
    # before anything is sent, the crisis lines are on screen, above the form
    assert form.crisis_panel.isVisible()
    shown = _visible_numbers(form.crisis_panel)
    assert {"988", "1-800-267-5463"} <= shown
    assert form.crisis_panel.y() < form.address_as.mapTo(form.stack.currentWidget(),
                                                         form.address_as.rect().topLeft()).y()

    reference = _send_and_wait_for_receipt(qtbot, form)
    ids = _request_ids(locked_vault.data_dir.database)
    assert len(ids) == 1
    assert CODE.match(reference) and reference == reference_code(ids[0])
    assert reference == f"{ids[0][:4]}-{ids[0][4:8]}".upper()
    assert "was sent" in " ".join(label.text() for label in dialog.findChildren(QLabel)
                                  if label.isVisible())
    assert {"988", "1-800-267-5463"} <= _visible_numbers(form.receipt_crisis)

    # nothing the officer typed is left in any widget, nor behind undo
    assert _typed_text_left(dialog) == []
    assert form.routine.isChecked() and form.method.currentIndex() == 0
    assert not form.message.document().isUndoAvailable()

    assert urgent_calls == [1]
    if controller.tray is None or not controller.tray.available:
        assert controller.window.statusBar().currentMessage() == "Urgent follow-up request"
    qtbot.waitUntil(lambda: screen.new_requests.isVisible()
                    and screen.new_requests.text() == "1 new request", timeout=5_000)

    qtbot.mouseClick(form.done_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller._request_dialog is None and not dialog.isVisible(),
                    timeout=5_000)

    # the supporter unlocks and reads it, with what was typed
    qtbot.keyClicks(screen.passphrase, PASSPHRASE)
    with qtbot.waitSignal(controller.unlocked, timeout=10_000):
        qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    assert not controller._request_timer.isActive()  # no counting while unlocked
    requests = controller.vault.requests()
    requests.receive_pending()
    inbox = requests.inbox()
    [record] = [r for r in inbox.requests if r.reference == reference]
    assert record.urgency == URGENT_NOW
    assert record.request.address_as == ADDRESS
    assert (record.request.contact_method, record.request.contact) == ("email", EMAIL)
    assert record.request.best_times == TIMES
    assert record.request.message == MESSAGE
    controller.lock()
    assert controller._request_timer.isActive()  # counting again once locked


# -- 2: flood protection ------------------------------------------------------------------------
def test_a_second_request_within_the_minute_is_refused_and_nothing_is_written(
    qtbot, locked_vault: UnlockedVault
):
    data = locked_vault.data_dir
    settings_mod.save(data.settings, settings_mod.Settings(request_rate_per_minute=1))
    ctl = _controller(qtbot, data.root)
    try:
        dialog, form = _open_dialog(qtbot, ctl)
        _continue(qtbot, form)
        _fill(qtbot, form)
        first = _send_and_wait_for_receipt(qtbot, form)
        assert len(_request_ids(data.database)) == 1
        qtbot.mouseClick(form.done_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: ctl._request_dialog is None, timeout=5_000)

        dialog, form = _open_dialog(qtbot, ctl)
        _continue(qtbot, form)
        _fill(qtbot, form)
        qtbot.mouseClick(form.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: form.status.isVisible() and "Too many" in form.status.text(),
                        timeout=10_000)
        assert "wait" in form.status.text() and "988" in form.status.text()
        assert form.page() == FORM_PAGE
        assert form.address_as.text() == ADDRESS  # nothing typed is lost
        assert form.message.toPlainText() == MESSAGE
        assert form.send_button.isEnabled()
        assert _request_ids(data.database) == [_request_ids(data.database)[0]]
        assert reference_code(_request_ids(data.database)[0]) == first
        dialog.reject()
    finally:
        ctl.shutdown()
        wait_for_tasks()


# -- 3: input the request cannot carry ---------------------------------------------------------
def test_email_without_an_address_is_explained_and_keeps_what_was_typed(
    qtbot, controller: AppController, locked_vault: UnlockedVault
):
    _dialog, form = _open_dialog(qtbot, controller)
    _continue(qtbot, form)
    _fill(qtbot, form, method="email", contact="")
    assert form.contact.placeholderText().startswith("E-mail")
    assert form.contact.accessibleName() == "E-mail address"
    qtbot.mouseClick(form.send_button, Qt.MouseButton.LeftButton)
    assert form.status.isVisible()
    assert "Add the e-mail to reach you at" in form.status.text()
    assert form.page() == FORM_PAGE
    assert (form.address_as.text(), form.best_times.text()) == (ADDRESS, TIMES)
    assert form.message.toPlainText() == MESSAGE
    assert form.method.currentData() == "email"
    qtbot.wait(100)
    assert _request_ids(locked_vault.data_dir.database) == []


def test_message_has_a_hard_limit_and_a_live_counter(qtbot, controller: AppController):
    _dialog, form = _open_dialog(qtbot, controller)
    _continue(qtbot, form)
    qtbot.keyClicks(form.message, "abc")
    assert form.counter.text() == "3 / 2,000"
    form.message.insertPlainText("x" * 2500)  # a large paste
    assert len(form.message.toPlainText()) == 2000
    assert form.counter.text() == "2,000 / 2,000"


# -- 4: the card mode ------------------------------------------------------------------------
def test_request_card_window_writes_a_sealed_file_the_vault_imports(
    qtbot, vault: UnlockedVault, tmp_path: Path, monkeypatch
):
    card = vault.requests().card()
    card_path = tmp_path / "supporter.pscard"
    card_path.write_text(card.to_text(), encoding="utf-8")
    window = RequestWindow(None, load_card(card_path))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == "Request a follow-up - Peer Support"
    form = window.form
    assert form.page() == NOTICE_PAGE and form.continue_button.isEnabled()
    assert card.fingerprint in form.recipient.text()

    chosen: list[str] = []
    answers = [("", ""), (str(tmp_path / "out" / "my-request"), "")]

    def fake_save(_parent, _title, suggested, _filters):
        chosen.append(suggested)
        return answers.pop(0)

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_save)
    _continue(qtbot, form)
    _fill(qtbot, form, method="phone", contact="555-0100")
    # the officer closes the save dialog: nothing is written, nothing typed is lost
    qtbot.mouseClick(form.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "no file was chosen" in form.status.text(), timeout=10_000)
    assert form.page() == FORM_PAGE and form.address_as.text() == ADDRESS
    assert not (tmp_path / "out").exists()

    reference = _send_and_wait_for_receipt(qtbot, form)
    assert re.fullmatch(r".*request-[0-9A-Z]{4}-[0-9A-Z]{4}\.psreq", chosen[-1])
    written = tmp_path / "out" / "my-request.psreq"
    assert written.is_file() and (written.stat().st_mode & 0o777) == 0o600
    assert str(written) in form.delivered.text() and form.delivered.isVisible()
    data = written.read_bytes()
    assert scan_bytes(data, CANARIES) == []  # sealed, not in the clear
    assert _typed_text_left(window) == []

    record = vault.requests().import_file(data)
    assert record.reference == reference
    assert record.request.via == VIA_FILE
    assert (record.request.address_as, record.request.contact) == (ADDRESS, "555-0100")
    assert record.request.message == MESSAGE

    qtbot.mouseClick(form.done_button, Qt.MouseButton.LeftButton)
    assert form.page() == NOTICE_PAGE and window.isVisible()  # ready for the next officer
    assert _typed_text_left(window) == []


@pytest.mark.parametrize(("content", "expected"), [
    (b"not a card at all", "not a peersupport request card"),
    (None, "fingerprint does not match"),
])
def test_a_corrupt_card_gives_a_clear_error_and_exit_code_2(
    qtbot, vault: UnlockedVault, tmp_path: Path, monkeypatch, content, expected
):
    card_path = tmp_path / "broken.pscard"
    if content is None:  # one character of the key changed
        text = vault.requests().card().to_text()
        key_at = text.index('"public_key":"') + len('"public_key":"')
        flipped = "1" if text[key_at] != "1" else "2"
        content = (text[:key_at] + flipped + text[key_at + 1:]).encode()
    card_path.write_bytes(content)
    shown: list[str] = []
    monkeypatch.setattr(request_window, "_show_error", shown.append)
    assert run_request_gui(tmp_path / "no-vault-here", card_path) == 2
    assert len(shown) == 1
    assert "broken.pscard cannot be used as a request card" in shown[0]
    assert expected in shown[0]
    assert "Traceback" not in shown[0]


def test_standalone_window_without_a_vault_says_so_instead_of_the_form(
    qtbot, tmp_path: Path
):
    window = RequestWindow(None)
    qtbot.addWidget(window)
    window.show()
    assert form_page_hidden(window.form)
    assert "no Peer Support vault" in window.form.unavailable.text()
    assert {"988", "1-800-267-5463"} <= {
        label.text() for label in window.form.findChildren(QLabel) if label.isVisible()}


def test_standalone_window_for_a_vault_without_a_request_key_explains_why(
    qtbot, locked_vault: UnlockedVault
):
    from tests._support import raw_execute

    raw_execute(locked_vault.data_dir.database, "DELETE FROM request_key")
    window = RequestWindow(locked_vault.data_dir)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.form.unavailable.isVisible(), timeout=10_000)
    assert "cannot take requests yet" in window.form.unavailable.text()
    assert form_page_hidden(window.form)
    qtbot.mouseClick(window.form.close_button, Qt.MouseButton.LeftButton)
    assert not window.isVisible()


def form_page_hidden(form: RequestForm) -> bool:
    return not form.address_as.isVisible() and not form.continue_button.isVisible()


# -- 5: cancelling clears everything -------------------------------------------------------------
def test_escape_clears_the_standalone_form_for_the_next_officer(
    qtbot, locked_vault: UnlockedVault
):
    window = RequestWindow(locked_vault.data_dir)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.form.continue_button.isEnabled, timeout=10_000)
    form = window.form
    _continue(qtbot, form)
    _fill(qtbot, form)
    qtbot.mouseClick(form.within_24h, Qt.MouseButton.LeftButton)
    assert form.address_as.text() == ADDRESS and form.within_24h.isChecked()
    qtbot.keyClick(form.best_times, Qt.Key.Key_Escape)
    assert form.page() == NOTICE_PAGE
    assert form.routine.isChecked()
    assert _typed_text_left(window) == []
    assert _request_ids(locked_vault.data_dir.database) == []


def test_cancel_closes_the_dialog_and_no_widget_keeps_the_text(
    qtbot, controller: AppController, locked_vault: UnlockedVault
):
    dialog, form = _open_dialog(qtbot, controller)
    _continue(qtbot, form)
    _fill(qtbot, form)
    assert form.address_as.text() == ADDRESS
    qtbot.mouseClick(form.form_cancel, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and controller._request_dialog is None
    assert form.address_as.text() == "" and form.message.toPlainText() == ""
    qtbot.waitUntil(lambda: not any(
        isinstance(w, RequestForm) for w in QApplication.allWidgets()), timeout=5_000)
    assert _request_ids(locked_vault.data_dir.database) == []


def test_unlocking_closes_an_open_request_form(qtbot, controller: AppController):
    dialog, form = _open_dialog(qtbot, controller)
    _continue(qtbot, form)
    _fill(qtbot, form)
    with qtbot.waitSignal(controller.unlocked, timeout=10_000):
        controller.unlock(PASSPHRASE)
    assert not dialog.isVisible() and controller._request_dialog is None
    qtbot.waitUntil(lambda: not any(
        isinstance(w, RequestForm) for w in QApplication.allWidgets()), timeout=5_000)
    leftover = [w for w in QApplication.allWidgets() if isinstance(w, QLineEdit | QLabel)
                and any(c in (w.text() or "") for c in CANARIES)]
    assert leftover == []


def test_the_form_works_with_the_keyboard_alone(qtbot, locked_vault: UnlockedVault):
    window = RequestWindow(locked_vault.data_dir)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    form = window.form
    qtbot.waitUntil(form.continue_button.isEnabled, timeout=10_000)
    assert window.focusWidget() is form.continue_button

    def key(k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
        qtbot.keyClick(window.focusWidget(), k, modifier)

    key(Qt.Key.Key_Return)  # Continue
    assert form.page() == FORM_PAGE and window.focusWidget() is form.address_as
    qtbot.keyClicks(form.address_as, ADDRESS)
    key(Qt.Key.Key_Tab)
    assert window.focusWidget() is form.method
    key(Qt.Key.Key_Down)
    assert form.method.currentData() == "email"
    key(Qt.Key.Key_Tab)
    assert window.focusWidget() is form.contact
    qtbot.keyClicks(form.contact, EMAIL)
    key(Qt.Key.Key_Return)  # Enter in a field does not send half a request
    assert form.page() == FORM_PAGE
    key(Qt.Key.Key_Tab)
    assert window.focusWidget() is form.best_times
    key(Qt.Key.Key_Tab)
    assert window.focusWidget() is form.routine  # the chosen urgency
    key(Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)  # &Within 24 hours
    qtbot.waitUntil(form.within_24h.isChecked, timeout=2_000)  # a mnemonic animates a click
    assert not form.crisis_panel.isVisible()
    key(Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)  # &Message
    assert window.focusWidget() is form.message
    qtbot.keyClicks(form.message, "Zq4CanaryMessage")
    key(Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)  # &Send request
    qtbot.waitUntil(lambda: form.page() == RECEIPT_PAGE, timeout=10_000)
    assert window.focusWidget() is form.done_button
    [request_id] = _request_ids(locked_vault.data_dir.database)
    assert form.reference.text() == reference_code(request_id)
    key(Qt.Key.Key_Return)  # Done: ready for the next officer
    assert form.page() == NOTICE_PAGE and _typed_text_left(window) == []
