"""The requests section, driven like a person: the inbox (urgent first, names masked but on the
selected row, selecting marks seen), accepting (new or existing officer, a "Requested
follow-up" in Follow-ups), closing with a sealed note, deleting, importing .psreq files (good
and every kind of refused file), dropping a file on the window, the urgent notification, the
request card, the Preferences tab, and nothing left on screen after locking."""

from __future__ import annotations

import builtins
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
)

import peersupport.ui.requests_page as requests_page_module
from peersupport import settings as settings_mod
from peersupport.crypto.request_card import parse_card
from peersupport.crypto.request_seal import MAX_FILE_BYTES
from peersupport.crypto.secret import SecretKey
from peersupport.domain.follow_request import (
    ACCEPTED,
    CLOSED,
    OPEN,
    OfficerRequest,
)
from peersupport.domain.officer import Officer
from peersupport.paths import ensure
from peersupport.services.followups import FollowupPolicy
from peersupport.services.requests import RequestDrop, seal_for_card
from peersupport.services.vault import UnlockedVault, VaultService, new_recovery_key
from peersupport.ui.app import AppController
from peersupport.ui.dialogs import PreferencesDialog
from peersupport.ui.presentation import MASK
from peersupport.ui.request_dialogs import (
    AcceptRequestDialog,
    CloseRequestDialog,
    ImportSummaryDialog,
    RequestCardDialog,
)
from peersupport.ui.requests_page import RequestsModel, RequestsPage
from peersupport.ui.tasks import wait_for_tasks
from peersupport.ui.workspace import Workspace
from tests._support import raw_execute, raw_one, raw_query, scan
from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE

Model = RequestsModel
NOW = datetime(2025, 6, 4, 15, 0, tzinfo=UTC)
NAME_URGENT = "Zq7UrgentNameXv"
NAME_DAY = "Qx9DayNameWb"
NAME_ROUTINE = "Kp4RoutineNameJm"
MESSAGE = "Mx3CanaryMessageRt"
NOTE = "Nt8CanaryCloseNoteYq"
CONTACT = "555-0134-Ct5"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# -- helpers -----------------------------------------------------------------------------------
def settle() -> None:
    for _ in range(3):
        wait_for_tasks()
        QApplication.processEvents()


def fixed_clock(vault: UnlockedVault) -> None:
    vault.followup_policy = FollowupPolicy(clock=lambda: NOW, zone="UTC")


def submit(vault: UnlockedVault, urgency: str = "routine", address_as: str = "",
           ago: timedelta = timedelta(hours=1), **fields: str) -> str:
    """A request left with the request form (no key of the vault); returns its reference."""
    request = OfficerRequest(urgency=urgency, address_as=address_as,
                             submitted_at=NOW - ago, **fields)
    return RequestDrop(vault.data_dir, per_minute=30).submit(request).reference


def request_bytes(vault: UnlockedVault, **fields: str) -> bytes:
    """A .psreq file made on another computer with this vault's card."""
    request = OfficerRequest(urgency=fields.pop("urgency", "routine"),
                             submitted_at=NOW - timedelta(hours=2), **fields)
    return seal_for_card(vault.requests().card(), request)[1]


def loaded(qtbot, page: RequestsPage) -> None:
    settle()
    qtbot.waitUntil(lambda: page.inbox() is not None and not page.busy.isVisible(),
                    timeout=10_000)


def reload_and_wait(qtbot, page: RequestsPage) -> None:
    page.reload()
    loaded(qtbot, page)


def column(page: RequestsPage, col: int) -> list[str]:
    return [page.model.index(r, col).data() for r in range(page.model.rowCount())]


def select_row(page: RequestsPage, row: int) -> None:
    page.table.selectionModel().setCurrentIndex(
        page.model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
        | QItemSelectionModel.SelectionFlag.Rows)


def row_of(page: RequestsPage, reference: str) -> int:
    return column(page, Model.REFERENCE).index(reference)


def page_texts(page: RequestsPage) -> list[str]:
    texts = [str(page.model.index(r, c).data(role))
             for r in range(page.model.rowCount()) for c in range(page.model.columnCount())
             for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                          Qt.ItemDataRole.AccessibleTextRole)]
    texts += [w.text() for w in page.findChildren(QLabel)]
    return texts


