"""The check-in form, driven like a person: keyboard-only logging, validation, the notice,
guidance, cancelling, drafts, editing and group contacts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from peersupport.domain.checkin import CheckIn
from peersupport.domain.notice import DEFAULT_NOTICE
from peersupport.domain.officer import Officer
from peersupport.services.checkins import CheckinService
from peersupport.services.vault import UnlockedVault
from peersupport.ui.app import AppController
from peersupport.ui.checkin_form import CheckinForm
from peersupport.ui.tasks import wait_for_tasks
from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE

# a fixed clock in another time zone than the machine's: the form stores the same instant
NOW = datetime(2026, 3, 14, 21, 37, 42, tzinfo=timezone(timedelta(hours=-5)))
CONTACT_AT = NOW.replace(second=0)
Key = Qt.Key
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def checkins(vault: UnlockedVault) -> CheckinService:
    return vault.checkins()


def _officer(checkins: CheckinService, alias: str, *, notice: bool = True) -> Officer:
    officer = Officer(alias=alias, notice_given_at=NOW - timedelta(days=30) if notice else None)
    checkins.add_officer(officer)
    return officer


def _form(qtbot, checkins: CheckinService, **kwargs) -> CheckinForm:
    kwargs.setdefault("now", lambda: NOW)
    form = CheckinForm(checkins, DEFAULT_NOTICE, kwargs.pop("last", "phone"), **kwargs)
    # closing a dirty form asks first (by design), so tear down the way the app does on lock
    qtbot.addWidget(form, before_close_func=lambda w: w.discard())
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is form)
    return form


def _type(qtbot, text: str) -> None:
    qtbot.keyClicks(QApplication.focusWidget(), text)


def _press(qtbot, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
           times: int = 1) -> None:
    for _ in range(times):
        qtbot.keyClick(QApplication.focusWidget(), key, modifier)


def _fill_valid(form: CheckinForm, alias: str = "") -> None:
    """The required choices, by setters, for tests about something else."""
    if alias:
        form.officer.setEditText(alias)
    form.category.setCurrentIndex(form.category.findData("line_of_duty_injury"))
    form.initiated_by.setCurrentIndex(form.initiated_by.findData("self"))


# -- 1. keyboard only ----------------------------------------------------------------------------
def test_keyboard_only_logging_of_a_new_officer(qtbot, checkins: CheckinService):
    _officer(checkins, "Kestrel")
    form = _form(qtbot, checkins)
    assert form.contact_type.currentData() == "phone"  # the last contact type
    assert QApplication.focusWidget() is form.officer  # the officer is the first thing to type

    _type(qtbot, "Osprey 4")
    assert form.officer_hint.isVisible() and "New officer: Osprey 4" in form.officer_hint.text()
    _press(qtbot, Key.Key_Tab)
    assert QApplication.focusWidget() is form.new_name
    _type(qtbot, "Dana Whitfield")
    _press(qtbot, Key.Key_Tab)
    _type(qtbot, "555-0134")
    _press(qtbot, Key.Key_Tab)
    assert QApplication.focusWidget() is form.notice
    _press(qtbot, Key.Key_Space)
    _press(qtbot, Key.Key_Tab, times=2)  # past "Show notice…"
    assert QApplication.focusWidget() is form.category
    _type(qtbot, "Co")  # type-ahead in the list: "Co-worker suicide"
    _press(qtbot, Key.Key_Tab)
    _type(qtbot, "V")  # "Video or text"
    _press(qtbot, Key.Key_Tab)
    _type(qtbot, "Pe")  # "Peer outreach"
    _press(qtbot, Key.Key_Tab)
    _type(qtbot, "Ci")  # "Civilian / dispatch"
    _press(qtbot, Key.Key_Tab)
    assert QApplication.focusWidget() is form.duration
    _type(qtbot, "45")  # Tab selected the old value, so typing replaces it
    _press(qtbot, Key.Key_Tab)
    _type(qtbot, "CAD 24-118733")
    _press(qtbot, Key.Key_Tab)
    assert QApplication.focusWidget() is form.referrals
    _press(qtbot, Key.Key_Space)  # the first referral: EAP
    _press(qtbot, Key.Key_Down, times=2)
    _press(qtbot, Key.Key_Space)  # Chaplain
    _press(qtbot, Key.Key_Tab)
    _type(qtbot, "Dr. Ames")
    _press(qtbot, Key.Key_Tab)
    _type(qtbot, "L")  # risk: Low
    _press(qtbot, Key.Key_Tab, times=2)  # past the exceptions
    assert QApplication.focusWidget() is form.notes
    _type(qtbot, "Talked it through. Sleeping badly.")
    _press(qtbot, Key.Key_Tab)  # Tab leaves the notes instead of inserting a tab
    assert QApplication.focusWidget() is form.follow_up
    assert "\t" not in form.notes.toPlainText()
    _press(qtbot, Key.Key_Space)

    used: list[str] = []
    form.contact_type_used.connect(used.append)
    with qtbot.waitSignal(form.saved, timeout=5_000) as blocker:
        _press(qtbot, Key.Key_Return, CTRL)
    saved_id = blocker.args[0]
    assert used == ["video_or_text"]
    assert form.result() == QDialog.DialogCode.Accepted and not form.isVisible()

    detail = checkins.get(saved_id)
    c = detail.checkin
    assert c.occurred_at == CONTACT_AT and c.occurred_at.utcoffset() is not None
    assert c.occurred_at.utcoffset() == datetime.now().astimezone().utcoffset()  # machine zone
    assert (c.incident_category, c.contact_type, c.initiated_by, c.recipient_class) == (
        "coworker_suicide", "video_or_text", "peer_outreach", "civilian")
    assert c.duration_minutes == 45
    assert c.referrals == ["eap", "chaplain"] and c.referral_providers == "Dr. Ames"
    assert c.risk_level == "low" and c.exceptions == []
    assert c.incident_ref == "CAD 24-118733"
    assert c.notes == "Talked it through. Sleeping badly."
    assert c.follow_up is True and c.headcount is None
    officer = detail.officer
    assert officer is not None
    assert (officer.alias, officer.full_name, officer.contact) == (
        "Osprey 4", "Dana Whitfield", "555-0134")
    assert officer.notice_given_at == CONTACT_AT
    assert sorted(o.alias for o in checkins.officers()) == ["Kestrel", "Osprey 4"]


def test_type_ahead_finds_an_existing_officer_case_insensitively(qtbot, checkins):
    kestrel = _officer(checkins, "Kestrel")
    _officer(checkins, "Harbor 2")
    form = _form(qtbot, checkins)
    _type(qtbot, "kes")
    popup = form.officer.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    assert form.officer.completer().currentCompletion() == "Kestrel"
    # while the list is open the keys go to it, as they do for a person
    qtbot.keyClick(popup, Key.Key_Down)
    qtbot.keyClick(popup, Key.Key_Return)
    assert not popup.isVisible()
    assert form.officer.currentText() == "Kestrel"
    assert form.state().officer_id == kestrel.id
    assert not form.new_name.isVisible()  # not a new officer
    assert not form.notice.isVisible()  # the notice was already given
    assert "notice given" in form.officer_hint.text()
    assert form.isVisible()  # plain Enter never saves


def test_alias_typed_in_other_case_is_the_existing_officer(qtbot, checkins):
    kestrel = _officer(checkins, "Kestrel")
    form = _form(qtbot, checkins)
    _type(qtbot, "KESTREL")
    assert form.state().officer_id == kestrel.id
    assert not form.officer_hint.text().startswith("New officer")


# -- 2. validation -------------------------------------------------------------------------------
def test_missing_officer_shows_inline_message_and_saves_nothing(qtbot, checkins):
    form = _form(qtbot, checkins)
    _fill_valid(form)
    with qtbot.assertNotEmitted(form.saved):
        _press(qtbot, Key.Key_Return, CTRL)
    box = form._boxes["officer"]
    assert box.error.isVisible() and "Choose the officer" in box.error.text()
    assert QApplication.focusWidget() is form.officer
    assert form.summary.isVisible() and "1 field" in form.summary.text()
    assert form.isVisible()
    assert checkins.count() == 0
    _type(qtbot, "Wren")  # typing clears the message
    assert not box.error.isVisible()


def test_every_missing_choice_is_marked_and_focus_goes_to_the_first(qtbot, checkins):
    form = _form(qtbot, checkins)
    form.officer.setEditText("Wren")
    form.notice.setChecked(True)
    form.save()
    errors = {k for k, b in form._boxes.items() if b.error.isVisible()}
    assert errors == {"incident_category", "initiated_by"}
    assert QApplication.focusWidget() is form.category
    assert checkins.count() == 0


def test_notes_too_long_is_reported_next_to_the_notes(qtbot, checkins):
    form = _form(qtbot, checkins)
    _fill_valid(form, "Wren")
    form.notice.setChecked(True)
    form.notes.setPlainText("x" * 20_001)
    form.save()
    assert "20,000" in form._boxes["notes"].error.text()
    assert QApplication.focusWidget() is form.notes
    assert checkins.count() == 0


# -- 3. the confidentiality notice ---------------------------------------------------------------
def test_a_new_officer_needs_the_notice_confirmed(qtbot, checkins):
    form = _form(qtbot, checkins)
    _fill_valid(form, "Wren")
    assert form.notice.isVisible() and not form.notice.isChecked()
    with qtbot.assertNotEmitted(form.saved):
        form.save()
    box = form._boxes["notice"]
    assert box.error.isVisible() and "confidentiality notice" in box.error.text()
    assert QApplication.focusWidget() is form.notice
    assert checkins.count() == 0 and checkins.officers() == []

    qtbot.mouseClick(form.show_notice, Qt.MouseButton.LeftButton)
    viewer = form._notice_dialog
    assert viewer is not None and viewer.isVisible()
    assert viewer.text.toPlainText() == DEFAULT_NOTICE
    qtbot.keyClick(viewer, Key.Key_Escape)
    assert not viewer.isVisible()
    assert QApplication.focusWidget() is form.notice  # back on the confirmation
    _press(qtbot, Key.Key_Space)
    assert form.notice.isChecked()
    with qtbot.waitSignal(form.saved):
        _press(qtbot, Key.Key_Return, CTRL)
    [wren] = checkins.officers()
    assert wren.alias == "Wren" and wren.notice_given_at == CONTACT_AT


def test_existing_officer_without_a_recorded_notice_is_asked_and_marked(qtbot, checkins):
    finch = _officer(checkins, "Finch", notice=False)
    form = _form(qtbot, checkins)
    _fill_valid(form, "Finch")
    assert form.notice.isVisible() and not form.new_name.isVisible()
    form.save()
    assert form._boxes["notice"].error.isVisible() and checkins.count() == 0
    form.notice.setChecked(True)
    with qtbot.waitSignal(form.saved):
        form.save()
    [stored] = checkins.officers()
    assert stored.id == finch.id and stored.notice_given_at == CONTACT_AT


def test_officer_whose_notice_was_given_is_not_asked_again(qtbot, checkins):
    _officer(checkins, "Kestrel")
    form = _form(qtbot, checkins)
    _fill_valid(form, "Kestrel")
    assert not form.notice.isVisible()
    with qtbot.waitSignal(form.saved):
        form.save()
    assert checkins.count() == 1


# -- 4. guidance ---------------------------------------------------------------------------------
def test_guidance_for_imminent_risk_and_witness_never_blocks_saving(qtbot, checkins):
    _officer(checkins, "Kestrel")
    form = _form(qtbot, checkins)
    _fill_valid(form, "Kestrel")
    assert not form.guidance.isVisible()
    form.risk.setFocus()
    _type(qtbot, "I")  # Imminent
    assert form.risk.currentData() == "imminent"
    assert form.guidance.isVisible()
    assert "imminent risk" in form.guidance.body.text()
    assert "988" in form.guidance.body.text()  # crisis resources
    form.risk.setCurrentIndex(form.risk.findData("none"))
    assert not form.guidance.isVisible()

    form.exceptions.setFocus()
    _press(qtbot, Key.Key_End)  # "I was a witness to or party in the incident"
    _press(qtbot, Key.Key_Space)
    assert form.exceptions.checked() == ["witness_or_party"]
    assert form.guidance.isVisible()
    text = form.guidance.body.text()
    assert "privilege does not apply" in text and "another supporter" in text

    form.risk.setCurrentIndex(form.risk.findData("high"))
    with qtbot.waitSignal(form.saved) as blocker:
        _press(qtbot, Key.Key_Return, CTRL)
    c = checkins.get(blocker.args[0]).checkin
    assert c.risk_level == "high" and c.exceptions == ["witness_or_party"]


# -- 5. cancelling -------------------------------------------------------------------------------
def test_escape_on_a_clean_form_closes_without_asking(qtbot, checkins, monkeypatch):
    def no_question(*_args, **_kwargs):
        raise AssertionError("a clean form must not ask")

    monkeypatch.setattr(QMessageBox, "question", staticmethod(no_question))
    form = _form(qtbot, checkins)
    assert not form.is_dirty() and form.draft_payload() is None
    _press(qtbot, Key.Key_Escape)
    assert not form.isVisible() and form.result() == QDialog.DialogCode.Rejected


def test_escape_on_a_dirty_form_asks_first(qtbot, checkins, monkeypatch):
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def question(_parent, title, _text, *_args, **_kwargs):
        asked.append(title)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    form = _form(qtbot, checkins)
    _type(qtbot, "Osp")
    assert form.is_dirty()
    _press(qtbot, Key.Key_Escape)
    assert asked == ["Discard this check-in?"]
    assert form.isVisible() and form.officer.currentText() == "Osp"  # No: keep typing
    qtbot.mouseClick(form.cancel_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 2 and not form.isVisible()
    assert checkins.count() == 0


def test_discard_closes_without_asking(qtbot, checkins, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: 1 / 0))
    form = _form(qtbot, checkins)
    _type(qtbot, "Osprey")
    form.discard()  # what the app calls after sealing the draft on lock
    assert not form.isVisible()


# -- 6. drafts -----------------------------------------------------------------------------------
def test_draft_payload_round_trip_restores_every_field(qtbot, checkins):
    kestrel = _officer(checkins, "Kestrel")
    harbor = _officer(checkins, "Harbor 2")
    form = _form(qtbot, checkins)
    form.when.setDateTime(form.when.dateTime().addDays(-1).addSecs(-3600))
    form.officer.setEditText("Osprey 4")
    form.new_name.setText("Dana Whitfield")
    form.new_contact.setText("555-0134")
    form.notice.setChecked(True)
    _fill_valid(form)
    form.contact_type.setCurrentIndex(form.contact_type.findData("debriefing"))
    form.recipient.setCurrentIndex(form.recipient.findData("family"))
    form.duration.setValue(95)
    form.headcount.setValue(9)
    form.group_officers.set_checked([kestrel.id, harbor.id])
    form.referrals.set_checked(["clinician", "crisis_line"])
    form.providers.setText("Dr. Ames")
    form.risk.setCurrentIndex(form.risk.findData("moderate"))
    form.exceptions.set_checked(["admitted_crime"])
    form.incident_ref.setText("CAD 24-118733")
    form.notes.setPlainText("Line one\nLine two\twith a tab")
    form.follow_up.setChecked(True)

    payload = form.draft_payload()
    assert payload is not None
    checkins.save_draft(json.loads(json.dumps(payload)))  # JSON-able, sealed in the vault
    restored_payload = checkins.load_draft()
    form.discard()

    restored = _form(qtbot, checkins, draft=restored_payload)
    assert restored.state() == form.state()
    assert restored.is_dirty()  # a restored draft is not silently thrown away
    assert restored.officer.currentText() == "Osprey 4" and restored.new_name.isVisible()
    assert restored.headcount.isVisible() and restored.group_officers.checked() == [
        o.id for o in sorted([kestrel, harbor], key=lambda o: o.alias)]
    assert restored.guidance.isVisible()
    assert restored.notes.toPlainText() == "Line one\nLine two\twith a tab"
    with qtbot.waitSignal(restored.saved):
        restored.save()
    assert checkins.load_draft() is None  # saving clears the kept draft


def test_a_damaged_draft_falls_back_to_defaults(qtbot, checkins):
    bad = {"occurred_at": "yesterday", "duration_minutes": "lots", "referrals": [1, 2],
           "notes": "kept", "headcount": True, "unknown": object()}
    form = _form(qtbot, checkins, draft=bad)
    assert form.duration.value() == 30 and form.referrals.checked() == []
    assert form.headcount.value() == 0 and form.notes.toPlainText() == "kept"


# -- 7. editing ----------------------------------------------------------------------------------
def test_editing_fills_every_field_and_updates_the_same_check_in(qtbot, checkins):
    finch = _officer(checkins, "Finch", notice=False)  # e.g. imported from the command line
    original = CheckIn(
        occurred_at=NOW - timedelta(days=3), officer_id=finch.id,
        incident_category="fatal_collision", contact_type="in_person", initiated_by="self",
        recipient_class="sworn", duration_minutes=50, referrals=["eap"],
        referral_providers="EAP line", risk_level="moderate", incident_ref="R-1",
        notes="First talk.", follow_up=True,
    )
    checkins.save(original)
    form = _form(qtbot, checkins, existing=checkins.get(original.id))
    assert form.windowTitle() == "Edit check-in"
    state = form.state()
    assert state.occurred_at == original.occurred_at  # to the second, not rounded
    assert (state.officer_id, state.incident_category, state.duration_minutes) == (
        finch.id, "fatal_collision", 50)
    assert form.referrals.checked() == ["eap"] and form.providers.text() == "EAP line"
    assert form.notes.toPlainText() == "First talk." and form.follow_up.isChecked()
    assert not form.is_dirty()

    form.notes.setFocus()
    qtbot.keyClick(form.notes, Key.Key_End, CTRL)
    _type(qtbot, " Second talk planned.")
    form.duration.setValue(70)
    # re-saving an old contact does not demand a notice after the fact
    with qtbot.waitSignal(form.saved) as blocker:
        _press(qtbot, Key.Key_Return, CTRL)
    assert blocker.args == [original.id]
    assert checkins.count() == 1
    c = checkins.get(original.id).checkin
    assert c.notes == "First talk. Second talk planned." and c.duration_minutes == 70
    assert c.occurred_at == original.occurred_at


# -- 8. group contacts ---------------------------------------------------------------------------
def test_group_contact_shows_headcount_and_group_officers(qtbot, checkins):
    kestrel = _officer(checkins, "Kestrel")
    harbor = _officer(checkins, "Harbor 2")
    form = _form(qtbot, checkins, last="in_person")
    assert not form.headcount.isVisible() and not form.group_officers.isVisible()
    form.contact_type.setFocus()
    _type(qtbot, "De")  # "Defusing (group)"
    assert form.contact_type.currentData() == "defusing"
    assert form.headcount.isVisible() and form.group_officers.isVisible()
    assert sorted(form.group_officers.codes()) == sorted([kestrel.id, harbor.id])
    _fill_valid(form)
    form.headcount.setValue(12)
    form.group_officers.set_checked([harbor.id])
    # no main officer: a group with a headcount does not need one
    with qtbot.waitSignal(form.saved) as blocker:
        form.save()
    c = checkins.get(blocker.args[0]).checkin
    assert c.officer_id is None and c.headcount == 12 and c.group_officer_ids == [harbor.id]

    other = _form(qtbot, checkins, last="defusing")
    _fill_valid(other)
    other.save()  # neither an officer nor a headcount
    assert "headcount" in other._boxes["officer"].error.text() and checkins.count() == 1
    assert other.headcount.isVisible()
    other.contact_type.setCurrentIndex(other.contact_type.findData("phone"))
    assert not other.headcount.isVisible() and not other.group_officers.isVisible()


def test_headcount_typed_for_a_group_is_not_saved_for_a_one_on_one(qtbot, checkins):
    _officer(checkins, "Kestrel")
    form = _form(qtbot, checkins, last="debriefing")
    _fill_valid(form, "Kestrel")
    form.headcount.setValue(5)
    form.contact_type.setCurrentIndex(form.contact_type.findData("phone"))
    with qtbot.waitSignal(form.saved) as blocker:
        form.save()
    c = checkins.get(blocker.args[0]).checkin
    assert c.headcount is None and c.group_officer_ids == []


def test_every_input_has_an_accessible_name_and_sensitive_fields_are_marked(qtbot, checkins):
    form = _form(qtbot, checkins)
    kinds = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QListWidget,
             QPlainTextEdit)
    for widget in form.findChildren(QWidget):
        if isinstance(widget, kinds) and widget.parent() is not None:
            owner = widget.parentWidget()
            if isinstance(owner, (QComboBox, QAbstractSpinBox)):
                continue  # the inner line edit of a combo box or spin box
            assert widget.accessibleName(), type(widget).__name__
    hints = Qt.InputMethodHint.ImhSensitiveData | Qt.InputMethodHint.ImhNoPredictiveText
    for editor in (form.officer, form.officer.lineEdit(), form.new_name, form.new_contact,
                   form.notes, form.providers, form.incident_ref):
        assert editor.inputMethodHints() & hints == hints



def test_mnemonics_jump_to_fields(qtbot, checkins):
    form = _form(qtbot, checkins)
    alt = Qt.KeyboardModifier.AltModifier
    for key, target in ((Key.Key_N, form.notes), (Key.Key_I, form.category),
                        (Key.Key_T, form.when), (Key.Key_K, form.risk),
                        (Key.Key_X, form.exceptions), (Key.Key_O, form.officer)):
        _press(qtbot, key, alt)
        assert QApplication.focusWidget() is target, key


# -- errors while saving -------------------------------------------------------------------------
def test_an_officer_removed_meanwhile_is_explained_and_nothing_is_saved(
    qtbot, checkins, vault: UnlockedVault, monkeypatch
):
    kestrel = _officer(checkins, "Kestrel")
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        staticmethod(lambda _p, _t, text, *a, **k: warnings.append(text)))
    form = _form(qtbot, checkins)
    _fill_valid(form, "Kestrel")
    vault.delete_officer(kestrel.id)  # e.g. forgotten in the officers view
    with qtbot.assertNotEmitted(form.saved):
        form.save()
    assert len(warnings) == 1 and "no longer exists" in warnings[0]
    assert form.isVisible() and checkins.count() == 0
    assert form.officer.findText("Kestrel") == -1  # the list was reloaded


def test_an_unexpected_failure_keeps_the_typing_and_logs_no_record_data(
    qtbot, checkins, monkeypatch, caplog
):
    canary = "Zq7CanaryNoteXv"
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        staticmethod(lambda _p, _t, text, *a, **k: warnings.append(text)))

    def broken(*_args, **_kwargs):
        raise RuntimeError(f"disk said no to {canary}")

    monkeypatch.setattr(checkins, "save", broken)
    form = _form(qtbot, checkins)
    _fill_valid(form, "Wren")
    form.notice.setChecked(True)
    form.notes.setPlainText(canary)
    with caplog.at_level("DEBUG"), qtbot.assertNotEmitted(form.saved):
        form.save()
    assert len(warnings) == 1 and "RuntimeError" in warnings[0] and canary not in warnings[0]
    assert canary not in caplog.text and "RuntimeError" in caplog.text
    assert form.isVisible() and form.notes.toPlainText() == canary


# -- with the app: locking mid-typing ------------------------------------------------------------
@pytest.fixture
def controller(qtbot, vault: UnlockedVault) -> Iterator[AppController]:
    vault.lock()
    ctl = AppController(vault.data_dir.root, FAST_TEST_PROFILE)
    with qtbot.waitSignal(ctl.ready, timeout=5_000):
        assert ctl.start()
    qtbot.addWidget(ctl.window)
    yield ctl
    ctl.shutdown()
    wait_for_tasks()


def _unlock(qtbot, ctl: AppController) -> None:
    qtbot.keyClicks(ctl.window.lock_screen.passphrase, PASSPHRASE)
    with qtbot.waitSignal(ctl.unlocked, timeout=10_000):
        qtbot.keyClick(ctl.window.lock_screen.passphrase, Key.Key_Return)


def _open_forms() -> list[CheckinForm]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, CheckinForm) and w.isVisible()]


def test_locking_mid_typing_seals_the_draft_and_unlocking_restores_it(qtbot, controller):
    _unlock(qtbot, controller)
    form = controller.open_checkin_form()
    qtbot.waitExposed(form)
    form.officer.setEditText("Osprey 4")
    form.notes.setPlainText("half typed")
    before = form.state()
    controller.lock()  # no question asked, nothing left on screen
    assert _open_forms() == []
    _unlock(qtbot, controller)
    qtbot.waitUntil(lambda: len(_open_forms()) == 1)
    restored = _open_forms()[0]
    assert restored.state() == before
    restored.discard()


def test_locking_with_a_clean_form_keeps_no_draft(qtbot, controller):
    _unlock(qtbot, controller)
    form = controller.open_checkin_form()
    qtbot.waitExposed(form)
    controller.lock()
    assert _open_forms() == []
    _unlock(qtbot, controller)
    assert controller.vault.checkins().load_draft() is None
    assert _open_forms() == []
