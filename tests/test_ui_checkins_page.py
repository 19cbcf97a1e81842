"""The check-ins list: table model, lazy loading by period, masking, filters, sorting, the
detail pane, deletion, damaged rows and wiping on lock. Driven offscreen like a person would."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QModelIndex, Qt, qInstallMessageHandler
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
)

from peersupport.domain.checkin import CheckIn
from peersupport.domain.officer import Officer
from peersupport.services.checkins import CheckinService, RecordNotFoundError
from peersupport.services.vault import UnlockedVault
from peersupport.ui import checkins_model
from peersupport.ui.checkins_model import CheckinTableModel
from peersupport.ui.checkins_page import CheckinsPage
from peersupport.ui.presentation import MASK
from peersupport.ui.tasks import wait_for_tasks
from tests._support import raw_execute, raw_one

Model = CheckinTableModel
TZ = timezone(timedelta(hours=-5))
CANARY_ALIAS = "Zq7CanaryAliasXv"
CANARY_NOTES = "Qx9CanaryNotesWb"


# -- seeding, shared with the officers and search tests -------------------------------------
def make_checkin(
    officer: Officer | None, when: datetime, *, category: str = "cumulative_stress",
    contact: str = "phone", notes: str = "", follow_up: bool = False,
    group: Iterable[Officer] = (), headcount: int | None = None,
) -> CheckIn:
    return CheckIn(
        occurred_at=when, officer_id=officer.id if officer else None,
        incident_category=category, contact_type=contact, initiated_by="self",
        recipient_class="sworn", duration_minutes=30, notes=notes, follow_up=follow_up,
        group_officer_ids=[o.id for o in group], headcount=headcount,
    )


def seed(
    service: CheckinService, records: Iterable[CheckIn], officers: Iterable[Officer] = ()
) -> list[CheckIn]:
    new = list(officers)
    saved = []
    for c in records:
        service.save(c, new)
        new = []
        saved.append(c)
    return saved


def spread(
    officer: Officer, per_month: dict[str, int], **kwargs: object
) -> list[CheckIn]:
    """``count`` check-ins in each ``YYYY-MM``, a day apart, newest on the 20th."""
    out = []
    for period, count in per_month.items():
        year, month = map(int, period.split("-"))
        for i in range(count):
            when = datetime(year, month, 20 - i, 9, 30, tzinfo=TZ)
            out.append(make_checkin(officer, when, **kwargs))  # type: ignore[arg-type]
    return out


def screen_texts() -> list[str]:
    """Every piece of text any live widget could show, including list and combo items."""
    texts: list[str] = []
    for widget in QApplication.allWidgets():
        if isinstance(widget, QLineEdit | QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QPlainTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            texts.extend(widget.itemText(i) for i in range(widget.count()))
        if isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            for row in range(model.rowCount(QModelIndex())):
                column = 0
                while model.hasIndex(row, column):  # list models hide columnCount()
                    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                        value = model.data(model.index(row, column), role)
                        if value is not None:
                            texts.append(str(value))
                    column += 1
        texts.append(widget.windowTitle())
        texts.append(widget.toolTip())
    return texts


def settle() -> None:
    wait_for_tasks()
    QApplication.processEvents()


# -- fixtures --------------------------------------------------------------------------------
@pytest.fixture
def checkins(vault: UnlockedVault) -> CheckinService:
    return vault.checkins()


@pytest.fixture
def officers() -> tuple[Officer, Officer]:
    return Officer(alias=CANARY_ALIAS, full_name="Dana Reyes"), Officer(alias="Harbor 7")


@pytest.fixture
def page(qtbot, checkins: CheckinService) -> Iterator[CheckinsPage]:
    widget = CheckinsPage(checkins)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    yield widget
    widget.clear()
    settle()


def loaded(qtbot, page: CheckinsPage, rows: int | None = None) -> None:
    def ready() -> bool:
        if page.model.is_loading():
            return False
        return rows is None or page.model.rowCount() == rows

    qtbot.waitUntil(ready, timeout=10_000)


def officer_cells(model: CheckinTableModel) -> list[str]:
    return [model.index(r, Model.OFFICER).data() for r in range(model.rowCount())]


# -- the model -------------------------------------------------------------------------------
def test_model_passes_the_model_tester_through_loading_sorting_and_clearing(
    qtbot, qtmodeltester, checkins: CheckinService, officers: tuple[Officer, Officer]
):
    bravo, harbor = officers
    seed(checkins, [*spread(bravo, {"2025-06": 3, "2025-05": 3}),
                   *spread(harbor, {"2025-04": 2}, category="line_of_duty_death")],
         [bravo, harbor])
    model = CheckinTableModel(checkins, page_rows=2)
    qtmodeltester.check(model, force_py=True)  # re-checks on every signal from here on
    model.reload()
    qtbot.waitUntil(lambda: model.rowCount() == 2 and not model.is_loading(), timeout=10_000)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        qtbot.waitUntil(lambda: not model.is_loading(), timeout=10_000)
    assert model.rowCount() == 8 and model.is_complete()
    model.set_selected_id(model.index(0, 0).data(Model.IdRole))
    model.set_show_names(True)
    model.sort(Model.INCIDENT, Qt.SortOrder.AscendingOrder)
    model.remove_checkin(model.index(1, 0).data(Model.IdRole))
    model.clear()
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())
    # Qt's own tester too: it reports through Qt's message handler, which must stay silent.
    from PySide6.QtTest import QAbstractItemModelTester

    messages: list[str] = []
    previous = qInstallMessageHandler(lambda _mode, _context, text: messages.append(text))
    try:
        tester = QAbstractItemModelTester(
            model, QAbstractItemModelTester.FailureReportingMode.Warning
        )
        model.reload()
        qtbot.waitUntil(lambda: model.rowCount() == 2 and not model.is_loading(),
                        timeout=10_000)
        model.fetchMore(QModelIndex())
        qtbot.waitUntil(lambda: not model.is_loading(), timeout=10_000)
        model.set_selected_id(model.index(0, 0).data(Model.IdRole))
        model.sort(Model.DATE, Qt.SortOrder.AscendingOrder)
        qtbot.waitUntil(model.is_complete, timeout=10_000)
        model.sort(Model.OFFICER, Qt.SortOrder.DescendingOrder)
        model.clear()
        settle()
    finally:
        qInstallMessageHandler(previous)
    assert tester is not None
    assert not [m for m in messages if "FAIL" in m], messages


def test_labels_not_codes_and_an_id_role(qtbot, checkins, officers):
    bravo, _ = officers
    seed(checkins, [make_checkin(bravo, datetime(2025, 6, 4, 9, 30, tzinfo=TZ),
                                category="line_of_duty_death", contact="debriefing",
                                follow_up=True)], [bravo])
    model = CheckinTableModel(checkins)
    model.reload()
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=10_000)
    row = [model.index(0, c).data() for c in range(model.columnCount())]
    assert row == ["4 Jun 2025 09:30", MASK, "Line-of-duty death",
                   "Debriefing / CISD (group)", "Wanted"]
    assert model.headerData(Model.INCIDENT, Qt.Orientation.Horizontal) == "Incident"
    assert model.index(0, Model.DATE).data(Model.IdRole) == checkins.summaries()[0][0].id
    assert isinstance(model.index(0, Model.DATE).data(Model.SortRole), float)
    model.clear()


def test_an_empty_vault_says_how_to_start(qtbot, page: CheckinsPage):
    loaded(qtbot, page, 0)
    assert page.status.text() == "0 check-ins"
    assert page.detail.placeholder.text().startswith("No check-ins yet.")
    page.filters.contact.setCurrentIndex(2)
    loaded(qtbot, page, 0)
    assert page.detail.placeholder.text() == "No check-ins match these filters."


def test_lazy_loading_takes_the_newest_rows_first_then_continues(qtbot, checkins, officers):
    bravo, _ = officers
    seed(checkins, spread(bravo, {"2025-06": 5, "2025-05": 5, "2025-04": 5, "2025-03": 5}),
         [bravo])
    model = CheckinTableModel(checkins, page_rows=6)
    model.reload()
    qtbot.waitUntil(lambda: model.rowCount() > 0 and not model.is_loading(), timeout=10_000)
    # six rows asked for: June's five and the newest of May - and nothing older yet
    periods = [model.summary(r).period for r in range(model.rowCount())]
    assert periods == ["2025-06"] * 5 + ["2025-05"]
    dates = [model.summary(r).occurred_at for r in range(model.rowCount())]
    assert dates == sorted(dates, reverse=True)
    assert model.canFetchMore(QModelIndex()) and not model.is_complete()
    model.fetchMore(QModelIndex())
    assert not model.canFetchMore(QModelIndex())  # one request at a time
    qtbot.waitUntil(lambda: model.rowCount() == 12 and not model.is_loading(), timeout=10_000)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        qtbot.waitUntil(lambda: not model.is_loading(), timeout=10_000)
    assert model.rowCount() == 20 and model.is_complete()
    dates = [model.summary(r).occurred_at for r in range(20)]
    assert dates == sorted(dates, reverse=True)  # the page boundaries kept the exact order
    model.clear()


def test_the_view_fetches_older_periods_when_scrolled_to_the_end(
    qtbot, page: CheckinsPage, checkins, officers, monkeypatch
):
    bravo, _ = officers
    seed(checkins, spread(bravo, {"2025-06": 20, "2025-05": 20, "2025-04": 20}), [bravo])
    page.reload()
    loaded(qtbot, page)
    assert page.model.rowCount() == 60  # a small vault: one page holds it all
    assert page.status.text() == "60 check-ins"

    monkeypatch.setattr(checkins_model, "PAGE_ROWS", 15)
    small = CheckinsPage(checkins)
    qtbot.addWidget(small)
    small.resize(900, 500)
    small.show()
    qtbot.waitUntil(lambda: small.model.rowCount() >= 15 and not small.model.is_loading(),
                    timeout=10_000)
    shown = small.model.rowCount()
    # the total is counted in the background: the status says "N of 60" once it arrives
    qtbot.waitUntil(lambda: f"{shown} of 60" in small.status.text(), timeout=10_000)
    small.table.scrollToBottom()
    qtbot.waitUntil(lambda: small.model.rowCount() > shown, timeout=10_000)
    small.clear()


# -- masking ---------------------------------------------------------------------------------
def test_names_are_masked_until_the_row_is_selected_or_shown(
    qtbot, page: CheckinsPage, checkins, officers
):
    bravo, harbor = officers
    seed(checkins, [make_checkin(bravo, datetime(2025, 6, 5, 9, 0, tzinfo=TZ)),
                   make_checkin(harbor, datetime(2025, 6, 4, 9, 0, tzinfo=TZ))],
         [bravo, harbor])
    page.reload()
    loaded(qtbot, page, 2)
    assert officer_cells(page.model) == [MASK, MASK]
    table_texts = [page.model.index(r, c).data(role) for r in range(2) for c in range(5)
                   for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                Qt.ItemDataRole.AccessibleTextRole)]
    assert not any(CANARY_ALIAS in str(t) for t in table_texts)
    assert page.model.index(0, Model.OFFICER).data(Qt.ItemDataRole.AccessibleTextRole) == \
        "Name hidden"
    page.table.selectRow(0)
    assert officer_cells(page.model) == [CANARY_ALIAS, MASK]
    page.table.selectRow(1)
    assert officer_cells(page.model) == [MASK, "Harbor 7"]
    qtbot.keyClick(page.table, Qt.Key.Key_N,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert page.show_names.isChecked()
    assert officer_cells(page.model) == [CANARY_ALIAS, "Harbor 7"]
    page.show_names.setChecked(False)
    assert officer_cells(page.model) == [MASK, "Harbor 7"]


def test_group_contacts_show_how_many_are_named(qtbot, checkins, officers):
    bravo, harbor = officers
    seed(checkins, [
        make_checkin(None, datetime(2025, 6, 5, 9, 0, tzinfo=TZ), contact="defusing",
                     headcount=6, group=[bravo, harbor]),
        make_checkin(bravo, datetime(2025, 6, 4, 9, 0, tzinfo=TZ), contact="debriefing",
                     group=[harbor]),
    ], [bravo, harbor])
    model = CheckinTableModel(checkins)
    model.reload()
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=10_000)
    assert officer_cells(model) == ["Group (2 named)", f"{MASK} +1"]
    model.set_show_names(True)
    assert officer_cells(model) == ["Group (2 named)", f"{CANARY_ALIAS} +1"]
    model.clear()


# -- filters and sorting ---------------------------------------------------------------------
def test_filters_narrow_the_rows(qtbot, page: CheckinsPage, checkins, officers):
    bravo, harbor = officers
    seed(checkins, [
        *spread(bravo, {"2025-06": 3, "2025-05": 2}),
        *spread(harbor, {"2025-05": 2}, category="line_of_duty_death", contact="in_person"),
        make_checkin(None, datetime(2025, 4, 2, 9, 0, tzinfo=TZ), contact="defusing",
                     headcount=5, group=[harbor]),
    ], [bravo, harbor])
    page.reload()
    loaded(qtbot, page, 8)
    qtbot.waitUntil(lambda: page.filters.month.count() == 4, timeout=5_000)
    assert page.filters.month.itemText(1) == "June 2025 (3)"
    assert not page.filters.reset_button.isVisible()

    page.table.selectRow(0)  # a June check-in
    qtbot.waitUntil(lambda: page.detail.values["officer"].text() != "", timeout=5_000)
    page.filters.month.setCurrentIndex(page.filters.month.findData("2025-05"))
    loaded(qtbot, page, 4)
    assert {page.model.summary(r).period for r in range(4)} == {"2025-05"}
    assert page.current_id() is None  # the filtered-out check-in is not shown beside them
    deaths = [r for r in range(4)
              if page.model.index(r, Model.INCIDENT).data() == "Line-of-duty death"]
    page.table.selectRow(deaths[0])  # one that stays listed as the filter narrows further
    may = page.model.index(deaths[0], 0).data(Model.IdRole)
    page.filters.incident.setCurrentIndex(page.filters.incident.findData("line_of_duty_death"))
    loaded(qtbot, page, 2)
    assert page.current_id() == may and page.table.currentIndex().row() == page.model.row_of(may)
    assert page.filters.reset_button.isVisible()
    page.filters.reset_button.click()
    loaded(qtbot, page, 8)

    page.filters.contact.setCurrentIndex(page.filters.contact.findData("defusing"))
    loaded(qtbot, page, 1)
    page.filters.contact.setCurrentIndex(0)
    loaded(qtbot, page, 8)

    # the officer link is sealed: the filter loads every row, and counts group membership
    qtbot.waitUntil(lambda: page.filters.officer.count() == 3, timeout=5_000)
    assert [page.filters.officer.itemText(i) for i in range(3)] == [
        "All officers", "Harbor 7", CANARY_ALIAS]
    page.filters.officer.setCurrentIndex(page.filters.officer.findData(harbor.id))
    loaded(qtbot, page, 3)
    assert page.status.text() == "3 with this officer"
    page.filters.officer.setCurrentIndex(page.filters.officer.findData(bravo.id))
    loaded(qtbot, page, 5)


def test_sorting_loads_every_row_first_then_sorts(
    qtbot, checkins, officers, monkeypatch
):
    bravo, harbor = officers
    seed(checkins, [*spread(bravo, {"2025-06": 18, "2025-05": 4}),
                   *spread(harbor, {"2025-02": 3}, category="assault_on_officer")],
         [bravo, harbor])
    monkeypatch.setattr(checkins_model, "PAGE_ROWS", 3)
    page = CheckinsPage(checkins)
    qtbot.addWidget(page)
    page.resize(1000, 400)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() >= 3 and not page.model.is_loading(),
                    timeout=10_000)
    assert not page.model.is_complete()  # the newest rows only: nothing older read yet
    seen_busy = []
    page.model.loading_changed.connect(lambda on: seen_busy.append(
        (on, page.busy.isVisibleTo(page), page.status.text())))
    page.table.sortByColumn(Model.DATE, Qt.SortOrder.AscendingOrder)
    assert seen_busy[0] == (True, True, "Loading every check-in…")
    loaded(qtbot, page, 25)
    assert page.model.is_complete() and not page.busy.isVisibleTo(page)
    dates = [page.model.summary(r).occurred_at for r in range(25)]
    assert dates == sorted(dates)
    assert page.model.summary(0).period == "2025-02"

    page.table.sortByColumn(Model.INCIDENT, Qt.SortOrder.AscendingOrder)  # all loaded: at once
    assert not page.model.is_loading()
    labels = [page.model.index(r, Model.INCIDENT).data() for r in range(25)]
    assert labels == sorted(labels, key=str.casefold)
    assert labels[0] == "Assault on an officer"
    page.clear()
    settle()


# -- the detail pane, edit and delete --------------------------------------------------------
def test_detail_pane_shows_every_field_and_the_notes(qtbot, page: CheckinsPage, checkins, officers):
    bravo, _ = officers
    c = make_checkin(bravo, datetime(2025, 6, 5, 14, 5, tzinfo=TZ), category="coworker_suicide",
                     contact="in_person", notes=f"Slept badly. {CANARY_NOTES}", follow_up=True)
    c.risk_level = "high"
    c.referrals = ["eap", "chaplain"]
    c.incident_ref = "24-1187"
    seed(checkins, [c], [bravo])
    page.reload()
    loaded(qtbot, page, 1)
    assert page.detail.placeholder.isVisibleTo(page)
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: CANARY_NOTES in page.detail.notes.toPlainText(), timeout=5_000)
    values = {k: v.text() for k, v in page.detail.values.items()}
    assert page.detail.title.text() == "Thu 5 June 2025, 14:05"
    assert values["officer"] == f"{CANARY_ALIAS} (Dana Reyes)"
    assert values["incident"] == "Co-worker suicide"
    assert values["contact"] == "One-on-one, in person"
    assert values["referrals"] == "Employee Assistance Program, Chaplain"
    assert values["risk"] == "High"
    assert values["incident_ref"] == "24-1187"
    assert values["follow_up"] == "Wanted"
    assert not page.detail.form.isRowVisible(page.detail.values["exceptions"])

    with qtbot.waitSignal(page.edit_requested) as edit:
        page.detail.edit_button.click()
    assert edit.args == [c.id]
    with qtbot.waitSignal(page.edit_requested) as edit:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert edit.args == [c.id]
    with qtbot.waitSignal(page.new_requested):
        page.new_button.click()


def test_show_checkin_selects_its_row_and_opens_it(qtbot, page: CheckinsPage, checkins, officers):
    bravo, _ = officers
    saved = seed(checkins, spread(bravo, {"2025-06": 3}, notes=CANARY_NOTES), [bravo])
    page.reload()
    loaded(qtbot, page, 3)
    page.show_checkin(saved[2].id)
    assert page.table.currentIndex().row() == page.model.row_of(saved[2].id)
    qtbot.waitUntil(lambda: page.current_id() == saved[2].id
                    and CANARY_NOTES in page.detail.notes.toPlainText(), timeout=5_000)


def test_delete_asks_naming_date_and_officer_then_erases(
    qtbot, page: CheckinsPage, checkins, officers
):
    bravo, _ = officers
    saved = seed(checkins, spread(bravo, {"2025-06": 2}), [bravo])
    page.reload()
    loaded(qtbot, page, 2)
    target = page.model.index(0, 0).data(Model.IdRole)
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: page.detail.values["officer"].text() != "", timeout=5_000)

    page.detail.delete_button.click()
    question = page.delete_question
    assert question is not None and question.isVisible()
    assert question.text().startswith(
        f"Delete the check-in of 20 Jun 2025 09:30 with {CANARY_ALIAS}?")
    assert "cannot be undone" in question.text()
    question.cancel_button.click()
    settle()
    assert page.delete_question is None
    assert page.model.rowCount() == 2 and checkins.count() == 2

    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    assert page.delete_question is not None
    with qtbot.waitSignal(page.changed, timeout=5_000):
        page.delete_question.mistake_button.click()
    assert page.model.rowCount() == 1 and page.model.row_of(target) is None
    assert checkins.count() == 1
    with pytest.raises(RecordNotFoundError):
        checkins.get(target)
    (left,) = {c.id for c in saved} - {target}
    assert page.model.index(0, 0).data(Model.IdRole) == left
    # the selection moves on to the next check-in, as in a mail client
    qtbot.waitUntil(lambda: page.current_id() == left
                    and page.detail.values["officer"].text() != "", timeout=5_000)


def test_delete_from_the_keyboard_names_a_group_before_the_pane_has_opened(
    qtbot, page: CheckinsPage, checkins, officers
):
    bravo, harbor = officers
    seed(checkins, [make_checkin(None, datetime(2025, 6, 5, 9, 0, tzinfo=TZ), contact="defusing",
                                headcount=5, group=[bravo, harbor])], [bravo, harbor])
    page.reload()
    loaded(qtbot, page, 1)
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)  # the detail is still opening
    question = page.delete_question
    assert question is not None
    assert question.text().startswith("Delete the group check-in of 5 Jun 2025 09:00?")
    question.retention_button.click()
    qtbot.waitUntil(lambda: checkins.count() == 0 and page.model.rowCount() == 0,
                    timeout=5_000)
    qtbot.waitUntil(lambda: page.detail.placeholder.text().startswith("No check-ins yet"),
                    timeout=5_000)


def test_clear_closes_an_open_delete_question_and_deletes_nothing(
    qtbot, page: CheckinsPage, checkins, officers
):
    bravo, _ = officers
    seed(checkins, spread(bravo, {"2025-06": 1}), [bravo])
    page.reload()
    loaded(qtbot, page, 1)
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    question = page.delete_question
    assert question is not None and CANARY_ALIAS in question.text()
    page.clear()
    assert page.delete_question is None and not question.isVisible()
    settle()
    assert checkins.count() == 1


# -- damage ----------------------------------------------------------------------------------
def _flip_last_byte(vault: UnlockedVault, checkin_id: str, column: str) -> None:
    db = vault.data_dir.database
    blob = raw_one(db, f"SELECT {column} FROM checkin WHERE id = ?", [checkin_id])  # noqa: S608
    assert isinstance(blob, bytes)
    raw_execute(db, f"UPDATE checkin SET {column} = ? WHERE id = ?",  # noqa: S608
                [blob[:-1] + bytes([blob[-1] ^ 1]), checkin_id])


def test_a_damaged_row_is_reported_not_shown_as_fine(
    qtbot, page: CheckinsPage, vault, checkins, officers
):
    bravo, _ = officers
    saved = seed(checkins, spread(bravo, {"2025-06": 3}), [bravo])
    _flip_last_byte(vault, saved[1].id, "summary_sealed")
    page.reload()
    loaded(qtbot, page, 2)
    assert page.model.damaged_ids() == [saved[1].id]
    assert page.model.row_of(saved[1].id) is None
    assert page.damaged_banner.isVisibleTo(page)
    assert page.damaged_banner.text().startswith(
        "⚠ 1 check-in failed its integrity check and is not shown")


def test_damaged_notes_are_reported_in_the_detail_pane(
    qtbot, page: CheckinsPage, vault, checkins, officers
):
    bravo, _ = officers
    saved = seed(checkins, spread(bravo, {"2025-06": 1}, notes=CANARY_NOTES), [bravo])
    _flip_last_byte(vault, saved[0].id, "notes_sealed")
    page.reload()
    loaded(qtbot, page, 1)  # the summary is intact, so the row is listed
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: page.detail.status.isVisibleTo(page), timeout=5_000)
    assert "failed its integrity check" in page.detail.status.text()
    assert page.detail.notes.toPlainText() == ""
    assert not page.detail.edit_button.isEnabled() and page.detail.delete_button.isEnabled()


# -- lock ------------------------------------------------------------------------------------
def test_clear_wipes_every_name_and_note_from_the_screen(
    qtbot, page: CheckinsPage, checkins, officers
):
    bravo, harbor = officers
    seed(checkins, [*spread(bravo, {"2025-06": 2}, notes=CANARY_NOTES),
                   *spread(harbor, {"2025-05": 1})], [bravo, harbor])
    page.reload()
    loaded(qtbot, page, 3)
    page.show_names.setChecked(True)
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: CANARY_NOTES in page.detail.notes.toPlainText(), timeout=5_000)
    qtbot.waitUntil(lambda: page.filters.officer.count() == 3, timeout=5_000)
    texts = screen_texts()
    assert any(CANARY_ALIAS in t for t in texts) and any(CANARY_NOTES in t for t in texts)

    page.clear()
    texts = screen_texts()
    assert not any(CANARY_ALIAS in t or CANARY_NOTES in t for t in texts)
    assert "Dana Reyes" not in "".join(texts)
    assert page.model.rowCount() == 0 and not page.model.canFetchMore(QModelIndex())
    assert not page.show_names.isChecked() and page.filters.officer.count() == 1
    assert page.model.aliases() == {}


def test_answers_arriving_after_clear_are_dropped(qtbot, page: CheckinsPage, checkins, officers):
    bravo, _ = officers
    seed(checkins, spread(bravo, {"2025-06": 3}, notes=CANARY_NOTES), [bravo])
    page.reload()
    page.show_checkin(checkins.summaries()[0][0].id)
    page.clear()  # the vault locks while the list and the detail are still loading
    settle()
    qtbot.wait(50)
    assert page.model.rowCount() == 0 and page.filters.officer.count() == 1
    assert not any(CANARY_NOTES in t or CANARY_ALIAS in t for t in screen_texts())