def all_widget_texts() -> str:
    """Everything any widget of the application shows, including every item view's rows."""
    texts: list[str] = []
    for widget in QApplication.allWidgets():
        if isinstance(widget, QLabel | QLineEdit | QAbstractButton):
            texts.append(widget.text())
        elif isinstance(widget, QPlainTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            try:
                columns = model.columnCount()
            except TypeError:  # a list model: one column
                columns = 1
            for r in range(model.rowCount()):
                for c in range(columns):
                    texts.append(str(model.index(r, c).data()))
        texts += [widget.toolTip(), widget.windowTitle()]
    return "\n".join(texts)


def request_rows(vault: UnlockedVault) -> int:
    return int(raw_one(vault.data_dir.database, "SELECT count(*) FROM follow_request"))


@pytest.fixture
def inbox(vault: UnlockedVault) -> dict[str, str]:
    """Three named requests and an anonymous one, opened after 'unlock'."""
    fixed_clock(vault)
    refs = {
        "routine": submit(vault, "routine", NAME_ROUTINE, timedelta(days=2),
                          message=MESSAGE),
        "anonymous": submit(vault, "routine", "", timedelta(days=1)),
        "day": submit(vault, "within_24h", NAME_DAY, timedelta(hours=5)),
        "urgent": submit(vault, "urgent_now", NAME_URGENT, timedelta(minutes=12),
                         contact_method="phone", contact=CONTACT),
    }
    vault.requests().receive_pending()
    return refs


@pytest.fixture
def page(qtbot, vault: UnlockedVault, inbox: dict[str, str]) -> Iterator[RequestsPage]:
    page = RequestsPage(vault.checkins())
    qtbot.addWidget(page)
    page.resize(1000, 560)
    page.show()
    loaded(qtbot, page)
    yield page
    page.clear()


@pytest.fixture
def workspace(qtbot, vault: UnlockedVault, inbox: dict[str, str]) -> Iterator[Workspace]:
    ws = Workspace(vault.checkins())
    qtbot.addWidget(ws)
    ws.resize(1100, 600)
    ws.show()
    ws.show_section("requests")
    assert ws.requests_page is not None
    loaded(qtbot, ws.requests_page)
    yield ws
    ws.clear()


# -- the inbox ---------------------------------------------------------------------------------
def test_urgent_first_then_by_urgency_then_oldest_first(page: RequestsPage, inbox):
    assert column(page, Model.REFERENCE) == [
        inbox["urgent"], inbox["day"], inbox["routine"], inbox["anonymous"]]
    urgency = column(page, Model.URGENCY)
    assert urgency == ["⚠ Urgent - now", "Within 24 hours", "Routine", "Routine"]
    first = page.model.index(0, Model.URGENCY)
    assert first.data(Qt.ItemDataRole.FontRole).bold()  # and red, but never by colour only
    assert column(page, Model.STATE) == ["New"] * 4
    assert column(page, Model.RECEIVED) == ["12 min ago", "today 10:00", "2 Jun 15:00",
                                            "yesterday 15:00"]
    assert page.status.text() == "4 open requests · 4 new"


def test_names_are_masked_except_on_the_selected_row(page: RequestsPage, inbox):
    names = (NAME_URGENT, NAME_DAY, NAME_ROUTINE)
    assert column(page, Model.FROM) == [MASK, MASK, MASK, "Anonymous"]
    assert not [t for t in page_texts(page) for n in names if n in t]
    select_row(page, row_of(page, inbox["day"]))
    assert column(page, Model.FROM) == [MASK, NAME_DAY, MASK, "Anonymous"]
    assert page.details.values["from"].text() == NAME_DAY
    shown = "\n".join(page_texts(page))
    assert NAME_DAY in shown and NAME_URGENT not in shown and NAME_ROUTINE not in shown
    select_row(page, row_of(page, inbox["urgent"]))
    assert column(page, Model.FROM) == [NAME_URGENT, MASK, MASK, "Anonymous"]
    assert NAME_DAY not in "\n".join(page_texts(page))
    page.table.clearSelection()
    assert column(page, Model.FROM) == [MASK, MASK, MASK, "Anonymous"]
    assert not [t for t in page_texts(page) for n in names if n in t]


def test_the_details_pane_shows_the_whole_request(page: RequestsPage, inbox):
    select_row(page, row_of(page, inbox["urgent"]))
    values = {k: v.text() for k, v in page.details.values.items()}
    assert values["urgency"] == "⚠ Urgent - now"
    assert values["contact"] == f"Phone: {CONTACT}"
    assert values["reference"] == inbox["urgent"]
    assert values["received"] == "Wed 4 June 2025, 14:48"
    assert values["via"] == "The request form on this computer"
    assert "contacted now" in page.details.urgent_line.text()
    assert page.details.handled_title.isHidden()
    select_row(page, row_of(page, inbox["routine"]))
    assert page.details.values["message"].text() == MESSAGE
    assert page.details.urgent_line.isHidden()


def test_selecting_a_request_marks_it_seen_and_the_badge_drops(
        qtbot, workspace: Workspace, vault: UnlockedVault, inbox):
    page = workspace.requests_page
    assert workspace.section_text("requests") == "Requests (4)"
    with qtbot.waitSignal(page.badge_changed) as blocker:
        select_row(page, row_of(page, inbox["day"]))
    assert blocker.args == [3]
    assert workspace.section_text("requests") == "Requests (3)"
    assert column(page, Model.STATE)[row_of(page, inbox["day"])] == "Open"
    seen = {r.reference: r.seen for r in vault.requests().inbox().requests}
    assert seen == {inbox["day"]: True, inbox["urgent"]: False, inbox["routine"]: False,
                    inbox["anonymous"]: False}
    reload_and_wait(qtbot, page)  # it stays seen
    assert workspace.section_text("requests") == "Requests (3)"
    assert page.status.text() == "4 open requests · 3 new"


# -- accepting ---------------------------------------------------------------------------------
def _accept_dialog(qtbot, page: RequestsPage) -> AcceptRequestDialog:
    page.buttons["accept"].click()
    dialog = page.dialog
    assert isinstance(dialog, AcceptRequestDialog) and dialog.isVisible()
    return dialog


def test_accept_with_a_new_officer_schedules_a_requested_follow_up(
        qtbot, workspace: Workspace, vault: UnlockedVault, inbox):
    page = workspace.requests_page
    select_row(page, row_of(page, inbox["urgent"]))
    dialog = _accept_dialog(qtbot, page)
    assert dialog.new_radio.isChecked() and not dialog.existing_radio.isEnabled()  # no officers
    assert dialog.alias.text() == NAME_URGENT and dialog.contact.text() == CONTACT
    assert dialog.when.value() == NOW  # urgent: now, in the follow-up zone
    qtbot.keyClicks(dialog.note, "call tonight")
    with qtbot.waitSignal(page.followups_changed):
        dialog.ok_button.click()
    assert not dialog.isVisible()

    officers = vault.list_officers().officers
    assert [(o.alias, o.contact) for o in officers] == [(NAME_URGENT, CONTACT)]
    record = next(r for r in vault.requests().inbox().requests
                  if r.reference == inbox["urgent"])
    assert (record.state, record.officer_id, record.follow_up_at, record.note) == (
        ACCEPTED, officers[0].id, NOW, "call tonight")
    board = vault.followups().board()
    items = [board.item(g, r) for g in board.ranges for r in range(board.count(g))]
    assert [(i.label, i.officer_id, i.due) for i in items] == [
        ("Requested follow-up", officers[0].id, NOW)]
    # the follow-ups panel shows it, and the inbox lists only what is still open
    followups = workspace.followups_page
    qtbot.waitUntil(lambda: followups.model.total() == 1, timeout=10_000)
    loaded(qtbot, page)
    assert inbox["urgent"] not in column(page, Model.REFERENCE)
    assert "accepted" in page.status.text()
    page.show_handled.setChecked(True)
    row = row_of(page, inbox["urgent"])
    assert column(page, Model.STATE)[row] == "Accepted"
    select_row(page, row)
    assert page.details.values["officer"].text() == NAME_URGENT
    assert page.details.values["state"].text() == "Accepted"
    assert not page.accept_action.isEnabled() and page.delete_action.isEnabled()


def test_accept_links_an_existing_officer(qtbot, page: RequestsPage, vault: UnlockedVault,
                                          inbox):
    existing = Officer(alias="Bravo Twelve")
    same = Officer(alias=NAME_DAY.upper())  # what the officer wrote, in other case
    vault.add_officer(existing)
    vault.add_officer(same)
    # an alias the supporter already uses is chosen for them
    select_row(page, row_of(page, inbox["day"]))
    dialog = _accept_dialog(qtbot, page)
    assert dialog.existing_radio.isChecked() and dialog.selected_officer_id() == same.id
    dialog.reject()
    # otherwise they pick one from the searchable list
    select_row(page, row_of(page, inbox["routine"]))
    dialog = _accept_dialog(qtbot, page)
    assert dialog.new_radio.isChecked()
    dialog.existing_radio.setChecked(True)
    assert not dialog.ok_button.isEnabled()  # no officer chosen yet
    dialog.officer.setEditText("")
    qtbot.keyClicks(dialog.officer.lineEdit(), "bravo twelve")
    assert dialog.ok_button.isEnabled()
    suggested = dialog.when.value()
    assert suggested == datetime(2025, 6, 5, 9, 0, tzinfo=UTC)  # routine: next morning 09:00
    with qtbot.waitSignal(page.changed):
        dialog.ok_button.click()
    record = next(r for r in vault.requests().inbox().requests
                  if r.reference == inbox["routine"])
    assert (record.state, record.officer_id, record.follow_up_at) == (
        ACCEPTED, existing.id, suggested)
    assert len(vault.list_officers().officers) == 2  # nobody new


def test_a_new_officer_needs_an_alias_not_already_in_use(qtbot, page: RequestsPage,
                                                         vault: UnlockedVault, inbox):
    vault.add_officer(Officer(alias="Bravo Twelve"))
    select_row(page, row_of(page, inbox["anonymous"]))
    dialog = _accept_dialog(qtbot, page)
    assert dialog.new_radio.isChecked() and dialog.alias.text() == ""  # anonymous
    assert not dialog.ok_button.isEnabled()
    assert dialog.problem() == "Give the new officer an alias."
    qtbot.keyClicks(dialog.alias, "bravo twelve")
    assert not dialog.ok_button.isEnabled()
    assert "already have an officer with this alias" in dialog.problem()
    dialog.alias.setText("Night shift caller")
    assert dialog.ok_button.isEnabled()
    dialog.reject()


def test_accept_refusals_show_in_the_dialog_which_stays_open(qtbot, page: RequestsPage,
                                                            vault: UnlockedVault, inbox):
    select_row(page, row_of(page, inbox["day"]))
    dialog = _accept_dialog(qtbot, page)
    record = page.current_record()
    vault.requests().close(record.id, "handled on the phone")  # elsewhere, meanwhile
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.error.text() == "That request was already handled."
    assert vault.list_officers().officers == []  # nothing written

    select_row(page, row_of(page, inbox["urgent"]))
    dialog = _accept_dialog(qtbot, page)
    vault.requests().delete(page.current_record().id)
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.error.text() == "That request is no longer in the inbox."
    dialog.reject()


def test_ctrl_enter_opens_the_accept_dialog(qtbot, page: RequestsPage, inbox):
    select_row(page, 0)
    page.window().activateWindow()
    page.table.setFocus()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page.window())
    qtbot.keyClick(page.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(page.dialog, AcceptRequestDialog)
    page.dialog.reject()
    assert page.buttons["accept"].text() == "&Accept…"  # Alt+A


# -- closing and deleting ----------------------------------------------------------------------
def test_close_with_a_note_keeps_the_note_sealed(qtbot, page: RequestsPage,
                                                 vault: UnlockedVault, inbox):
    select_row(page, row_of(page, inbox["routine"]))
    page.buttons["close"].click()
    dialog = page.dialog
    assert isinstance(dialog, CloseRequestDialog)
    assert not dialog.ok_button.isEnabled()  # the note is required
    qtbot.keyClicks(dialog.note, NOTE)
    assert dialog.counter.text() == f"{len(NOTE)} / 2,000"
    with qtbot.waitSignal(page.changed):
        dialog.ok_button.click()
    loaded(qtbot, page)
    record = next(r for r in vault.requests().inbox().requests
                  if r.reference == inbox["routine"])
    assert (record.state, record.note) == (CLOSED, NOTE)
    assert inbox["routine"] not in column(page, Model.REFERENCE)
    page.show_handled.setChecked(True)
    row = row_of(page, inbox["routine"])
    assert column(page, Model.STATE)[row] == "Closed"
    select_row(page, row)
    assert page.details.values["note"].text() == NOTE
    assert page.details.values["state"].text() == "Closed"

    page.clear()
    vault.lock()
    assert scan(vault.data_dir.root, [NOTE, MESSAGE, NAME_ROUTINE, NAME_URGENT]) == []


def test_a_too_long_note_is_refused_before_saving(qtbot, page: RequestsPage, inbox):
    select_row(page, 0)
    page.ask_close()
    dialog = page.dialog
    dialog.note.setPlainText("x" * 2001)
    assert not dialog.ok_button.isEnabled()
    assert dialog.problem() == "A note can be at most 2,000 characters."
    dialog.reject()


def _answer(qtbot, page: RequestsPage, button_text: str) -> None:
    box = page.confirm
    assert isinstance(box, QMessageBox) and box.isVisible()
    button = next(b for b in box.buttons() if b.text().replace("&", "") == button_text)
    button.click()


def test_delete_a_handled_request_after_confirming(qtbot, page: RequestsPage,
                                                   vault: UnlockedVault, inbox):
    select_row(page, row_of(page, inbox["anonymous"]))
    assert not page.delete_action.isEnabled()  # an open request is accepted or closed first
    record = page.current_record()
    vault.requests().close(record.id, "spam")
    page.show_handled.setChecked(True)
    reload_and_wait(qtbot, page)
    select_row(page, row_of(page, inbox["anonymous"]))
    assert page.delete_action.isEnabled()
    before = request_rows(vault)
    page.buttons["delete"].click()
    assert "for good" in page.confirm.text()
    _answer(qtbot, page, "Cancel")
    settle()
    assert request_rows(vault) == before
    page.buttons["delete"].click()
    with qtbot.waitSignal(page.changed, timeout=10_000):
        _answer(qtbot, page, "Delete")
    loaded(qtbot, page)
    assert request_rows(vault) == before - 1
    assert inbox["anonymous"] not in column(page, Model.REFERENCE)


def test_requests_that_cannot_be_opened_are_counted_and_removed(qtbot, vault: UnlockedVault,
                                                                inbox):
    submit(vault, "routine", "will be damaged")
    db = vault.data_dir.database
    (request_id, envelope), = raw_query(
        db, "SELECT id, envelope FROM follow_request WHERE envelope IS NOT NULL")
    damaged = bytearray(envelope)
    damaged[-1] ^= 1
    raw_execute(db, "UPDATE follow_request SET envelope = ? WHERE id = ?",
                (bytes(damaged), request_id))
    assert vault.requests().receive_pending().unreadable == [request_id]
    page = RequestsPage(vault.checkins())
    qtbot.addWidget(page)
    page.show()
    loaded(qtbot, page)
    assert page.damaged_bar.isVisible()
    assert page.damaged_label.text() == (
        "1 request could not be opened (damaged or sealed to another key).")
    assert len(column(page, Model.REFERENCE)) == 4
    page.remove_damaged_button.click()
    with qtbot.waitSignal(page.changed, timeout=10_000):
        _answer(qtbot, page, "Remove")
    loaded(qtbot, page)
    assert not page.damaged_bar.isVisible()
    assert raw_query(db, "SELECT id FROM follow_request WHERE id = ?", (request_id,)) == []
    assert request_rows(vault) == 4
    page.clear()


# -- importing ----------------------------------------------------------------------------------
def _other_vault_card(tmp_path: Path):  # -> RequestCard
    key, _ = new_recovery_key()
    other = VaultService(ensure(tmp_path / "other"), FAST_TEST_PROFILE).create(
        PASSPHRASE, SecretKey(key.raw()))
    try:
        return other.requests().card()
    finally:
        other.lock()


def _import(qtbot, page: RequestsPage, paths: list[Path]) -> ImportSummaryDialog:
    page.import_files([str(p) for p in paths])
    qtbot.waitUntil(lambda: isinstance(page.dialog, ImportSummaryDialog), timeout=10_000)
    loaded(qtbot, page)
    assert isinstance(page.dialog, ImportSummaryDialog)
    return page.dialog


def test_import_takes_a_good_file_and_refuses_every_bad_one_writing_nothing(
        qtbot, page: RequestsPage, vault: UnlockedVault, inbox, tmp_path: Path, monkeypatch):
    good = request_bytes(vault, urgency="within_24h", address_as="From afar",
                         message="made elsewhere")
    edited = request_bytes(vault, message="edited after sealing")
    files = {
        "good.psreq": good,
        "again.psreq": good,  # the same request a second time
        "edited.psreq": edited[:-1] + bytes([edited[-1] ^ 1]),
        "cut.psreq": request_bytes(vault, message="cut short")[:20],
        "other-vault.psreq": seal_for_card(_other_vault_card(tmp_path), OfficerRequest(
            urgency="routine", message="not for you"))[1],
        "newer.psreq": good[:8] + struct.pack(">H", 2) + good[10:],
    }
    paths = []
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    huge = tmp_path / "huge.psreq"
    with huge.open("wb") as handle:  # sparse: its size says it all, it is never read
        handle.truncate(512 * 1024 * 1024)
    paths.append(huge)
    opened: list[str] = []
    real_open = builtins.open

    def spy(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(requests_page_module, "open", spy, raising=False)
    before = request_rows(vault)

    dialog = _import(qtbot, page, paths)
    results = dict(dialog.texts())
    reference = next(r.reference for r in vault.requests().inbox().requests
                     if r.request.address_as == "From afar")
    assert results["good.psreq"] == f"Imported (reference {reference})"
    assert results["again.psreq"].startswith("Refused: Already imported: request "
                                             f"{reference} is already in your inbox")
    assert "failed its integrity check" in results["edited.psreq"]
    assert results["cut.psreq"].startswith(
        "Refused: The file is not a whole Peer Support request")
    assert results["other-vault.psreq"] == (
        "Refused: The request was sealed to another peer supporter's vault, not yours.")
    assert results["newer.psreq"].startswith(
        "Refused: The request was made by a newer version of Peer Support")
    assert results["huge.psreq"].startswith(
        "Refused: The file is too large to be a request (over 64 KiB)")
    assert str(huge) not in opened  # refused by its size alone
    assert dialog.summary.text() == "1 imported, 6 refused"
    assert request_rows(vault) == before + 1  # the good one only
    assert reference in column(page, Model.REFERENCE)
    assert page.status.text().startswith("1 request imported.")

    # a batch of refused files writes nothing at all
    vault.checkpoint()
    db_before = vault.data_dir.database.read_bytes()
    dialog.reject()
    dialog = _import(qtbot, page, paths[1:])
    assert dialog.summary.text() == "0 imported, 6 refused"
    vault.checkpoint()
    assert vault.data_dir.database.read_bytes() == db_before
    assert request_rows(vault) == before + 1
    dialog.reject()


def test_a_file_just_over_the_limit_is_refused(qtbot, page: RequestsPage, vault, inbox,
                                               tmp_path: Path):
    path = tmp_path / "big.psreq"
    path.write_bytes(b"PSREQ\x00\x00\x01" + bytes(MAX_FILE_BYTES - 7))
    dialog = _import(qtbot, page, [path])
    assert dialog.texts()[0][1].startswith("Refused: The file is too large")
    dialog.reject()


# -- the app: urgent notice, dropped files, the key warning, locking -------------------------------
@pytest.fixture
def locked(vault: UnlockedVault) -> UnlockedVault:
    fixed_clock(vault)
    vault.lock()
    return vault


@pytest.fixture
def controller(qtbot, locked: UnlockedVault, monkeypatch) -> Iterator[AppController]:
    ctl = AppController(locked.data_dir.root, FAST_TEST_PROFILE)
    with qtbot.waitSignal(ctl.ready, timeout=5_000):
        assert ctl.start()
    assert ctl.window is not None
    qtbot.addWidget(ctl.window)
    shown: list[str] = []
    real = ctl._on_reminder

    def record(text: str) -> None:
        shown.append(text)
        real(text)

    monkeypatch.setattr(ctl, "_on_reminder", record)
    ctl.shown_notices = shown  # type: ignore[attr-defined]
    yield ctl
    ctl.shutdown()
    wait_for_tasks()


def _unlock(qtbot, ctl: AppController) -> RequestsPage:
    qtbot.keyClicks(ctl.window.lock_screen.passphrase, PASSPHRASE)
    with qtbot.waitSignal(ctl.unlocked, timeout=10_000):
        qtbot.keyClick(ctl.window.lock_screen.passphrase, Qt.Key.Key_Return)
    ctl.vault.followup_policy = FollowupPolicy(clock=lambda: NOW, zone="UTC")
    page = ctl.window.workspace.requests_page
    assert page is not None
    loaded(qtbot, page)
    return page


def test_an_urgent_request_is_announced_in_three_words_and_nothing_else(
        qtbot, controller: AppController, locked: UnlockedVault):
    submit(locked, "urgent_now", NAME_URGENT, message=MESSAGE, contact_method="phone",
           contact=CONTACT)
    page = _unlock(qtbot, controller)
    assert controller.shown_notices == ["Urgent follow-up request"]
    if controller.tray is None or not controller.tray.available:
        assert controller.window.statusBar().currentMessage() == "Urgent follow-up request"
    assert controller.window.workspace.section_text("requests") == "Requests (1)"
    assert column(page, Model.URGENCY) == ["⚠ Urgent - now"]

    # while unlocked, requests another process submits are picked up by the poll
    assert controller._inbox_timer is not None and controller._inbox_timer.isActive()
    assert controller._inbox_timer.interval() == 30_000
    submit(locked, "routine", NAME_ROUTINE)
    controller._inbox_timer.timeout.emit()
    loaded(qtbot, page)
    assert controller.shown_notices == ["Urgent follow-up request"]  # a routine one: silent
    assert controller.window.workspace.section_text("requests") == "Requests (2)"
    submit(locked, "urgent_now", NAME_DAY)
    controller._inbox_timer.timeout.emit()
    loaded(qtbot, page)
    assert controller.shown_notices == ["Urgent follow-up request"] * 2
    assert controller.window.workspace.section_text("requests") == "Requests (3)"
    controller.lock()
    assert not controller._inbox_timer.isActive()


def test_a_psreq_dropped_on_the_window_is_imported_only_while_unlocked(
        qtbot, controller: AppController, locked: UnlockedVault, tmp_path: Path):
    window = controller.window
    path = tmp_path / "dropped.psreq"

    def drop(paths: list[Path]) -> bool:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        enter = QDragEnterEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(window, enter)
        if not enter.isAccepted():
            return False
        event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                           Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(window, event)
        return event.isAccepted()

    # made with the card while locked; dropping it on the lock screen does nothing
    card = RequestDrop(locked.data_dir).card()
    path.write_bytes(seal_for_card(card, OfficerRequest(urgency="routine",
                                                        message="dropped in"))[1])
    with qtbot.assertNotEmitted(window.request_files_dropped):
        assert not drop([path])
    assert not window.import_requests_action.isEnabled()

    page = _unlock(qtbot, controller)
    assert window.import_requests_action.isEnabled()
    assert window.import_requests_action.shortcut().toString() == "Ctrl+I"
    other = tmp_path / "notes.txt"
    other.write_text("not a request")
    assert not drop([other])  # only .psreq files
    controller.window.workspace.show_section("checkins")
    assert drop([path])
    qtbot.waitUntil(lambda: isinstance(page.dialog, ImportSummaryDialog), timeout=10_000)
    loaded(qtbot, page)
    assert controller.window.workspace.pages.currentWidget() is page
    assert page.dialog.texts()[0][1].startswith("Imported (reference ")
    assert [r.request.message for r in controller.vault.requests().inbox().requests] == [
        "dropped in"]


def test_a_changed_request_key_is_reported_after_unlock(qtbot, controller: AppController,
                                                        locked: UnlockedVault):
    db = locked.data_dir.database
    raw_execute(db, "UPDATE request_key SET public_key = ?", (bytes(32),))
    _unlock(qtbot, controller)
    assert controller.vault.request_key_status == "restored"
    box = controller._request_key_box
    assert box is not None and box.isVisible()
    assert "changed outside Peer Support. It was put back." in box.text()
    assert "cannot be opened" in box.informativeText()
    box.accept()


def test_locking_leaves_no_request_text_in_any_widget(qtbot, controller: AppController,
                                                      locked: UnlockedVault):
    submit(locked, "routine", NAME_ROUTINE, message=MESSAGE, contact_method="phone",
           contact=CONTACT)
    page = _unlock(qtbot, controller)
    select_row(page, 0)
    shown = all_widget_texts()
    assert NAME_ROUTINE in shown and MESSAGE in shown and CONTACT in shown
    page.buttons["accept"].click()  # a dialog with the name in it, open when the lock comes
    assert isinstance(page.dialog, AcceptRequestDialog)
    model = page.model
    controller.lock()
    settle()
    assert model.rowCount() == 0
    left = all_widget_texts()
    for canary in (NAME_ROUTINE, MESSAGE, CONTACT):
        assert canary not in left


def test_clear_empties_the_page(qtbot, page: RequestsPage, inbox):
    select_row(page, row_of(page, inbox["urgent"]))
    page.ask_close()
    page.clear()
    assert page.model.rowCount() == 0 and page.inbox() is None
    assert page.dialog is None
    texts = "\n".join(page_texts(page))
    for canary in (NAME_URGENT, CONTACT, *inbox.values()):
        assert canary not in texts
    assert all(not t for t in page.details.texts())


# -- the card and preferences --------------------------------------------------------------------
def test_the_card_dialog_saves_a_card_file_and_a_qr_image(qtbot, page: RequestsPage,
                                                          vault: UnlockedVault, tmp_path: Path,
                                                          monkeypatch):
    page.buttons["card"].click()
    dialog = page.dialog
    assert isinstance(dialog, RequestCardDialog)
    card = vault.requests().card()
    assert dialog.fingerprint.text() == card.fingerprint
    assert "peersupport request --card FILE" in dialog.findChild(QLabel).text()
    dialog.name.setText("Sgt. Rivera,   peer support")
    assert dialog.save_name_button.isEnabled()
    dialog.save_name_button.click()
    assert vault.requests().card().display_name == "Sgt. Rivera, peer support"
    assert not dialog.save_name_button.isEnabled()

    targets = iter([str(tmp_path / "my-card"), str(tmp_path / "qr.png")])
    monkeypatch.setattr("peersupport.ui.request_dialogs.save_file_name",
                        lambda *args: next(targets))
    dialog.save_card_button.click()
    saved = parse_card((tmp_path / "my-card.pscard").read_bytes())
    assert saved == vault.requests().card()
    assert saved.display_name == "Sgt. Rivera, peer support"
    dialog.save_qr_button.click()
    assert (tmp_path / "qr.png").read_bytes().startswith(PNG_SIGNATURE)
    assert dialog.status.text() == "Saved qr.png."
    dialog.reject()


def test_preferences_requests_tab_round_trips(qtbot, tmp_path: Path):
    lines = "Employee Assistance: 1-800-555-0100\nChaplain on call: 555-0142"
    dialog = PreferencesDialog(settings_mod.Settings(request_rate_per_minute=7,
                                                     crisis_resources=lines),
                               tray_available=False, autostart_supported=False)
    qtbot.addWidget(dialog)
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert tabs == ["&General", "&Follow-ups", "&Requests", "&Statistics", "&Backups",
                    "Re&tention"]
    assert dialog.request_rate.value() == 7
    assert (dialog.request_rate.minimum(), dialog.request_rate.maximum()) == (1, 30)
    assert dialog.crisis_lines.toPlainText() == lines
    page = dialog.tabs.widget(2)
    hint = "\n".join(label.text() for label in page.findChildren(QLabel))
    assert "988" in hint and "COPLINE" in hint and "always shown" in hint
    dialog.request_rate.setValue(12)
    dialog.crisis_lines.setPlainText("Peer team hotline: 555-0199")
    result = dialog.result_settings()
    assert (result.request_rate_per_minute, result.crisis_resources) == (
        12, "Peer team hotline: 555-0199")
    path = tmp_path / "settings.json"
    settings_mod.save(path, result)
    again = PreferencesDialog(settings_mod.load(path), tray_available=False,
                              autostart_supported=False)
    qtbot.addWidget(again)
    assert again.request_rate.value() == 12
    assert again.crisis_lines.toPlainText() == "Peer team hotline: 555-0199"
    again.crisis_lines.setPlainText("x" * 2001)
    assert not again.ok_button.isEnabled() and not again.crisis_error.isHidden()
    assert again.crisis_error.text() == "The crisis lines can be at most 2,000 characters."


def test_every_input_and_button_has_an_accessible_name(qtbot, page: RequestsPage, inbox):
    kinds = (QPushButton, QCheckBox, QRadioButton, QLineEdit, QPlainTextEdit, QComboBox,
             QDateTimeEdit, QSpinBox, QAbstractItemView)

    def unnamed(root) -> list[str]:  # type: ignore[no-untyped-def]
        return [type(w).__name__ for kind in kinds for w in root.findChildren(kind)
                if not w.accessibleName() and not isinstance(w.parent(), QComboBox)
                and not (isinstance(w, QLineEdit) and isinstance(w.parent(), QDateTimeEdit))
                and not isinstance(w.parent(), QMessageBox) and not isinstance(w, QHeaderView)
                and w.objectName() != "qt_spinbox_lineedit"
                and not w.objectName().startswith("qt_")]

    assert unnamed(page) == []
    select_row(page, 0)
    for open_dialog in (page.ask_accept, page.ask_close, page.open_card):
        open_dialog()
        dialog = page.dialog
        assert dialog is not None and unnamed(dialog) == [], type(dialog).__name__
        dialog.reject()


def test_the_received_column_reads_naturally():
    from zoneinfo import ZoneInfo

    from peersupport.ui.requests_page import received_text

    zone = ZoneInfo("UTC")
    assert received_text(NOW - timedelta(seconds=20), NOW, zone) == "just now"
    assert received_text(NOW - timedelta(minutes=59), NOW, zone) == "59 min ago"
    assert received_text(NOW - timedelta(hours=3), NOW, zone) == "today 12:00"
    assert received_text(NOW - timedelta(days=1), NOW, zone) == "yesterday 15:00"
    assert received_text(NOW - timedelta(days=30), NOW, zone) == "5 May 15:00"
    assert received_text(NOW - timedelta(days=400), NOW, zone) == "30 Apr 2024"


def test_states_read_new_open_accepted_closed():
    from dataclasses import replace

    from peersupport.domain.follow_request import ReceivedRequest
    from peersupport.ui.requests_page import state_key

    base = ReceivedRequest("A" * 26, OfficerRequest(), NOW)
    assert state_key(base) == "new"
    assert state_key(replace(base, seen=True)) == OPEN
    assert state_key(replace(base, state=ACCEPTED, seen=True)) == ACCEPTED
    assert state_key(replace(base, state=CLOSED, seen=True)) == CLOSED

