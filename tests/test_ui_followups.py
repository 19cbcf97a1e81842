"""The follow-ups section: the board grouped by due time with names masked, the actions (done,
snooze, reschedule, skip, stop, milestones, plan details), the badge on the navigation, the
follow-up check-in that completes a step, the incident time on the form, and marking an officer
deceased. A fixed clock stands in for "now"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QPushButton

from peersupport.domain import codes
from peersupport.domain.checkin import CheckIn
from peersupport.domain.followup import DONE, PENDING, STOPPED
from peersupport.domain.notice import DEFAULT_NOTICE
from peersupport.domain.officer import Officer
from peersupport.services.checkins import CheckinService
from peersupport.services.followups import FollowupPolicy
from peersupport.services.vault import UnlockedVault
from peersupport.ui.app import AppController
from peersupport.ui.checkin_form import CheckinForm
from peersupport.ui.followup_dialogs import (
    DEFAULT_STOP_REASON,
    DateTimeDialog,
    DeceasedDialog,
    MilestoneDialog,
    PlanDetailsDialog,
    StopPlanDialog,
)
from peersupport.ui.followups_model import (
    FIRST_ROWS,
    FollowupBoardModel,
    relative_due,
)
from peersupport.ui.followups_page import FollowupsPage
from peersupport.ui.officers_page import OfficersPage
from peersupport.ui.presentation import MASK
from peersupport.ui.tasks import wait_for_tasks
from peersupport.ui.workspace import Workspace
from tests.conftest import FAST_TEST_PROFILE, PASSPHRASE

Model = FollowupBoardModel
CANARY_ALIAS = "Zq7FollowAliasXv"
CANARY_NAME = "Qx9FollowFullNameWb"
CATEGORY = "officer_involved_shooting"
INCIDENT = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
NOW = INCIDENT + timedelta(days=2, hours=1)  # the 24-hour step is a day overdue
Key = Qt.Key


# -- helpers ----------------------------------------------------------------------------------
def settle() -> None:
    wait_for_tasks()
    QApplication.processEvents()


def fixed_clock(vault: UnlockedVault, now: datetime = NOW) -> None:
    vault.followup_policy = FollowupPolicy(clock=lambda: now, zone="UTC")


def seed_followup(checkins: CheckinService, officer: Officer | None = None) -> Officer:
    officer = officer or Officer(alias=CANARY_ALIAS, full_name=CANARY_NAME,
                                 notice_given_at=INCIDENT - timedelta(days=30))
    checkins.save(CheckIn(
        occurred_at=INCIDENT, officer_id=officer.id, incident_category=CATEGORY,
        contact_type="in_person", initiated_by="self", recipient_class="sworn",
        duration_minutes=30, follow_up=True,
    ), [officer])
    return officer


def plan_of(vault: UnlockedVault, officer: Officer) -> str:
    plans = vault.followups().open_plans_of(officer.id)
    assert len(plans) == 1
    return plans[0].id


def group_rows(model: FollowupBoardModel, group: str) -> list[QModelIndex]:
    parent = model.group_index(group)
    return [model.index(r, 0, parent) for r in range(model.rowCount(parent))]


def model_texts(model: FollowupBoardModel) -> list[str]:
    texts: list[str] = []
    roles = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
             Qt.ItemDataRole.AccessibleTextRole)

    def walk(parent: QModelIndex) -> None:
        for row in range(model.rowCount(parent)):
            for column in range(model.columnCount(parent)):
                index = model.index(row, column, parent)
                texts.extend(str(v) for r in roles if (v := model.data(index, r)) is not None)
            walk(model.index(row, 0, parent))

    walk(QModelIndex())
    return texts


def page_texts(page: FollowupsPage) -> list[str]:
    texts = model_texts(page.model)
    texts += [label.text() for label in page.findChildren(QLabel)]
    texts += [button.text() for button in page.findChildren(QPushButton)]
    texts += [w.toolTip() for w in page.findChildren(QLabel)]
    return texts


def select(page: FollowupsPage, index: QModelIndex) -> None:
    page.tree.selectionModel().setCurrentIndex(
        index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        | QItemSelectionModel.SelectionFlag.Rows)


def loaded(qtbot, page: FollowupsPage) -> None:
    qtbot.waitUntil(lambda: page.model.board() is not None and not page.busy.isVisible(),
                    timeout=10_000)


def reload_and_wait(qtbot, page: FollowupsPage) -> None:
    with qtbot.waitSignal(page.badge_changed, timeout=10_000):
        page.reload()


def ok(dialog) -> None:
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture
def checkins(vault: UnlockedVault) -> CheckinService:
    fixed_clock(vault)
    return vault.checkins()


@pytest.fixture
def officer(checkins: CheckinService) -> Officer:
    return seed_followup(checkins)


@pytest.fixture
def page(qtbot, checkins: CheckinService, officer: Officer) -> Iterator[FollowupsPage]:
    widget = FollowupsPage(checkins)
    qtbot.addWidget(widget)
    widget.resize(900, 560)
    widget.show()
    loaded(qtbot, widget)
    yield widget
    widget.clear()
    settle()


# -- the board -------------------------------------------------------------------------------------
def test_an_overdue_step_is_listed_masked_and_revealed_only_while_selected(
    qtbot, page: FollowupsPage, vault: UnlockedVault, officer: Officer
):
    model = page.model
    assert model.count("overdue") == 1 and model.count("this_week") == 2  # 72 h, 7 days
    overdue = group_rows(model, "overdue")
    assert len(overdue) == 1
    item = model.item(overdue[0])
    assert item is not None and item.plan_id == plan_of(vault, officer) and item.step_id == "s0"
    row = [model.index(0, c, model.group_index("overdue")).data() for c in range(4)]
    assert row[Model.OFFICER] == MASK
    assert row[Model.WHY] == "Follow-up at 24 hours"
    assert row[Model.DUE] == "Tue 3 Jun 2025 09:00"
    assert row[Model.WHEN] == "overdue by 25 hours"
    assert model.group_index("overdue").data() == "Overdue (1)"

    category = codes.INCIDENT_CATEGORIES[CATEGORY]
    for text in page_texts(page):  # no name, no full name, no incident anywhere
        assert CANARY_ALIAS not in text and CANARY_NAME not in text and category not in text

    select(page, overdue[0])
    assert page.current_item() == item
    assert model.index(0, Model.OFFICER, model.group_index("overdue")).data() == CANARY_ALIAS
    other = group_rows(model, "this_week")[0]
    assert model.index(other.row(), Model.OFFICER, other.parent()).data() == MASK

    page.tree.selectionModel().clearSelection()  # deselected: masked again
    assert page.current_item() is None
    assert all(CANARY_ALIAS not in text for text in page_texts(page))
    assert not page.done_action.isEnabled() and not page.buttons["done"].isEnabled()


def test_the_empty_board_explains_itself(qtbot, vault: UnlockedVault):
    fixed_clock(vault)
    widget = FollowupsPage(vault.checkins())
    qtbot.addWidget(widget)
    widget.show()
    loaded(qtbot, widget)
    assert widget.stack.currentWidget() is widget.empty_page
    assert "Follow-up wanted" in widget.empty.text()
    assert not widget.actions_bar.isVisible()


def test_relative_times_read_naturally():
    base = datetime(2025, 1, 1, tzinfo=UTC)
    assert relative_due(base - timedelta(days=2, hours=3), base) == "overdue by 2 days"
    assert relative_due(base - timedelta(minutes=20), base) == "overdue by 20 minutes"
    assert relative_due(base + timedelta(seconds=20), base) == "due now"
    assert relative_due(base + timedelta(hours=1), base) == "in 1 hour"
    assert relative_due(base + timedelta(days=21), base) == "in 3 weeks"
    assert relative_due(base + timedelta(days=400), base) == "in 13 months"


class _CountingBoard:
    """Stands in for a board of 100,000 pending steps; counts the rows decoded."""

    def __init__(self, board, n: int) -> None:
        self._item = board.item("this_week", 0)
        self.now = board.now
        self.badge = 0
        self.n = n
        self.decoded = 0

    def count(self, group: str) -> int:
        return self.n if group == "later" else 0

    def __len__(self) -> int:
        return self.n

    def item(self, group: str, row: int):
        self.decoded += 1
        return self._item


def test_rows_are_decoded_only_when_shown(qtbot, page: FollowupsPage, vault: UnlockedVault):
    from zoneinfo import ZoneInfo

    big = _CountingBoard(vault.followups().board(), 100_000)
    model = FollowupBoardModel()
    model.set_board(big, {}, ZoneInfo("UTC"))  # type: ignore[arg-type]
    later = model.group_index("later")
    assert big.decoded == 0 and model.rowCount(later) == FIRST_ROWS
    assert model.canFetchMore(later)
    model.fetchMore(later)
    assert model.rowCount(later) > FIRST_ROWS and big.decoded == 0
    model.index(5, Model.WHY, later).data()
    assert big.decoded == 1


# -- actions ---------------------------------------------------------------------------------------
def test_done_asks_for_the_follow_up_check_in(qtbot, page: FollowupsPage, vault, officer):
    select(page, group_rows(page.model, "overdue")[0])
    with qtbot.waitSignal(page.done_requested) as blocker:
        page.buttons["done"].click()
    assert blocker.args == [plan_of(vault, officer), "s0"]
    page.window().activateWindow()
    page.tree.setFocus()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page.window())
    with qtbot.waitSignal(page.done_requested):
        qtbot.keyClick(page.tree, Key.Key_D, Qt.KeyboardModifier.ControlModifier)


def test_snooze_one_hour_moves_it_out_of_overdue(qtbot, page: FollowupsPage, vault, officer):
    select(page, group_rows(page.model, "overdue")[0])
    page._fill_snooze_menu()
    labels = [a.text() for a in page.snooze_menu.actions() if a.text()]
    assert labels[0].startswith("1 hour") and labels[-1] == "Custom…"
    assert any(label.startswith("Tomorrow 9:00") for label in labels)
    with qtbot.waitSignal(page.changed, timeout=10_000):
        page.snooze_menu.actions()[0].trigger()
    loaded(qtbot, page)
    qtbot.waitUntil(lambda: page.model.count("overdue") == 0)
    assert page.model.count("today") == 1
    assert page.current_item() is not None and page.current_item().group == "today"
    assert "Snoozed until" in page.status.text()


def test_skip_and_reschedule(qtbot, page: FollowupsPage, vault, officer):
    plan_id = plan_of(vault, officer)
    later = page.model.count("later")
    select(page, group_rows(page.model, "overdue")[0])
    page.ask_reschedule()
    dialog = page.dialog
    assert isinstance(dialog, DateTimeDialog)
    dialog.editor.set_value(NOW + timedelta(days=30))
    with qtbot.waitSignal(page.changed, timeout=10_000):
        ok(dialog)
    loaded(qtbot, page)
    qtbot.waitUntil(lambda: page.model.count("later") == later + 1)
    assert page.model.count("overdue") == 0
    steps = {s.id: s for s in vault.followups().steps(plan_id)}
    assert steps["s0"].due == NOW.replace(hour=10, minute=0) + timedelta(days=30)

    select(page, group_rows(page.model, "this_week")[0])
    with qtbot.waitSignal(page.changed, timeout=10_000):
        page.skip_action.trigger()
    loaded(qtbot, page)
    assert {s.id: s.state for s in vault.followups().steps(plan_id)}["s1"] == "skipped"


def test_a_refused_action_is_explained(qtbot, page: FollowupsPage):
    select(page, group_rows(page.model, "overdue")[0])
    page.reschedule(INCIDENT - timedelta(days=1))
    qtbot.waitUntil(page.error_banner.isVisible, timeout=10_000)
    assert page.error_banner.text() == "A follow-up cannot be due before the incident."
    assert page.model.count("overdue") == 1


def test_stop_plan_asks_with_a_reason_then_empties_the_board(
    qtbot, page: FollowupsPage, vault, officer
):
    plan_id = plan_of(vault, officer)
    select(page, group_rows(page.model, "overdue")[0])
    page.ask_stop()
    dialog = page.dialog
    assert isinstance(dialog, StopPlanDialog) and dialog.isVisible()
    assert dialog.reason.text() == DEFAULT_STOP_REASON
    with qtbot.waitSignal(page.changed, timeout=10_000):
        ok(dialog)
    loaded(qtbot, page)
    qtbot.waitUntil(lambda: page.model.total() == 0)
    assert page.stack.currentWidget() is page.empty_page
    assert {s.state for s in vault.followups().steps(plan_id)} == {STOPPED}
    assert vault.followups().plan(plan_id).events[-1].reason == DEFAULT_STOP_REASON


def test_milestones_and_plan_details(qtbot, page: FollowupsPage, vault, officer):
    plan_id = plan_of(vault, officer)
    select(page, group_rows(page.model, "overdue")[0])
    page.ask_milestone()
    dialog = page.dialog
    assert isinstance(dialog, MilestoneDialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("court"))
    dialog.when.set_value(NOW + timedelta(days=20))
    dialog.lead.setCurrentIndex(3)  # a week before
    with qtbot.waitSignal(page.changed, timeout=10_000):
        ok(dialog)
    loaded(qtbot, page)
    milestones = [i for i in (page.model.item(x) for x in group_rows(page.model, "later"))
                  if i is not None and i.is_milestone]
    assert len(milestones) == 1 and milestones[0].step_id.startswith("#")
    assert page.model.index(0, Model.WHY, page.model.group_index("later")).data() == \
        "Milestone: Court date"

    select(page, group_rows(page.model, "overdue")[0])
    page.open_details()
    details = page.dialog
    assert isinstance(details, PlanDetailsDialog)
    assert CANARY_ALIAS in details.title.text()  # opened from the selected row
    names = [details.steps.topLevelItem(r).text(0)
             for r in range(details.steps.topLevelItemCount())]
    assert "Milestone: Court date" in names and "Follow-up at 24 hours" in names
    assert codes.INCIDENT_CATEGORIES[CATEGORY] not in " ".join(names)
    assert details.steps.currentItem().text(0) == "Follow-up at 24 hours"
    assert not details.remove_button.isEnabled()

    # the incident time, moved a day later: the pending steps follow
    details.incident.set_value(INCIDENT + timedelta(days=1))
    with qtbot.waitSignal(details.changed):
        details.incident_button.click()
    assert vault.followups().plan(plan_id).incident_at == INCIDENT + timedelta(days=1)
    steps = {s.id: s for s in vault.followups().steps(plan_id)}
    assert steps["s0"].due == INCIDENT + timedelta(days=2)

    details.select_step(vault.followups().plan(plan_id).milestones[0].id)
    assert details.remove_button.isEnabled()
    with qtbot.waitSignal(details.changed):
        details.remove_button.click()
    assert vault.followups().plan(plan_id).milestones == []
    details.reject()
    loaded(qtbot, page)
    settle()
    assert not [i for i in (page.model.item(x) for x in group_rows(page.model, "later"))
                if i is not None and i.is_milestone]


def test_incident_time_in_the_future_is_refused_in_the_details(qtbot, page, vault, officer):
    select(page, group_rows(page.model, "overdue")[0])
    page.open_details()
    details = page.dialog
    details.incident.setMaximumDateTime(details.incident.maximumDateTime().addDays(30))
    details.incident.set_value(NOW + timedelta(days=3))
    details.incident_button.click()
    assert details.error.isVisible()
    assert "past time" in details.error.text()
    details.reject()


# -- the workspace: badge, Done and the follow-up check-in --------------------------------------
def test_the_workspace_shows_a_badge_and_replaces_the_placeholder(qtbot, checkins, officer):
    ws = Workspace(checkins)
    qtbot.addWidget(ws)
    ws.show()
    page = ws.followups_page
    assert isinstance(page, FollowupsPage)
    loaded(qtbot, page)
    item = next(ws.nav.item(r) for r in range(ws.nav.count())
                if ws.nav.item(r).data(Qt.ItemDataRole.UserRole) == "followups")
    qtbot.waitUntil(lambda: item.text() == "Follow-ups (1)")
    ws.set_followup_badge(0)
    assert item.text() == "Follow-ups"
    ws.set_followup_badge(12)
    assert item.text() == "Follow-ups (12)"
    select(page, group_rows(page.model, "overdue")[0])
    with qtbot.waitSignal(ws.followup_done_requested):
        page.mark_done()
    ws.refresh()
    qtbot.waitUntil(lambda: item.text() == "Follow-ups (1)", timeout=10_000)
    ws.clear()
    settle()
    assert page.model.total() == 0


@pytest.fixture
def controller(qtbot, vault: UnlockedVault) -> Iterator[AppController]:
    officer = seed_followup(vault.checkins())
    vault.lock()
    ctl = AppController(vault.data_dir.root, FAST_TEST_PROFILE)
    with qtbot.waitSignal(ctl.ready, timeout=5_000):
        assert ctl.start()
    qtbot.addWidget(ctl.window)
    ctl.test_officer = officer  # type: ignore[attr-defined]
    yield ctl
    ctl.shutdown()
    wait_for_tasks()


def _open_forms() -> list[CheckinForm]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, CheckinForm) and w.isVisible()]


def test_done_opens_a_prefilled_check_in_that_completes_the_step(qtbot, controller):
    officer = controller.test_officer
    qtbot.keyClicks(controller.window.lock_screen.passphrase, PASSPHRASE)
    with qtbot.waitSignal(controller.unlocked, timeout=10_000):
        qtbot.keyClick(controller.window.lock_screen.passphrase, Key.Key_Return)
    vault = controller.vault
    fixed_clock(vault)
    workspace = controller.window.workspace
    page = workspace.followups_page
    reload_and_wait(qtbot, page)
    workspace.show_section("followups")
    plan_id = plan_of(vault, officer)
    select(page, group_rows(page.model, "overdue")[0])

    page.buttons["done"].click()
    qtbot.waitUntil(lambda: len(_open_forms()) == 1)
    form = _open_forms()[0]
    assert form.windowTitle() == "Log a follow-up check-in"
    assert form.officer.currentText() == CANARY_ALIAS
    assert form.contact_type.currentData() == "follow_up"
    assert form.category.currentData() == CATEGORY
    assert form.initiated_by.currentData() == "peer_outreach"
    assert form.recipient.currentData() == "sworn"
    assert not form.is_dirty()  # cancelling asks nothing
    with qtbot.waitSignal(page.badge_changed, timeout=10_000):
        form.save()
    assert _open_forms() == []
    steps = {s.id: s for s in vault.followups().steps(plan_id)}
    assert steps["s0"].state == DONE
    qtbot.waitUntil(lambda: page.model.count("overdue") == 0, timeout=10_000)


def test_done_on_a_milestone_resolves_its_step(qtbot, controller):
    officer = controller.test_officer
    qtbot.keyClicks(controller.window.lock_screen.passphrase, PASSPHRASE)
    with qtbot.waitSignal(controller.unlocked, timeout=10_000):
        qtbot.keyClick(controller.window.lock_screen.passphrase, Key.Key_Return)
    vault = controller.vault
    fixed_clock(vault)
    plan_id = plan_of(vault, officer)
    vault.followups().add_milestone(plan_id, "court", NOW - timedelta(hours=2))
    page = controller.window.workspace.followups_page
    reload_and_wait(qtbot, page)
    milestone = next(i for i in (page.model.item(x) for x in group_rows(page.model, "today"))
                     if i is not None and i.is_milestone)
    assert milestone.step_id.startswith("#")
    controller.open_followup_checkin(plan_id, milestone.step_id)
    qtbot.waitUntil(lambda: len(_open_forms()) == 1)
    _open_forms()[0].save()
    real_id = vault.followups().plan(plan_id).milestones[0].id
    assert {s.id: s.state for s in vault.followups().steps(plan_id)}[real_id] == DONE


# -- the check-in form: the incident time ----------------------------------------------------------
def _form(qtbot, checkins: CheckinService, **kwargs) -> CheckinForm:
    kwargs.setdefault("now", lambda: NOW)
    form = CheckinForm(checkins, DEFAULT_NOTICE, "phone", **kwargs)
    qtbot.addWidget(form, before_close_func=lambda w: w.discard())
    form.show()
    qtbot.waitExposed(form)
    return form


def test_follow_up_shows_the_incident_time_which_follows_the_contact(qtbot, checkins):
    alder = Officer(alias="Alder", notice_given_at=INCIDENT - timedelta(days=5))
    checkins.add_officer(alder)
    form = _form(qtbot, checkins)
    assert not form.incident_row.isVisible()
    form.follow_up.setChecked(True)
    assert form.incident_row.isVisible()
    assert form.incident_at.accessibleName() == "Incident date and time"
    assert form.incident_at.dateTime() == form.when.dateTime()
    earlier = form.when.dateTime().addSecs(-3600)
    form.when.setDateTime(earlier)
    assert form.incident_at.dateTime() == earlier  # untouched: it follows
    assert form.state().incident_at is None
    # not after the contact
    form.incident_at.setDateTime(earlier.addDays(2))
    assert form.incident_at.dateTime() <= form.when.dateTime()
    incident = earlier.addDays(-3)
    form.incident_at.setDateTime(incident)
    form.officer.setEditText("Alder")
    form.category.setCurrentIndex(form.category.findData("line_of_duty_injury"))
    form.initiated_by.setCurrentIndex(form.initiated_by.findData("self"))
    form.save()
    assert not form.isVisible()
    plans = checkins.followups().open_plans_of(alder.id)
    assert len(plans) == 1
    assert plans[0].incident_at.timestamp() == incident.toSecsSinceEpoch()
    form.follow_up.setChecked(False)
    assert not form.incident_row.isVisible()


def test_the_incident_time_is_kept_in_a_draft_and_shown_when_editing(qtbot, checkins, officer):
    form = _form(qtbot, checkins)
    form.follow_up.setChecked(True)
    form.incident_at.setDateTime(form.when.dateTime().addDays(-1))
    payload = form.draft_payload()
    assert payload is not None and payload["incident_at"]
    restored = _form(qtbot, checkins, draft=payload)
    assert restored.state() == form.state()
    detail = next(iter(checkins.summaries()[0]))
    edit = _form(qtbot, checkins, existing=checkins.get(detail.id))
    assert edit.incident_row.isVisible()
    assert edit.incident_at.dateTime().toSecsSinceEpoch() == int(INCIDENT.timestamp())


# -- deceased officers -----------------------------------------------------------------------------
def test_marking_an_officer_deceased_converts_their_follow_ups(
    qtbot, checkins, vault, officer: Officer
):
    plan_id = plan_of(vault, officer)
    widget = OfficersPage(checkins)
    qtbot.addWidget(widget)
    widget.resize(900, 560)
    widget.show()
    qtbot.waitUntil(lambda: widget.list.count() == 1, timeout=10_000)
    widget.select_officer(officer.id)
    qtbot.waitUntil(lambda: widget.detail.is_deceased() is False, timeout=10_000)
    assert widget.detail.deceased_button.isVisible()
    assert not widget.detail.undo_deceased_button.isVisible()

    widget.detail.deceased_button.click()
    dialog = widget.dialog
    assert isinstance(dialog, DeceasedDialog) and dialog.isVisible()
    assert dialog.convert.isChecked()
    assert "never schedule" in " ".join(label.text() for label in dialog.findChildren(QLabel))
    with qtbot.waitSignal(widget.changed, timeout=10_000):
        ok(dialog)
    assert widget.detail.is_deceased() is True
    assert widget.detail.deceased_state.isVisible()
    assert widget.detail.undo_deceased_button.isVisible()
    assert "1 follow-up plan now supports family or colleagues" in \
        widget.detail.deceased_state.text()
    assert vault.followups().is_deceased(officer.id)
    steps = vault.followups().steps(plan_id)
    assert {s.audience for s in steps if s.state == PENDING} == {"family_or_colleagues"}

    page = FollowupsPage(checkins)
    qtbot.addWidget(page)
    loaded(qtbot, page)
    why = page.model.index(0, Model.WHY, page.model.group_index("overdue")).data()
    assert why == "Follow-up at 24 hours (family or colleague support)"
    select(page, group_rows(page.model, "overdue")[0])
    assert vault.followups().prefill(plan_id, "s0").contact_type == "family_support"

    widget.detail.undo_deceased_button.click()
    qtbot.waitUntil(lambda: widget.detail.is_deceased() is False, timeout=10_000)
    assert not vault.followups().is_deceased(officer.id)
    page.clear()
    widget.clear()
    settle()


def test_cancelling_ends_the_pending_follow_ups(qtbot, checkins, vault, officer: Officer):
    plan_id = plan_of(vault, officer)
    widget = OfficersPage(checkins)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: widget.list.count() == 1, timeout=10_000)
    widget.select_officer(officer.id)
    qtbot.waitUntil(lambda: widget.detail.is_deceased() is False, timeout=10_000)
    widget.mark_deceased_selected()
    widget.dialog.cancel.setChecked(True)
    with qtbot.waitSignal(widget.changed, timeout=10_000):
        ok(widget.dialog)
    assert {s.state for s in vault.followups().steps(plan_id)} == {"cancelled"}
    widget.clear()
    settle()


def test_every_group_loads_more_rows_when_its_last_row_scrolls_into_view(
    qtbot, page: FollowupsPage, vault: UnlockedVault
):
    from zoneinfo import ZoneInfo

    class TwoGroups(_CountingBoard):
        def count(self, group: str) -> int:
            return self.n if group in ("overdue", "later") else 0

    big = TwoGroups(vault.followups().board(), 5_000)
    page.model.set_board(big, {}, ZoneInfo("UTC"))  # type: ignore[arg-type]
    page.tree.expandAll()
    settle()
    overdue, later = page.model.group_index("overdue"), page.model.group_index("later")
    loaded_rows = page.model.rowCount(overdue)
    assert loaded_rows < 1_000  # expanding a group fetches one more chunk at most
    assert page.model.rowCount(later) < 1_000
    page.tree.scrollTo(page.model.index(loaded_rows - 1, 0, overdue))
    settle()
    qtbot.waitUntil(lambda: page.model.rowCount(overdue) > loaded_rows)
    assert page.model.rowCount(overdue) < 5_000
    assert big.decoded < 1_000  # only rows on screen were decoded
    page.model.clear()


def test_a_follow_up_form_locked_mid_typing_still_completes_its_step(qtbot, controller):
    officer = controller.test_officer

    def unlock() -> None:
        qtbot.keyClicks(controller.window.lock_screen.passphrase, PASSPHRASE)
        with qtbot.waitSignal(controller.unlocked, timeout=10_000):
            qtbot.keyClick(controller.window.lock_screen.passphrase, Key.Key_Return)

    unlock()
    vault = controller.vault
    plan_id = plan_of(vault, officer)
    controller.open_followup_checkin(plan_id, "s0")
    qtbot.waitUntil(lambda: len(_open_forms()) == 1)
    _open_forms()[0].notes.setPlainText("half typed follow-up")
    controller.lock()
    assert _open_forms() == []
    unlock()
    qtbot.waitUntil(lambda: len(_open_forms()) == 1)
    restored = _open_forms()[0]
    assert restored.notes.toPlainText() == "half typed follow-up"
    restored.save()
    qtbot.waitUntil(lambda: _open_forms() == [], timeout=10_000)
    steps = {s.id: s for s in controller.vault.followups().steps(plan_id)}
    assert steps["s0"].state == DONE
