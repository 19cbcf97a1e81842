"""Placing and lifting legal holds from the window, and storage errors in the check-in form,
offscreen with real widgets: the hold button in the check-in pane and the officer detail holds
and lifts (lifting only after confirming), the label and the list follow, deletion is refused
while held, and a full disk during a save says so and keeps what was typed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy.exc import OperationalError

from peersupport.domain.notice import DEFAULT_NOTICE
from peersupport.domain.officer import Officer
from peersupport.services.checkins import CheckinService
from peersupport.services.vault import UnlockedVault
from peersupport.ui.checkin_form import CheckinForm
from peersupport.ui.checkins_model import CheckinTableModel
from peersupport.ui.checkins_page import CheckinsPage
from peersupport.ui.officers_page import OfficersPage
from tests.test_ui_checkin_form import NOW, _fill_valid
from tests.test_ui_checkins_page import TZ, loaded, make_checkin, seed, settle

Yes, Cancel = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Cancel


@pytest.fixture
def checkins(vault: UnlockedVault) -> CheckinService:
    return vault.checkins()


@pytest.fixture
def page(qtbot, checkins: CheckinService) -> Iterator[CheckinsPage]:
    widget = CheckinsPage(checkins)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    yield widget
    widget.clear()
    settle()


def _answers(monkeypatch, answer: QMessageBox.StandardButton) -> list[str]:
    asked: list[str] = []

    def question(_parent, _title, text, *_a, **_k):
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def _held_tooltip(page: CheckinsPage, checkin_id: str) -> object:
    row = page.model.row_of(checkin_id)
    assert row is not None
    return page.model.index(row, CheckinTableModel.DATE).data(Qt.ItemDataRole.ToolTipRole)


def test_place_a_hold_from_the_pane_refuse_deletion_then_lift_after_confirming(
        qtbot, page: CheckinsPage, checkins: CheckinService, monkeypatch) -> None:
    heron = Officer(alias="Heron 4")
    (c,) = seed(checkins, [make_checkin(heron, datetime(2025, 6, 20, 9, 30, tzinfo=TZ),
                                        notes="kept")], [heron])
    retention = checkins.retention()
    page.reload()
    loaded(qtbot, page, 1)
    page.show_checkin(c.id)
    qtbot.waitUntil(lambda: page.detail.current_id() == c.id
                    and page.detail.values["officer"].text() != "", timeout=5_000)
    pane = page.detail
    assert not pane.hold_label.isVisible() and pane.hold_button.isVisible()
    assert pane.hold_button.text().replace("&", "") == "Place legal hold"
    assert not _held_tooltip(page, c.id)

    pane.hold_button.click()  # placing asks nothing
    qtbot.waitUntil(lambda: pane.hold_label.isVisible(), timeout=5_000)
    assert retention.is_checkin_held(c.id)
    assert pane.hold_label.text().startswith("Legal hold")
    assert pane.hold_button.text().replace("&", "") == "Lift legal hold…"
    qtbot.waitUntil(lambda: bool(_held_tooltip(page, c.id)), timeout=5_000)
    assert "Held" in str(_held_tooltip(page, c.id))  # the list marks it too

    pane.delete_button.click()
    assert page.delete_question is not None
    page.delete_question.mistake_button.click()
    qtbot.waitUntil(lambda: page.error_banner.isVisible(), timeout=5_000)
    assert "legal hold" in page.error_banner.text()
    assert checkins.get(c.id).checkin.notes == "kept"

    asked = _answers(monkeypatch, Cancel)  # cancelled: still held
    pane.hold_button.click()
    settle()
    assert len(asked) == 1 and "allows deletion and expiry again" in asked[0]
    assert retention.is_checkin_held(c.id) and pane.hold_label.isVisible()

    asked = _answers(monkeypatch, Yes)
    pane.hold_button.click()
    qtbot.waitUntil(lambda: not pane.hold_label.isVisible(), timeout=5_000)
    assert len(asked) == 1
    assert not retention.is_checkin_held(c.id)
    assert pane.hold_button.text().replace("&", "") == "Place legal hold"
    qtbot.waitUntil(lambda: not _held_tooltip(page, c.id), timeout=5_000)


def test_a_hold_through_an_officer_is_named_and_not_lifted_from_the_check_in(
        qtbot, page: CheckinsPage, checkins: CheckinService) -> None:
    heron = Officer(alias="Heron 4")
    (c,) = seed(checkins, [make_checkin(heron, datetime(2025, 6, 20, 9, 30, tzinfo=TZ))],
                [heron])
    checkins.retention().hold_officer(heron.id)
    page.reload()
    loaded(qtbot, page, 1)
    page.show_checkin(c.id)
    qtbot.waitUntil(lambda: page.detail.current_id() == c.id
                    and page.detail.hold_label.isVisible(), timeout=5_000)
    qtbot.waitUntil(lambda: "through one of its officers" in page.detail.hold_label.text(),
                    timeout=5_000)
    assert page.detail.hold_button.text().replace("&", "") == "Place legal hold"
    assert "Held" in str(_held_tooltip(page, c.id))


def test_place_and_lift_a_hold_on_an_officer(
        qtbot, checkins: CheckinService, monkeypatch) -> None:
    heron = Officer(alias="Heron 4")
    (c,) = seed(checkins, [make_checkin(heron, datetime(2025, 6, 20, 9, 30, tzinfo=TZ))],
                [heron])
    retention = checkins.retention()
    page = OfficersPage(checkins)
    qtbot.addWidget(page)
    page.resize(900, 560)
    page.show()
    try:
        qtbot.waitUntil(lambda: page.list.count() == 1, timeout=10_000)
        page.select_officer(heron.id)
        qtbot.waitUntil(lambda: page.detail.timeline.topLevelItemCount() == 1, timeout=5_000)
        detail = page.detail
        assert not detail.is_held()
        assert detail.hold_button.text().replace("&", "") == "Place legal hold"

        detail.hold_button.click()
        qtbot.waitUntil(lambda: detail.is_held(), timeout=5_000)
        assert retention.is_officer_held(heron.id)
        assert retention.is_checkin_held(c.id, [heron.id])
        assert detail.hold_state.isVisible()
        assert detail.hold_state.text().startswith("Legal hold")
        assert detail.hold_button.text().replace("&", "") == "Lift legal hold…"

        _answers(monkeypatch, Yes)  # forgetting is refused while held
        detail.forget_button.click()
        qtbot.waitUntil(lambda: page.error.isVisible(), timeout=5_000)
        assert "legal hold" in page.error.text()
        assert len(checkins.officers()) == 1

        asked = _answers(monkeypatch, Cancel)
        detail.hold_button.click()
        settle()
        assert len(asked) == 1 and "allows deletion and expiry again" in asked[0]
        assert retention.is_officer_held(heron.id) and detail.is_held()

        asked = _answers(monkeypatch, Yes)
        detail.hold_button.click()
        qtbot.waitUntil(lambda: not detail.is_held(), timeout=5_000)
        assert len(asked) == 1
        assert not retention.is_officer_held(heron.id)
        assert detail.hold_button.text().replace("&", "") == "Place legal hold"
    finally:
        page.clear()
        settle()


def test_a_full_disk_during_a_save_says_so_and_keeps_the_typing(
        qtbot, checkins: CheckinService, monkeypatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        staticmethod(lambda _p, _t, text, *a, **k: warnings.append(text)))

    def full(*_args, **_kwargs):
        raise OperationalError("INSERT INTO checkins", None,
                               sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(checkins, "save", full)
    form = CheckinForm(checkins, DEFAULT_NOTICE, "phone", now=lambda: NOW)
    qtbot.addWidget(form, before_close_func=lambda w: w.discard())
    form.show()
    _fill_valid(form, "Wren")
    form.notice.setChecked(True)
    form.notes.setPlainText("typed before the disk filled up")
    with qtbot.assertNotEmitted(form.saved):
        form.save()
    assert len(warnings) == 1
    assert "disk is full" in warnings[0] and "still here" in warnings[0]
    assert form.isVisible()
    assert form.notes.toPlainText() == "typed before the disk filled up"
    assert form.officer.currentText() == "Wren"
    assert checkins.count() == 0
